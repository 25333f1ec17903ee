using Microsoft.EntityFrameworkCore;
using OiCall.Web.Data;
using OiCall.Web.Features.Postpaid;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Ledger;

public sealed class HousekeepingOptions
{
    /// <summary>Off in tests that drive the clock themselves.</summary>
    public bool Enabled { get; set; } = true;
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// What the ledger needs done without anyone asking: holds whose call never reported its end (its
/// edge was lost) are charged their grant, postpaid months that closed are billed, caller-number documents past their
/// retention are deleted, and kept idempotent answers expire.
/// </summary>
public sealed class LedgerHousekeeping(IServiceScopeFactory scopes, Microsoft.Extensions.Options.IOptions<HousekeepingOptions> options, ILogger<LedgerHousekeeping> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled) return;
        using var timer = new PeriodicTimer(options.Value.Interval);
        var started = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            try
            {
                // Right after a start, edges replay the call ends they spooled while this instance was
                // down: give them the grace period before holds without a report are expired.
                await RunOnceAsync(scopes, stoppingToken, expireHolds: started.Elapsed >= CallHold.Grace);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A database hiccup must not stop the next round.
                log.LogWarning(e, "Ledger housekeeping failed; trying again next round");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public static async Task RunOnceAsync(IServiceScopeFactory scopes, CancellationToken ct, bool expireHolds = true)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        if (expireHolds)
            await services.GetRequiredService<ICallStore>().ExpireHoldsAsync(services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime, ct);
        await services.GetRequiredService<Inbound.InboundCalls>().CloseUnreportedAsync(ct);
        await services.GetRequiredService<Statements>().BillClosedMonthsAsync(ct);
        await services.GetRequiredService<CallerNumbers.CallerNumberRules>().PurgeExpiredDocumentsAsync(ct);
        await IdempotencyMiddleware.PurgeAsync(services.GetRequiredService<AppDbContext>(), services.GetRequiredService<TimeProvider>(), ct);
    }
}
