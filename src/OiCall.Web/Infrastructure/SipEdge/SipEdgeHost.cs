using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using OiCall.Web.Data;
using OiCall.Web.Features.Telephony;

namespace OiCall.Web.Infrastructure.SipEdge;

/// <summary>
/// Owns the SIP edge when Sip:Enabled is set: starts Kamailio once the app listens (it needs the
/// app's address) and stops it by PID when the app stops. Without Kamailio installed it says so in
/// one line and the web app runs on.
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

    private SipEdgeSettings Settings(SipOptions options) => new()
    {
        Sip = options,
        ControlPlaneUrl = options.ControlPlaneUrl ?? OwnAddress() + "/telephony/v1",
        EdgeSecret = TelephonyApi.EdgeSecret(secrets),
        ConfigPath = options.ConfigPath is { } configured ? Path.GetFullPath(configured, environment.ContentRootPath) : DefaultConfigPath(environment.ContentRootPath),
        RuntimeDirectory = Path.Combine(dataDirectory.Path, "sip-edge"),
        EvapiPort = options.EvapiPort,
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
