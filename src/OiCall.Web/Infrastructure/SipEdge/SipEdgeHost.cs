using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using OiCall.Web.Data;
using OiCall.Web.Features.Telephony;

namespace OiCall.Web.Infrastructure.SipEdge;

/// <summary>
/// Configuration "Sip" for the edge process, besides the members' settings in SipOptions:
/// Sip:Enabled starts it with the app; Sip:ListenAddress, Sip:Port, Sip:Domain, Sip:TrunkHost,
/// Sip:TrunkPort, Sip:ConfigPath (deploy/kamailio/kamailio.cfg), Sip:ControlPlaneUrl (default:
/// this app's own address), Sip:KamailioPath, Sip:EvapiPort (0: any free port on 127.0.0.1); the
/// public side's guard: Sip:FloodRequests per Sip:FloodWindowSeconds (16 per 2 s) and
/// Sip:AuthFailuresToBan per Sip:AuthFailureWindowSeconds (10 per 600 s) from one source IP ban it
/// for Sip:BanSeconds (300); for benchmarks only Sip:FixedGrant and Sip:AuthTiming.
/// </summary>
public sealed class SipEdgeOptions
{
    public bool Enabled { get; set; }
    public string ListenAddress { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 5060;
    public string Domain { get; set; } = "127.0.0.1";
    public string TrunkHost { get; set; } = "127.0.0.1";
    public int TrunkPort { get; set; } = 5070;
    public string? ConfigPath { get; set; }
    public string? ControlPlaneUrl { get; set; }
    public string KamailioPath { get; set; } = "kamailio";
    public int FloodRequests { get; set; } = 16;
    public int FloodWindowSeconds { get; set; } = 2;
    public int BanSeconds { get; set; } = 300;
    public int AuthFailuresToBan { get; set; } = 10;
    public int AuthFailureWindowSeconds { get; set; } = 600;
    public int EvapiPort { get; set; }
    public bool FixedGrant { get; set; }
    public bool AuthTiming { get; set; }
}

/// <summary>
/// Owns the SIP edge when Sip:Enabled is set: starts Kamailio once the app listens (it needs the
/// app's address) and stops it by PID when the app stops. Without Kamailio installed it says so in
/// one line and the web app runs on.
/// </summary>
public sealed class SipEdgeHost(
    IConfiguration configuration, IServer server, IHostApplicationLifetime lifetime, ServerSecrets secrets,
    DataDirectory dataDirectory, IWebHostEnvironment environment, ILogger<SipEdgeHost> logger) : IHostedService, IAsyncDisposable
{
    private CancellationTokenRegistration _started;
    private Task? _starting;

    /// <summary>The running edge, or null (disabled, not installed, failed or not yet started).</summary>
    public SipEdgeProcess? Edge { get; private set; }

    /// <summary>Completes when the edge has started or given up (tests wait on it).</summary>
    public Task Ready => _starting ?? Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var options = Options();
        if (!options.Enabled) return Task.CompletedTask;
        if (SipEdgeProcess.FindKamailio(options.KamailioPath) is null)
        {
            logger.LogWarning("SIP edge disabled: Kamailio is not installed (apt-get install kamailio kamailio-utils-modules kamailio-extra-modules kamailio-sqlite-modules); the web app runs without calls.");
            return Task.CompletedTask;
        }
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _starting = ready.Task;
        _started = lifetime.ApplicationStarted.Register(() => _ = Task.Run(async () =>
        {
            try
            {
                Edge = await SipEdgeProcess.StartAsync(Settings(options), logger, lifetime.ApplicationStopping);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "SIP edge did not start");
            }
            finally
            {
                ready.TrySetResult();
            }
        }));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _started.DisposeAsync();
        if (_starting is not null) await _starting;
        if (Edge is { } edge) await edge.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Edge is { } edge) await edge.DisposeAsync();
    }

    private SipEdgeOptions Options()
    {
        var options = new SipEdgeOptions();
        configuration.GetSection("Sip").Bind(options);
        return options;
    }

    private SipEdgeSettings Settings(SipEdgeOptions options) => new()
    {
        ListenAddress = options.ListenAddress,
        Port = options.Port,
        Domain = options.Domain,
        TrunkHost = options.TrunkHost,
        TrunkPort = options.TrunkPort,
        ControlPlaneUrl = options.ControlPlaneUrl ?? OwnAddress() + "/telephony/v1",
        EdgeSecret = TelephonyApi.EdgeSecret(secrets),
        ConfigPath = options.ConfigPath is { } configured ? Path.GetFullPath(configured, environment.ContentRootPath) : DefaultConfigPath(environment.ContentRootPath),
        RuntimeDirectory = Path.Combine(dataDirectory.Path, "sip-edge"),
        KamailioPath = options.KamailioPath,
        FloodRequests = options.FloodRequests,
        FloodWindowSeconds = options.FloodWindowSeconds,
        BanSeconds = options.BanSeconds,
        AuthFailuresToBan = options.AuthFailuresToBan,
        AuthFailureWindowSeconds = options.AuthFailureWindowSeconds,
        EvapiPort = options.EvapiPort > 0 ? options.EvapiPort : SipEdgeProcess.FreeTcpPort(),
        FixedGrant = options.FixedGrant,
        AuthTiming = options.AuthTiming,
    };

    /// <summary>The app's own http address as the edge reaches it (wildcards become loopback).</summary>
    private string OwnAddress()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var address = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException("The SIP edge needs the app on plain HTTP (or Sip:ControlPlaneUrl).");
        var uri = new UriBuilder(address.Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1").Replace("://[::]", "://127.0.0.1").Replace("://0.0.0.0", "://127.0.0.1"));
        if (uri.Host == "localhost") uri.Host = "127.0.0.1";
        return uri.Uri.GetLeftPart(UriPartial.Authority);
    }

    /// <summary>deploy/kamailio/kamailio.cfg in the nearest folder above the content root (the repository).</summary>
    public static string DefaultConfigPath(string contentRoot)
    {
        for (var folder = new DirectoryInfo(contentRoot); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "deploy", "kamailio", "kamailio.cfg");
            if (File.Exists(candidate)) return candidate;
        }
        return Path.Combine(contentRoot, "deploy", "kamailio", "kamailio.cfg");
    }
}

public static class SipEdgeRegistration
{
    /// <summary>The SIP edge process, started with the app when Sip:Enabled is true.</summary>
    public static IServiceCollection AddSipEdge(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<SipEdgeHost>();
        services.AddHostedService(provider => provider.GetRequiredService<SipEdgeHost>());
        // Started after the edge host: it waits for the edge, then answers its authorizations.
        services.AddHostedService<EdgeAuthorizationLink>();
        return services;
    }
}
