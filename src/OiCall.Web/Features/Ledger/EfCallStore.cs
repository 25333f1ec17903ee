using Microsoft.EntityFrameworkCore;
using OiCall.Web.Data;
using OiCall.Web.Features.Telephony;

namespace OiCall.Web.Features.Ledger;

/// <summary>
/// The call path through EF Core, the store on SQLite: each step is one transaction of the ledger's
/// own transfers and the call record. Portable (it takes the accounts' rows in the batched SQL's
/// order), so <see cref="PostgresCallStore"/> hands it the ends its one statement does not cover.
/// </summary>
public sealed class EfCallStore(AppDbContext db, LedgerService ledger, ILogger<EfCallStore> logger) : ICallStore
{
    public async Task<long?> HoldAsync(NewCall call, CancellationToken ct)
    {
        if (call.WantedSeconds <= 0) return null;
        await ledger.EnsureCallAccountsAsync(call.BusinessId, call.MemberId, ct);
        try
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var granted = await ledger.HoldInTransactionAsync(call.BusinessId, call.MemberId, call.CallId, call.WantedSeconds, call.At, ct);
            if (granted > 0)
            {
                // A record with this Call-ID already there (an inbound call's) stays as it is, as on PostgreSQL.
                if (!await db.CallRecords.AnyAsync(r => r.CallId == call.CallId, ct))
                {
                    db.CallRecords.Add(new CallRecord
                    {
                        CallId = call.CallId, BusinessId = call.BusinessId, MemberId = call.MemberId, Direction = CallDirection.Outbound,
                        CallerNumber = call.CallerNumber, DialledMasked = call.DialledMasked, AuthorizedAt = call.At, GrantedSeconds = granted,
                    });
                    await db.SaveChangesAsync(ct);
                }
                await tx.CommitAsync(ct);
                return granted;
            }
        }
        catch (DbUpdateException)
        {
            // The same Call-ID held at the same moment by a twin request: its grant is the answer.
            db.ChangeTracker.Clear();
        }
        return await ledger.EarlierGrantAsync(call.CallId, call.MemberId, ct);
    }

    public async Task<long?> EndAsync(EndedCall call, CancellationToken ct)
    {
        // The settle and the record commit together: apart, a crash between them left a settled
        // wallet beside a record billing 0, and repeats (which change nothing) never mended it.
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await ledger.SettleInTransactionAsync(call.CallId, call.SpokenSeconds, call.At, ct) is not { } billed) return null;

        DateTime? answeredAt = call.Answered ? call.At - TimeSpan.FromSeconds(billed) : null;
        await db.CallRecords.Where(r => r.CallId == call.CallId).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.BilledSeconds, billed)
            .SetProperty(r => r.EndedAt, call.At)
            .SetProperty(r => r.AnsweredAt, answeredAt)
            .SetProperty(r => r.EndedBy, call.EndedBy)
            .SetProperty(r => r.Outcome, call.Outcome), ct);
        await tx.CommitAsync(ct);
        return billed;
    }

    public async Task<int> ExpireHoldsAsync(DateTime now, CancellationToken ct)
    {
        var expired = 0;
        foreach (var callId in await ledger.HoldsDueAsync(now, ct))
        {
            try
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                if (await ledger.ExpireInTransactionAsync(callId, now, ct) is not { } charged) continue;
                // Ended by the edge's loss, billed what was granted; an end settled meanwhile left its record as it is.
                await db.CallRecords.Where(r => r.CallId == callId && r.Outcome == CallOutcome.InProgress)
                    .ExecuteUpdateAsync(s => s.SetProperty(r => r.Outcome, CallOutcome.Lost).SetProperty(r => r.EndedBy, CallRecord.EndedByEdgeLoss)
                        .SetProperty(r => r.BilledSeconds, charged), ct);
                await tx.CommitAsync(ct);
                expired++;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Rolled back; the holds after it still expire.
                db.ChangeTracker.Clear();
                logger.LogError(e, "The hold of call {CallId} could not expire; the other holds go on", callId);
            }
        }
        return expired;
    }
}
