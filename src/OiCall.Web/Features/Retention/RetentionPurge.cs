using Microsoft.Extensions.Options;

namespace OiCall.Web.Features.Retention;

/// <summary>
/// Deletes sealed records once their period is over, every Retention:PurgeInterval on the app's
/// clock (so a test's fake clock drives it too). Starts with a round.
/// </summary>
public sealed class RetentionPurge(IServiceScopeFactory scopes, TimeProvider clock, IOptions<RetentionOptions> options, RetentionKey key, ILogger<RetentionPurge> log)
    : BackgroundService
{
    /// <summary>When the next round runs (null before the first).</summary>
    public DateTime? NextRunAt { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!key.Configured) log.LogWarning("Retention:PublicKey is not configured: calls are refused until it is (see README, 통신사실확인자료)");
        var interval = options.Value.PurgeInterval;
        using var timer = new PeriodicTimer(interval, clock);
        do
        {
            NextRunAt = clock.GetUtcNow().UtcDateTime + interval;
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var purged = await scope.ServiceProvider.GetRequiredService<RetentionStore>().PurgeExpiredAsync(stoppingToken);
                if (purged > 0) log.LogInformation("Deleted {Count} call records past their retention period", purged);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A database hiccup must not stop the next round.
                log.LogWarning(e, "Retention purge failed; trying again next round");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
