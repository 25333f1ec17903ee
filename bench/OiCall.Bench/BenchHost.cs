using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OiCall.Web.Data;
using OiCall.Web.Features.Audit;
using OiCall.Web.Features.Coupons;
using OiCall.Web.Features.Ledger;
using OiCall.Web.Features.Telephony;
using OiCall.Web.Infrastructure;

namespace OiCall.Bench;

/// <summary>
/// A fresh database (a SQLite file in a temp folder, or a new PostgreSQL database) and the service's
/// own registrations for the ledger, coupons and history, as Program.cs makes them.
/// </summary>
public sealed class BenchHost : IAsyncDisposable
{
    private readonly BenchOptions _options;
    private readonly string _workFolder;
    private readonly string? _postgresDatabase;
    private readonly IHost _host;

    public IServiceProvider Services => _host.Services;
    public RoundTripCounter RoundTrips { get; } = new();
    public DatabaseProvider Provider => _options.Provider;
    /// <summary>The benchmark database itself (for the wait-event sampler and bulk loading).</summary>
    public string ConnectionString { get; }
    public string Description { get; private set; } = "";

    private BenchHost(BenchOptions options, string workFolder, string connectionString, string? postgresDatabase)
    {
        _options = options;
        _workFolder = workFolder;
        _postgresDatabase = postgresDatabase;
        ConnectionString = connectionString;

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            // No appsettings, no console logging: EF runs at the service's configured level (Warning), which logs nothing here.
            DisableDefaults = true,
            ContentRootPath = workFolder,
            EnvironmentName = Environments.Production,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Data:Directory"] = workFolder,
            ["Database:Provider"] = options.Provider.ToString(),
            ["Database:ConnectionString"] = connectionString,
            // Calls ask for what the hold+settle measurement holds (Workloads.WantedSeconds).
            ["Sip:MaxCallSeconds"] = Workloads.WantedSeconds.ToString(CultureInfo.InvariantCulture),
            // Every authorized call is sealed to this key (its private half is thrown away).
            ["Retention:PublicKey"] = Convert.ToBase64String(Sodium.PublicKeyBox.GenerateKeyPair().PublicKey),
            ["Retention:KeyId"] = "bench",
        });

        // The same registrations as src/OiCall.Web/Program.cs, limited to what the ledger, coupons, history and call authorization use.
        var services = builder.Services;
        services.AddSingleton<DataDirectory>();
        services.AddSingleton(TimeProvider.System);
        services.AddHttpContextAccessor();
        services.AddOiCallDatabase();
        services.AddSingleton<ServerSecrets>();
        services.AddScoped<AuditLog>();
        services.AddScoped<LedgerService>();
        services.AddSingleton<LedgerAccountKeys>();
        services.AddScoped<History>();
        services.AddScoped<CouponRules>();
        services.AddOptions<SipOptions>().BindConfiguration("Sip");
        services.AddScoped<CallSetup>();
        services.AddScoped<CallEnds>();
        OiCall.Web.Features.Retention.RetentionRegistration.AddRetention(services, builder.Environment);
        // Counts statements only inside RoundTripCounter.Record blocks; outside them it costs one AsyncLocal read.
        services.ConfigureDbContext<SqliteAppDbContext>(o => o.AddInterceptors(RoundTrips));
        services.ConfigureDbContext<PostgresAppDbContext>(o => o.AddInterceptors(RoundTrips));
        _host = builder.Build();
    }

    public static async Task<BenchHost> CreateAsync(BenchOptions options)
    {
        var workFolder = Directory.CreateTempSubdirectory("oicall-bench-").FullName;
        if (options.Provider == DatabaseProvider.Sqlite)
        {
            // The service's own SQLite connection string (DatabaseSetup), on a temp file.
            var file = Path.Combine(workFolder, "oicall.db");
            var host = new BenchHost(options, workFolder, $"Data Source={file};Pooling=True;Default Timeout=30", null);
            await host.MigrateAsync();
            return host;
        }

        var server = new NpgsqlConnectionStringBuilder(options.PostgresServer);
        var database = "oicall_bench_" + DateTime.UtcNow.ToString("yyyyMMdd_HHmmss", CultureInfo.InvariantCulture);
        await using (var admin = new NpgsqlConnection(server.ConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", admin);
            await create.ExecuteNonQueryAsync();
        }
        var bench = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = database };
        // Every worker holds a connection, plus the wait-event sampler.
        if (bench.MaxPoolSize < options.Workers + 4) bench.MaxPoolSize = options.Workers + 4;
        var pgHost = new BenchHost(options, workFolder, bench.ConnectionString, database);
        await pgHost.MigrateAsync();
        return pgHost;
    }

    private async Task MigrateAsync()
    {
        await DatabaseSetup.MigrateAsync(Services);
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        if (Provider == DatabaseProvider.Postgres)
        {
            var version = await db.Database.SqlQueryRaw<string>("SELECT current_setting('server_version') AS \"Value\"").SingleAsync();
            var fsync = await db.Database.SqlQueryRaw<string>("SELECT current_setting('fsync') AS \"Value\"").SingleAsync();
            var syncCommit = await db.Database.SqlQueryRaw<string>("SELECT current_setting('synchronous_commit') AS \"Value\"").SingleAsync();
            Description = $"PostgreSQL {version} (database {_postgresDatabase}, fsync={fsync}, synchronous_commit={syncCommit})";
        }
        else
        {
            var version = await db.Database.SqlQueryRaw<string>("SELECT sqlite_version() AS \"Value\"").SingleAsync();
            var journal = await db.Database.SqlQueryRaw<string>("SELECT journal_mode AS \"Value\" FROM pragma_journal_mode()").SingleAsync();
            Description = $"SQLite {version} (file {Path.Combine(_workFolder, "oicall.db")}, journal_mode={journal})";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        if (_options.Keep)
        {
            Console.WriteLine($"kept: {(_postgresDatabase is null ? _workFolder : "database " + _postgresDatabase)}");
            return;
        }
        if (_postgresDatabase is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(_options.PostgresServer);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_postgresDatabase}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
        else
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
        Directory.Delete(_workFolder, recursive: true);
    }
}
