using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.Extensions.Options;
using Npgsql;
using OiCall.Web.Features.Ledger;

namespace OiCall.Web.Data;

public enum DatabaseProvider
{
    /// <summary>Embedded file under the data directory: the default, nothing to install.</summary>
    Sqlite,
    /// <summary>The production database, chosen with Database:Provider=Postgres.</summary>
    Postgres,
}

public sealed class DatabaseOptions
{
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;
    /// <summary>Connection string; for SQLite it defaults to oicall.db in the data directory.</summary>
    public string? ConnectionString { get; set; }
}

public static class DatabaseSetup
{
    public static IServiceCollection AddOiCallDatabase(this IServiceCollection services)
    {
        services.AddOptions<DatabaseOptions>().BindConfiguration("Database");
        // Both contexts are registered; configuration is read when a context is first resolved,
        // so tests and deployments can switch provider through ordinary configuration.
        // Pooled: a request (or a call's authorization) reuses a context instead of building one,
        // which cost more CPU and allocation than the call plane's own statements.
        services.AddDbContextPool<SqliteAppDbContext>((sp, options) =>
            options.UseSqlite(SqliteConnectionString(sp)));
        // One pool for EF and the call plane's prepared statements, built when PostgreSQL is first used.
        services.AddSingleton(sp => PostgresDataSource(sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.ConnectionString
            ?? throw new InvalidOperationException("Database:ConnectionString is required when Database:Provider is Postgres.")));
        services.AddDbContextPool<PostgresAppDbContext>((sp, options) => options.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>()));
        services.AddScoped<AppDbContext>(sp => OnPostgres(sp) ? sp.GetRequiredService<PostgresAppDbContext>() : sp.GetRequiredService<SqliteAppDbContext>());
        // The call path's storage is where the providers differ: batched SQL on PostgreSQL, EF on
        // SQLite (which PostgreSQL's store also hands the rare ends its statements leave).
        services.AddScoped<EfCallStore>();
        services.AddScoped<PostgresCallStore>();
        services.AddScoped<ICallStore>(sp => OnPostgres(sp) ? sp.GetRequiredService<PostgresCallStore>() : sp.GetRequiredService<EfCallStore>());
        return services;
    }

    /// <summary>The one provider choice, from configuration (Database:Provider).</summary>
    private static bool OnPostgres(IServiceProvider sp) =>
        sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.Provider == DatabaseProvider.Postgres;

    internal static NpgsqlDataSource PostgresDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // Nothing here changes session state (no SET, temp tables or advisory locks), so a pooled
        // connection needs no reset when it goes back; the reset would also cost every request CPU.
        builder.ConnectionStringBuilder.NoResetOnClose = true;
        // EF's statements are sent unprepared: PostgreSQL parses and plans each one again, which for the
        // call setup's one query costs ten times its execution. Npgsql prepares the frequent ones per
        // connection (unless the connection string says otherwise).
        if (!SetsAutoPrepare(connectionString))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = 100;
            builder.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
        }
        return builder.Build();
    }

    // Npgsql's builder answers ContainsKey for every keyword it knows, set or not; the plain builder
    // tells what the string itself says (keys compared without case, as Npgsql does).
    private static bool SetsAutoPrepare(string connectionString) =>
        new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Any(key => key.Replace(" ", "", StringComparison.Ordinal).Equals("MaxAutoPrepare", StringComparison.OrdinalIgnoreCase));

    private static string SqliteConnectionString(IServiceProvider sp)
    {
        var configured = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.ConnectionString;
        if (!string.IsNullOrWhiteSpace(configured)) return configured;
        var dataDir = sp.GetRequiredService<DataDirectory>().Path;
        return $"Data Source={System.IO.Path.Combine(dataDir, "oicall.db")};Pooling=True;Default Timeout=30";
    }

    public static async Task MigrateAsync(IServiceProvider services, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        await db.Database.MigrateAsync(ct);
        if (db.Database.IsSqlite())
        {
            // WAL lets readers go on while one writer commits; it is a property of the file, set once.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        }
    }
}

/// <summary>Where the embedded database, keys and other local state live (Data:Directory, default ./data).</summary>
public sealed class DataDirectory
{
    public DataDirectory(IConfiguration configuration, IHostEnvironment environment)
    {
        var configured = configuration["Data:Directory"] ?? "data";
        Path = System.IO.Path.GetFullPath(System.IO.Path.Combine(environment.ContentRootPath, configured));
        OiCall.Web.Infrastructure.PrivateFiles.CreateDirectory(Path);
    }

    public string Path { get; }
}

// Used only by `dotnet ef migrations add`; the running service configures contexts in AddOiCallDatabase.
public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteAppDbContext>
{
    public SqliteAppDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteAppDbContext>().UseSqlite("Data Source=design.db").Options);
}

public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresAppDbContext>
{
    public PostgresAppDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresAppDbContext>().UseNpgsql("Host=127.0.0.1;Database=design").Options);
}
