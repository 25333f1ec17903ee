using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OiCall.Web.Data;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Features.CallerNumbers;
using OiCall.Web.Features.Ledger;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Telephony;

/// <summary>
/// What the SIP edge asks at call setup: whether the member may call that number, with which company
/// number, and for how long — the first slice of the call, held with the call's record before the answer.
/// </summary>
public sealed class CallSetup(AppDbContext db, ICallStore calls, TimeProvider clock, IOptions<SipOptions> sip, Retention.RetentionStore retention)
{
    public async Task<CallDecision> AuthorizeAsync(string? callId, string? username, string? dialled, string? source = null, CancellationToken ct = default)
    {
        if (!SipLimits.IsCallId(callId)) throw new AppProblem(TelephonyErrors.BadCallId, "callId");
        var now = clock.GetUtcNow().UtcDateTime;
        var caller = await CallerAsync(callId, username, now, ct);
        if (caller is null) return CallDecision.Refuse(404, "Unknown caller");
        var business = caller.Business;
        if (business.CallsSuspended) return CallDecision.Refuse(403, "Business suspended");

        var (destination, refusal) = Destination(dialled, business);
        if (refusal is not null) return refusal;

        // A repeated setup (the app retransmits, the edge retries) gets the first answer.
        if (caller.EarlierGrant is { } earlierGrant)
            return earlierGrant >= 0
                ? new CallDecision(200, "OK", caller.EarlierCallerNumber, destination, earlierGrant, sip.Value.SessionExpiresSeconds)
                : CallDecision.Refuse(403, "Call-ID already used");

        // The member's own number, else the business default: approved ones only (checked at every
        // call), as CallerNumberRules.PresentedNumberAsync shows it.
        var presented = caller.OwnNumber ?? caller.DefaultNumber;
        if (presented is null) return CallDecision.Refuse(403, "No approved caller number");

        // The operator's limits. (Two setups of the same member in the same instant can both pass
        // the count; the wallet hold still keeps them from spending the same seconds.)
        if (caller.CallsGoing >= business.MaxCallsPerMember) return CallDecision.Refuse(403, "Too many calls at once");
        // The first slice only: the edge asks for each next one (CallSlices).
        var wanted = Math.Min(sip.Value.MaxCallSeconds, sip.Value.SliceSeconds);
        if (business.DailyCallCapSeconds is { } cap)
        {
            if (cap - caller.UsedToday <= 0) return CallDecision.Refuse(403, "Daily call limit reached");
            wanted = Math.Min(wanted, cap - caller.UsedToday);
        }

        // No call without its sealed record (통신사실확인자료).
        if (!retention.Ready) return CallDecision.Refuse(503, "Call records unavailable");
        var dialledMasked = business.KeepDialledDigits ? CallRecord.MaskedLastFour(destination) : null;
        if (await calls.HoldAsync(new NewCall(callId, business.Id, caller.MemberId, presented, dialledMasked, now, wanted), ct) is not { } granted)
            return CallDecision.Refuse(402, "No minutes left");
        await retention.SealAsync(Retention.CallFacts.OutboundSetup(callId, business.Id, caller.MemberId, presented, destination, now, source), ct);
        return new CallDecision(200, "OK", presented, destination, granted, sip.Value.SessionExpiresSeconds);
    }

    /// <summary>
    /// What a setup decides on. EarlierGrant: null when no setup used this Call-ID before, its grant
    /// when it was this member's and the call is still going, else -1.
    /// </summary>
    private sealed record CallerFacts(Guid MemberId, Business Business, string? OwnNumber, string? DefaultNumber,
        int CallsGoing, long UsedToday, long? EarlierGrant, string? EarlierCallerNumber);

    /// <summary>
    /// The member behind the SIP username with their business; their own and the default caller
    /// number if approved; their outbound calls still going (not ended, not past granted time plus
    /// grace); the business's outbound seconds today (Seoul), granted while going, billed once
    /// ended, when it has a daily cap; and an earlier setup with this Call-ID. Compiled once: EF
    /// would otherwise rebuild this tree's cache key on every setup.
    /// </summary>
    private static Func<TContext, string, string?, DateTime, DateTime, CancellationToken, Task<CallerFacts?>> CallerQuery<TContext>() where TContext : AppDbContext =>
        EF.CompileAsyncQuery((TContext db, string callId, string? username, DateTime recent, DateTime dayStart, CancellationToken ct) => (
            from c in db.SipCredentials.AsNoTracking()
            where c.Username == username
            join m in db.Members on c.MemberId equals m.Id
            join b in db.Businesses on m.BusinessId equals b.Id
            select new CallerFacts(
                m.Id,
                b,
                db.CallerNumbers.Where(n => n.Id == m.CallerNumberId && n.BusinessId == b.Id && n.State == CallerNumberState.Approved)
                    .Select(n => n.Number).FirstOrDefault(),
                db.CallerNumbers.Where(n => n.Id == b.DefaultCallerNumberId && n.BusinessId == b.Id && n.State == CallerNumberState.Approved)
                    .Select(n => n.Number).FirstOrDefault(),
                db.CallRecords.Count(r => r.MemberId == m.Id && r.AuthorizedAt > recent
                    && r.Direction == CallDirection.Outbound && r.Outcome == CallOutcome.InProgress),
                b.DailyCallCapSeconds == null ? 0 : db.CallRecords
                    .Where(r => r.BusinessId == b.Id && r.AuthorizedAt >= dayStart && r.Direction == CallDirection.Outbound)
                    .Sum(r => r.Outcome == CallOutcome.InProgress ? r.GrantedSeconds : r.BilledSeconds),
                // Scalars, not a row: SQLite cannot join a row subquery (no APPLY / LATERAL).
                db.CallRecords.Where(r => r.CallId == callId)
                    .Select(r => (long?)(r.MemberId == m.Id && r.Outcome == CallOutcome.InProgress ? r.GrantedSeconds : -1)).FirstOrDefault(),
                db.CallRecords.Where(r => r.CallId == callId).Select(r => r.CallerNumber).FirstOrDefault()))
            .SingleOrDefault());

    // A compiled query belongs to one model: one per provider (tests run both in one process).
    private static readonly Func<PostgresAppDbContext, string, string?, DateTime, DateTime, CancellationToken, Task<CallerFacts?>> CallerOnPostgres =
        CallerQuery<PostgresAppDbContext>();
    private static readonly Func<SqliteAppDbContext, string, string?, DateTime, DateTime, CancellationToken, Task<CallerFacts?>> CallerOnSqlite =
        CallerQuery<SqliteAppDbContext>();

    private Task<CallerFacts?> CallerAsync(string callId, string? username, DateTime now, CancellationToken ct)
    {
        var recent = CallHold.OldestUnexpired(now, sip.Value.MaxCallSeconds);
        var dayStart = SeoulTime.DayStartUtc(now);
        return db is PostgresAppDbContext postgres
            ? CallerOnPostgres(postgres, callId, username, recent, dayStart, ct)
            : CallerOnSqlite((SqliteAppDbContext)db, callId, username, recent, dayStart, ct);
    }

    /// <summary>The dialled number in E.164 when the dial plan lets this business call it, else the refusal.</summary>
    private static (string? Destination, CallDecision? Refusal) Destination(string? dialled, Business business)
    {
        if (DialPlan.Classify(dialled) is not { } destination) return (null, DialPlan.NotANumber);
        var refusal = DialPlan.Refusal(destination.Category, business.AllowInternational, business.AllowPremium);
        return refusal is null ? (destination.E164, null) : (null, refusal);
    }
}
