using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OiCall.Web.Data;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Features.CallerNumbers;
using OiCall.Web.Features.Telephony;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Inbound;

public sealed record InboundCallRequest(string? CallId, string? Dialled, string? From);
public sealed record InboundEndRequest(string? CallId, string? AnsweredBy, long DurationSeconds, string? EndedBy);

/// <summary>
/// The edge's answer for a call from the carrier: whom to ring and how, or the SIP refusal.
/// MaxSeconds bounds the answered call (Sip:MaxCallSeconds); inbound calls use no minutes.
/// </summary>
public sealed record InboundDecision(int Code, string Reason, string? Mode = null, int RingSeconds = 0, IReadOnlyList<string>? Targets = null, long MaxSeconds = 0)
{
    public static InboundDecision Refuse(int code, string reason) => new(code, reason);
}

/// <summary>
/// Calls from customers to a company number: which business it belongs to (its verified main
/// number or one of its approved caller numbers), whom to ring, and how the call ended. Inbound
/// calls never touch the ledger; they are kept in the call history, missed ones included.
/// </summary>
public sealed class InboundCalls(AppDbContext db, RingGroups groups, TimeProvider clock, IOptions<SipOptions> sip, Retention.RetentionStore retention)
{
    /// <summary>An inbound call with no end report after this long is closed as lost.</summary>
    public static readonly TimeSpan ReportDeadline = TimeSpan.FromHours(6);

    public async Task<InboundDecision> RouteAsync(string? callId, string? dialled, string? from, CancellationToken ct = default)
    {
        if (!SipLimits.IsCallId(callId)) throw new AppProblem(TelephonyErrors.BadCallId, "callId");
        if (KoreanPhone.Parse(dialled) is not { } number) return InboundDecision.Refuse(404, "Unknown number");
        var business = await BusinessOfAsync(number.E164, ct);
        if (business is null) return InboundDecision.Refuse(404, "Unknown number");
        // No call without its sealed record (통신사실확인자료).
        if (!retention.Ready) return InboundDecision.Refuse(503, "Call records unavailable");

        var targets = await groups.TargetsAsync(business.Id, ct);
        var reachable = !business.CallsSuspended && targets.SipUsernames.Count > 0;
        // A retransmitted or retried setup finds its record and gets the same answer.
        if (!await db.CallRecords.AnyAsync(r => r.CallId == callId, ct))
        {
            var now = clock.GetUtcNow().UtcDateTime;
            db.CallRecords.Add(new CallRecord
            {
                CallId = callId, BusinessId = business.Id, MemberId = null, Direction = CallDirection.Inbound,
                CallerNumber = number.E164, AuthorizedAt = now,
                DialledMasked = business.KeepDialledDigits ? CallRecord.MaskedLastFour(from) : null,
                // Nobody to ring is a missed call at once.
                Outcome = reachable ? CallOutcome.InProgress : CallOutcome.NotAnswered,
                EndedAt = reachable ? null : now,
            });
            var first = true;
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                db.ChangeTracker.Clear(); // a twin request recorded it at the same moment
                first = false;
            }
            if (first)
                await retention.SealAsync(Retention.CallFacts.InboundSetup(callId, business.Id, from, number.E164, now, reachable ? null : CallOutcome.NotAnswered), ct);
        }
        if (!reachable) return InboundDecision.Refuse(480, business.CallsSuspended ? "Business suspended" : "Nobody to ring");
        return new InboundDecision(200, "OK", RingGroups.ModeName(targets.Mode), targets.RingSeconds, targets.SipUsernames, sip.Value.MaxCallSeconds);
    }

    /// <summary>Who answered (a member's SIP username) or nobody (missed). Once per Call-ID; false for repeats and unknown calls.</summary>
    public async Task<bool> EndAsync(string? callId, string? answeredBy, long durationSeconds, string? endedBy, CancellationToken ct = default)
    {
        if (!SipLimits.IsCallId(callId)) throw new AppProblem(TelephonyErrors.BadCallId, "callId");
        var record = await db.CallRecords.AsNoTracking()
            .SingleOrDefaultAsync(r => r.CallId == callId && r.Direction == CallDirection.Inbound && r.Outcome == CallOutcome.InProgress, ct);
        if (record is null) return false;
        var member = string.IsNullOrEmpty(answeredBy) ? null : await db.SipCredentials
            .Where(c => c.Username == answeredBy && c.BusinessId == record.BusinessId).Select(c => (Guid?)c.MemberId).SingleOrDefaultAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var spoken = TimeSpan.FromSeconds(Math.Clamp(durationSeconds, 0, (long)ReportDeadline.TotalSeconds));
        // Only the report that moves the record out of InProgress writes it.
        var updated = await db.CallRecords.Where(r => r.Id == record.Id && r.Outcome == CallOutcome.InProgress)
            .ExecuteUpdateAsync(u => u
                .SetProperty(r => r.MemberId, member)
                .SetProperty(r => r.Outcome, member is null ? CallOutcome.NotAnswered : CallOutcome.Answered)
                .SetProperty(r => r.AnsweredAt, member is null ? null : now - spoken)
                .SetProperty(r => r.EndedAt, now)
                .SetProperty(r => r.EndedBy, endedBy is "caller" or "callee" ? endedBy : null), ct);
        if (updated == 1) await retention.SealAsync(Retention.CallFacts.InboundEnd(record.CallId, record.BusinessId, member, (long)spoken.TotalSeconds, now), ct);
        return updated == 1;
    }

    /// <summary>Inbound calls whose end never came are closed as lost, so they do not show as ringing forever.</summary>
    public Task<int> CloseUnreportedAsync(CancellationToken ct = default)
    {
        var before = clock.GetUtcNow().UtcDateTime - ReportDeadline;
        return db.CallRecords.Where(r => r.Direction == CallDirection.Inbound && r.Outcome == CallOutcome.InProgress && r.AuthorizedAt < before)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Outcome, CallOutcome.Lost).SetProperty(r => r.EndedBy, "expired"), ct);
    }

    private async Task<Business?> BusinessOfAsync(string e164, CancellationToken ct) =>
        await db.Businesses.FirstOrDefaultAsync(b => b.MainNumber == e164 && b.MainNumberState == MainNumberState.Verified, ct)
        ?? await db.CallerNumbers.Where(n => n.Number == e164 && n.State == CallerNumberState.Approved)
            .Join(db.Businesses, n => n.BusinessId, b => b.Id, (n, b) => b).FirstOrDefaultAsync(ct);
}
