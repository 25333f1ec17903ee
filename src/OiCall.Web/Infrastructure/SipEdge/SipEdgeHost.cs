using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using OiCall.Web.Data;
using OiCall.Web.Features.Telephony;

namespace OiCall.Web.Infrastructure.SipEdge;

/// <summary>
/// The development edge when Sip:Enabled is set: once the app listens (the edge needs the app's
/// address) it finds the edge a previous start left running, or starts a detached one
/// (<see cref="SipEdgeProcess.StartOrReuseAsync"/>). The edge outlives the app, as a production edge
/// (its own systemd service) does: calls in progress go on and are cut at their grant while the app
/// restarts. Without Kamailio installed it says so in one line and the web app runs on.
/// </summary>
public sealed class SipEdgeHost(
    IOptions<SipOptions> sip, IServer server, IHostApplicationLifetime lifetime, ServerSecrets secrets,
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
        var options = sip.Value;
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
                Edge = await SipEdgeProcess.StartOrReuseAsync(Settings(options), logger, lifetime.ApplicationStopping);
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

    /// <summary>The edge keeps running: only the app stops.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _started.DisposeAsync();
        if (_starting is not null) await _starting;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>The development edge's settings, from this app's configuration and address.</summary>
    public SipEdgeSettings Settings(SipOptions options) => Settings(options, OwnAddress, secrets, dataDirectory, environment.ContentRootPath);

    /// <summary>
    /// What an edge is started with, from the web service's configuration: the one place the
    /// systemd environment file (<see cref="EnvironmentFile"/>) and the development edge get it from.
    /// </summary>
    public static SipEdgeSettings Settings(SipOptions options, Func<string> ownAddress, ServerSecrets secrets, DataDirectory dataDirectory, string contentRoot) => new()
    {
        Sip = options,
        ControlPlaneUrl = options.ControlPlaneUrl ?? ownAddress() + "/telephony/v1",
        EdgeSecret = TelephonyApi.EdgeSecret(secrets),
        ConfigPath = options.ConfigPath is { } configured ? Path.GetFullPath(configured, contentRoot) : DefaultConfigPath(contentRoot),
        RuntimeDirectory = Path.Combine(dataDirectory.Path, "sip-edge"),
        EvapiPort = options.EvapiPort,
    };

    /// <summary>The app's own http address as the edge reaches it (wildcards become loopback).</summary>
    public string OwnAddress()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var address = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException("The SIP edge needs the app on plain HTTP (or Sip:ControlPlaneUrl).");
        var uri = new UriBuilder(address.Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1").Replace("://[::]", "://127.0.0.1").Replace("://0.0.0.0", "://127.0.0.1"));
        if (uri.Host == "localhost") uri.Host = "127.0.0.1";
        return uri.Uri.GetLeftPart(UriPartial.Authority);
    }

    /// <summary>
    /// The environment file of deploy/systemd/oicall-edge.service: the edge's defines (every -A of
    /// <see cref="SipEdgeProcess.Arguments"/>), its configuration file and the secret with its HMAC
    /// pads. Needs Sip:ControlPlaneUrl and a fixed Sip:EvapiPort (a service has no free port to pick).
    /// </summary>
    public static string EnvironmentFile(SipEdgeSettings settings)
    {
        if (settings.EvapiPort <= 0) throw new InvalidOperationException("Sip:EvapiPort must be set for an edge of its own.");
        var arguments = SipEdgeProcess.Arguments(settings);
        var defines = new List<string>();
        for (var i = 0; i < arguments.Count; i++)
            if (arguments[i] == "-A") defines.Add("-A " + arguments[++i]);
        // systemd splits an unquoted $VARIABLE at whitespace: no value may contain any. Its
        // environment files take quotes away unless escaped; the defines' own quotes must stay.
        if (defines.Any(d => d[3..].Any(char.IsWhiteSpace))) throw new InvalidOperationException("SIP edge settings for systemd may not contain whitespace.");
        var (inner, outer) = OiCall.Web.Features.Telephony.EvapiLink.Pads(settings.EdgeSecret);
        return $"""
            # The SIP edge's environment (deploy/systemd/oicall-edge.service), produced from the web
            # service's configuration by `OiCall.Web sip-edge-env`: change the configuration, not this file.
            # It holds the edge secret: owner root, readable by the edge's user only (0640, group oicall-edge).
            OICALL_EDGE_CONFIG={settings.ConfigPath}
            OICALL_EDGE_DEFINES={string.Join(' ', defines).Replace("\"", "\\\"")}
            OICALL_EDGE_SECRET={settings.EdgeSecret}
            OICALL_EVAPI_IPAD={inner}
            OICALL_EVAPI_OPAD={outer}

            """;
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
        services.AddSingleton<EdgeLinks>();
        services.AddHostedService(provider => provider.GetRequiredService<SipEdgeHost>());
        // Started after the edge host: it waits for the edge, then answers its authorizations.
        services.AddHostedService<EdgeAuthorizationLink>();
        return services;
    }
}
