using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OiCall.Web.Data;
using OiCall.Web.Features.Ledger;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Telephony;

/// <summary>The edge's answer to a slice question: 200 and the call's whole grant so far, or the refusal (the call ends at the end of the slice it has).</summary>
public sealed record SliceDecision(int Code, string Reason, long GrantedSeconds = 0)
{
    public static SliceDecision Refuse(int code, string reason) => new(code, reason);
}

/// <summary>
/// A call is granted in slices (<see cref="SipOptions.SliceSeconds"/>): <see cref="CallSetup"/> holds
/// the first, and before each slice ends the edge asks here for the next. Each is held from the
/// wallet in one transaction under its own key (a repeated question gets the first answer), never
/// beyond the wallet, MaxCallSeconds or the business's daily cap.
/// </summary>
public sealed class CallSlices(AppDbContext db, LedgerService ledger, TimeProvider clock, IOptions<SipOptions> sip)
{
    /// <summary>Slice <paramref name="slice"/> (2 for the first extension) of the call <paramref name="callId"/>.</summary>
    public async Task<SliceDecision> ExtendAsync(string? callId, int slice, CancellationToken ct = default)
    {
        if (!SipLimits.IsCallId(callId)) throw new AppProblem(TelephonyErrors.BadCallId, "callId");
        if (slice < 2) return SliceDecision.Refuse(400, "Bad slice");
        var now = clock.GetUtcNow().UtcDateTime;
        var hold = await db.CallHolds.AsNoTracking().SingleOrDefaultAsync(h => h.CallId == callId, ct);
        if (hold is null) return SliceDecision.Refuse(404, "Unknown call");

        // A repeat (the edge asked again before the answer came) gets the grant as it is now.
        var key = LedgerService.CallSliceEntryKey(callId, slice);
        if (await db.LedgerEntries.AnyAsync(e => e.IdempotencyKey == key, ct)) return new SliceDecision(200, "OK", hold.GrantedSeconds);
        if (hold.State != HoldState.Held || hold.ExpiresAt <= now) return SliceDecision.Refuse(410, "Call over");
        // Slices come one after the other: the one before must be held (or a wallet that ran dry ends the call at it).
        var previous = LedgerService.CallSliceEntryKey(callId, slice - 1);
        if (!await db.LedgerEntries.AnyAsync(e => e.IdempotencyKey == previous, ct)) return SliceDecision.Refuse(409, "Slice out of order");

        var business = await db.Businesses.IgnoreQueryFilters().AsNoTracking().SingleAsync(b => b.Id == hold.BusinessId, ct);
        if (business.CallsSuspended) return SliceDecision.Refuse(403, "Business suspended");
        var wanted = Math.Min(sip.Value.SliceSeconds, sip.Value.MaxCallSeconds - hold.GrantedSeconds);
        if (business.DailyCallCapSeconds is { } cap)
            wanted = Math.Min(wanted, cap - await UsedTodayAsync(business.Id, now, ct));
        if (wanted <= 0) return SliceDecision.Refuse(403, "Call limit reached");

        long added;
        try
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            added = await ledger.ExtendHoldInTransactionAsync(hold, slice, wanted, ct);
            if (added <= 0) return SliceDecision.Refuse(402, "No minutes left");
            // The record's grant counts against the daily cap while the call goes on.
            await db.CallRecords.Where(r => r.CallId == callId && r.Outcome == CallOutcome.InProgress)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.GrantedSeconds, r => r.GrantedSeconds + added), ct);
            await tx.CommitAsync(ct);
        }
        catch (LedgerService.SliceGoneException)
        {
            db.ChangeTracker.Clear();
            return SliceDecision.Refuse(410, "Call over");
        }
        catch (DbUpdateException)
        {
            // The same slice held at the same moment by a twin question: its grant is the answer.
            db.ChangeTracker.Clear();
            if (!await db.LedgerEntries.AnyAsync(e => e.IdempotencyKey == key, ct)) throw;
        }
        return new SliceDecision(200, "OK", await db.CallHolds.AsNoTracking().Where(h => h.Id == hold.Id).Select(h => h.GrantedSeconds).SingleAsync(ct));
    }

    /// <summary>The business's outbound seconds today (Seoul), as CallSetup counts them: granted while going, billed once ended.</summary>
    private Task<long> UsedTodayAsync(Guid businessId, DateTime now, CancellationToken ct)
    {
        var dayStart = SeoulTime.DayStartUtc(now);
        return db.CallRecords.Where(r => r.BusinessId == businessId && r.AuthorizedAt >= dayStart && r.Direction == CallDirection.Outbound)
            .SumAsync(r => r.Outcome == CallOutcome.InProgress ? r.GrantedSeconds : r.BilledSeconds, ct);
    }
}
