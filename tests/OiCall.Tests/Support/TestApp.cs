using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using OiCall.Web.Data;
using OiCall.Web.Infrastructure.Sms;

namespace OiCall.Tests.Support;

/// <summary>
/// The real service over HTTP on a real database of its own: a fresh SQLite file, or a fresh
/// PostgreSQL database on the server named by OICALL_TEST_POSTGRES. Only the clock and SMS
/// delivery are fakes.
/// </summary>
public sealed partial class TestApp : WebApplicationFactory<Program>
{
    /// <summary>Base connection string of a throwaway PostgreSQL server (set by .ci/run).</summary>
    public static readonly string? PostgresServer = Environment.GetEnvironmentVariable("OICALL_TEST_POSTGRES");

    private readonly DatabaseProvider _provider;
    private readonly string _dataDirectory;
    private readonly string? _postgresDatabase;
    private int _stoppedOnPort;
    private readonly Dictionary<string, string?> _settings;
    private int _nextIp;
    private bool _realServer;
    private bool _secondInstance;

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 25, 1, 0, 0, TimeSpan.Zero));

    private TestApp(DatabaseProvider provider, Dictionary<string, string?> settings, TestApp? previous = null)
    {
        _provider = provider;
        _settings = settings;
        _dataDirectory = previous?._dataDirectory ?? Path.Combine(Path.GetTempPath(), "oicall-tests", Guid.NewGuid().ToString("N"));
        if (provider == DatabaseProvider.Postgres) _postgresDatabase = previous?._postgresDatabase ?? "oicall_t_" + Guid.NewGuid().ToString("N")[..16];
        (RetentionPublicKey, RetentionPrivateKey) = previous is null ? NewRetentionKeyPair() : (previous.RetentionPublicKey, previous.RetentionPrivateKey);
    }

    /// <summary>This app's retention key pair: the service is given only the public half (as Retention:PublicKey, key id <see cref="RetentionKeyId"/>).</summary>
    public byte[] RetentionPublicKey { get; }
    public byte[] RetentionPrivateKey { get; }
    public const string RetentionKeyId = "test-key";

    private static (byte[] Public, byte[] Private) NewRetentionKeyPair()
    {
        using var pair = Sodium.PublicKeyBox.GenerateKeyPair();
        return (pair.PublicKey, pair.PrivateKey);
    }

    /// <summary>Starts the app; PostgreSQL tests are skipped (or fail, in CI) when no server is configured.</summary>
    /// <param name="realServer">Listen on a real 127.0.0.1 port (for a browser) instead of in memory.</param>
    public static async Task<TestApp> StartAsync(DatabaseProvider provider = DatabaseProvider.Sqlite, Dictionary<string, string?>? settings = null, bool realServer = false)
    {
        if (provider == DatabaseProvider.Postgres && string.IsNullOrEmpty(PostgresServer))
        {
            if (Environment.GetEnvironmentVariable("OICALL_REQUIRE_POSTGRES") == "1")
                Assert.Fail("OICALL_REQUIRE_POSTGRES=1 but OICALL_TEST_POSTGRES is not set.");
            Assert.Skip("No PostgreSQL server (set OICALL_TEST_POSTGRES, as .ci/run does).");
        }
        var app = new TestApp(provider, settings ?? []);
        if (app._postgresDatabase is not null) await app.CreatePostgresDatabaseAsync();
        if (realServer) app.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        app._realServer = realServer;
        app.StartServer();
        return app;
    }

    /// <summary>
    /// Stops a real-server app as its process would stop, keeping its data directory and database
    /// for <see cref="StartAgainAsync"/>; its port is then closed.
    /// </summary>
    public async Task StopAsync()
    {
        if (!_realServer) throw new InvalidOperationException("Only a real server can be stopped and started again.");
        _stoppedOnPort = RootUri.Port;
        await DisposeAsync();
    }

    /// <summary>The app stopped by <see cref="StopAsync"/> started again: same port, data directory (keys, secrets) and database.</summary>
    public TestApp StartAgain()
    {
        if (_stoppedOnPort == 0) throw new InvalidOperationException("StopAsync first.");
        var app = new TestApp(_provider, _settings, this);
        app.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, _stoppedOnPort));
        app._realServer = true;
        app.StartServer();
        return app;
    }

    /// <summary>
    /// Another instance of this real-server app on a port of its own, on the same data directory
    /// (secrets, keys) and database: two web services in front of one edge. Disposing it keeps both.
    /// </summary>
    public TestApp SecondInstance()
    {
        if (!_realServer) throw new InvalidOperationException("Only a real server has a second instance.");
        var app = new TestApp(_provider, _settings, this) { _secondInstance = true, _realServer = true };
        app.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        app.StartServer();
        return app;
    }

    public string PostgresConnectionString => new NpgsqlConnectionStringBuilder(PostgresServer) { Database = _postgresDatabase }.ConnectionString;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        foreach (var (key, value) in Configuration()) builder.UseSetting(key, value);
        builder.ConfigureLogging(logging => logging.AddProvider(ServerErrors).AddProvider(ServerLog));
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Clock);
            services.AddSingleton<IStartupFilter, TestClientAddress>();
        });
    }

    /// <summary>
    /// The configuration this app runs with (in Development), also for running the service as a
    /// process of its own on the same data and database (<c>--key=value</c> each).
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string?>> Configuration()
    {
        var settings = new List<KeyValuePair<string, string?>>
        {
            new("Data:Directory", _dataDirectory),
            new("Database:Provider", _provider.ToString()),
            new("Sms:Provider", "Development"),
            new("Operator:LoginId", "operator"),
            new("Operator:Phone", "010-9999-0000"),
            new("Logging:LogLevel:Default", "Warning"),
            // Tests drive the clock; the background rounds would race them. Tests of housekeeping call it directly.
            new("Housekeeping:Enabled", "false"),
            new("Retention:PublicKey", Convert.ToBase64String(RetentionPublicKey)),
            new("Retention:KeyId", RetentionKeyId),
        };
        if (_provider == DatabaseProvider.Postgres) settings.Add(new("Database:ConnectionString", PostgresConnectionString));
        settings.AddRange(_settings);
        return settings;
    }

    /// <summary>Errors the server logged (unhandled exceptions among them), for tests to show when they fail.</summary>
    public ServerErrorLog ServerErrors { get; } = new();

    /// <summary>Everything the server logged at the levels its configuration lets through (Warning unless a test sets Logging:LogLevel).</summary>
    public CapturedLog ServerLog { get; } = new();

    /// <summary>With a real server: its http://127.0.0.1:PORT address.</summary>
    public Uri RootUri => new(Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
        .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First());

    public DevelopmentSmsSender Sms => Services.GetRequiredService<DevelopmentSmsSender>();

    /// <summary>A client that appears to come from its own IP address (send limits count per IP).</summary>
    public HttpClient Client(string? ip = null)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions
        {
            AllowAutoRedirect = false,
            HandleCookies = true,
            BaseAddress = _realServer ? RootUri : new Uri("http://localhost"),
        });
        client.DefaultRequestHeaders.Add(TestClientAddress.Header, ip ?? $"10.9.{Interlocked.Increment(ref _nextIp) / 250}.{_nextIp % 250 + 1}");
        return client;
    }

    /// <summary>The newest code texted to a number (E.164 or 010-…), or null.</summary>
    /// <summary>The app's data directory (database, keys, uploaded documents).</summary>
    public string DataDirectory => _dataDirectory;

    public string? LastCodeTo(string phone)
    {
        var e164 = OiCall.Web.Infrastructure.KoreanPhone.Parse(phone)?.E164 ?? phone;
        var message = Sms.Messages.FirstOrDefault(m => m.To == e164);
        return message is null ? null : CodePattern().Match(message.Text).Groups[1].Value;
    }

    public int MessagesTo(string phone)
    {
        var e164 = OiCall.Web.Infrastructure.KoreanPhone.Parse(phone)?.E164 ?? phone;
        return Sms.Messages.Count(m => m.To == e164);
    }

    /// <summary>A fresh unit of work on the app's database, for checking what was stored.</summary>
    public AppDbContext Db()
    {
        var scope = Services.CreateScope();
        return scope.ServiceProvider.GetRequiredService<AppDbContext>();
    }

    [GeneratedRegex(@"인증번호 (\d{6})")]
    private static partial Regex CodePattern();

    private async Task CreatePostgresDatabaseAsync()
    {
        await using var connection = new NpgsqlConnection(PostgresServer);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {_postgresDatabase}", connection);
        await command.ExecuteNonQueryAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        // Stopped to be started again: the data stays for the next instance, which deletes it.
        if (_stoppedOnPort != 0 || _secondInstance) return;
        if (_postgresDatabase is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(PostgresServer);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_postgresDatabase} WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Lets a test say which IP a request comes from (the in-memory server has none).</summary>
internal sealed class TestClientAddress : IStartupFilter
{
    public const string Header = "X-Test-Client-Ip";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            if (context.Request.Headers.TryGetValue(Header, out var value) && IPAddress.TryParse(value, out var ip))
                context.Connection.RemoteIpAddress = ip;
            return nextMiddleware(context);
        });
        next(app);
    };
}

public static class Providers
{
    /// <summary>Every account test runs on both databases.</summary>
    public static TheoryData<DatabaseProvider> Both => new(DatabaseProvider.Sqlite, DatabaseProvider.Postgres);
}

/// <summary>Keeps what the server logs at Error level, so a test that got a 500 can say why.</summary>
public sealed class ServerErrorLog : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _errors = new();

    public IReadOnlyCollection<string> Errors => _errors;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(ServerErrorLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) log._errors.Enqueue($"{category}: {formatter(state, exception)}\n{exception}");
        }
    }
}

/// <summary>Keeps every message (with its exception) that reaches it, for tests of what the server writes to its logs.</summary>
public sealed class CapturedLog : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    public string Text => string.Join('\n', _lines);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(CapturedLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            log._lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {state} {exception}");
    }
}
