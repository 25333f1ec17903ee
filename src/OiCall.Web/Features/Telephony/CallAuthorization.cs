using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OiCall.Web.Data;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Features.CallerNumbers;
using OiCall.Web.Features.Ledger;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Telephony;

/// <summary>
/// What the SIP edge asks at call setup and reports at call end. Setup answers with the company
/// number to present and the seconds granted, after holding them; the end settles the hold exactly
/// once per Call-ID and completes the call record.
/// </summary>
public sealed class CallAuthorization(AppDbContext db, LedgerService ledger, CallerNumberRules callerNumbers, TimeProvider clock, IOptions<SipOptions> sip)
{
    public async Task<CallDecision> AuthorizeAsync(string? callId, string? username, string? dialled, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(callId) || callId.Length > 200) throw new AppProblem(TelephonyErrors.BadCallId, "callId");
        var caller = await db.SipCredentials.AsNoTracking().Where(c => c.Username == username)
            .Join(db.Members, c => c.MemberId, m => m.Id, (c, m) => m)
            .Join(db.Businesses, m => m.BusinessId, b => b.Id, (m, b) => new { Member = m, Business = b })
            .SingleOrDefaultAsync(ct);
        if (caller is null) return CallDecision.Refuse(404, "Unknown caller");
        if (caller.Business.CallsSuspended) return CallDecision.Refuse(403, "Business suspended");

        var (destination, refusal) = Destination(dialled, caller.Business);
        if (refusal is not null) return refusal;

        // A repeated setup (the app retransmits, the edge retries) gets the first answer.
        if (await db.CallRecords.AsNoTracking().SingleOrDefaultAsync(r => r.CallId == callId, ct) is { } earlier)
            return earlier.MemberId == caller.Member.Id && earlier.Outcome == CallOutcome.InProgress
                ? new CallDecision(200, "OK", earlier.CallerNumber, destination, earlier.GrantedSeconds)
                : CallDecision.Refuse(403, "Call-ID already used");

        var presented = await callerNumbers.PresentedNumberAsync(caller.Business.Id, caller.Member.Id, ct);
        if (presented is null) return CallDecision.Refuse(403, "No approved caller number");

        var (wanted, limited) = await WithinLimitsAsync(caller.Business, caller.Member.Id, ct);
        if (limited is not null) return limited;

        var hold = await ledger.HoldAsync(caller.Business.Id, caller.Member.Id, callId, wanted, ct);
        if (hold is null) return CallDecision.Refuse(402, "No minutes left");

        db.CallRecords.Add(new CallRecord
        {
            CallId = callId, BusinessId = caller.Business.Id, MemberId = caller.Member.Id, Direction = CallDirection.Outbound,
            CallerNumber = presented.Number, AuthorizedAt = clock.GetUtcNow().UtcDateTime, GrantedSeconds = hold.GrantedSeconds,
            DialledMasked = caller.Business.KeepDialledDigits ? CallRecord.MaskedLastFour(destination) : null,
        });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The same setup recorded at the same moment by a twin request: the hold is shared, the answer the same.
            db.ChangeTracker.Clear();
        }
        return new CallDecision(200, "OK", presented.Number, destination, hold.GrantedSeconds);
    }

    /// <summary>
    /// The call's end. Spoken seconds (never more than granted) are debited once per Call-ID,
    /// whatever repeats, also when the report comes after the hold expired; the record says how it
    /// ended and what was billed. Returns false for a repeat or an unknown call.
    /// </summary>
    public async Task<bool> EndAsync(string? callId, bool answered, long durationSeconds, string? endedBy, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(callId) || callId.Length > 200) throw new AppProblem(TelephonyErrors.BadCallId, "callId");
        var spoken = answered ? Math.Max(0, durationSeconds) : 0;
        // The settle and the record commit together: apart, a crash between them left a settled
        // wallet beside a record billing 0, and repeats (which change nothing) never mended it.
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await ledger.SettleCallAsync(callId, spoken, ct) is not { } billed) return false;

        var now = clock.GetUtcNow().UtcDateTime;
        DateTime? answeredAt = answered ? now - TimeSpan.FromSeconds(billed) : null;
        var by = endedBy is "caller" or "callee" or "edge" ? endedBy : null;
        var outcome = !answered ? CallOutcome.NotAnswered : endedBy == "edge" ? CallOutcome.TimedOut : CallOutcome.Answered;
        // Also replaces Lost: a late report tells the real outcome of a call whose hold had expired.
        await db.CallRecords.Where(r => r.CallId == callId).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.BilledSeconds, billed)
            .SetProperty(r => r.EndedAt, now)
            .SetProperty(r => r.AnsweredAt, answeredAt)
            .SetProperty(r => r.EndedBy, by)
            .SetProperty(r => r.Outcome, outcome), ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>
    /// The operator's limits: calls one member has going (holds not yet ended or expired), and what is
    /// left of the business's daily cap, which also bounds the grant. The SIP reason says which.
    /// (Two setups of the same member in the same instant can both pass the count; the wallet hold
    /// still keeps them from spending the same seconds.)
    /// </summary>
    private async Task<(long Wanted, CallDecision? Refusal)> WithinLimitsAsync(Business business, Guid memberId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var recent = now - TimeSpan.FromSeconds(sip.Value.MaxCallSeconds) - LedgerService.HoldGrace;
        var going = await db.CallRecords.CountAsync(r => r.MemberId == memberId && r.AuthorizedAt > recent
            && r.Direction == CallDirection.Outbound && r.Outcome == CallOutcome.InProgress, ct);
        if (going >= business.MaxCallsPerMember) return (0, CallDecision.Refuse(403, "Too many calls at once"));
        if (business.DailyCallCapSeconds is not { } cap) return (sip.Value.MaxCallSeconds, null);

        var dayStart = Text.SeoulDayStartUtc(now);
        var used = await db.CallRecords.Where(r => r.BusinessId == business.Id && r.AuthorizedAt >= dayStart && r.Direction == CallDirection.Outbound)
            .SumAsync(r => r.Outcome == CallOutcome.InProgress ? r.GrantedSeconds : r.BilledSeconds, ct);
        return cap - used <= 0
            ? (0, CallDecision.Refuse(403, "Daily call limit reached"))
            : (Math.Min(sip.Value.MaxCallSeconds, cap - used), null);
    }

    /// <summary>
    /// Korean domestic numbers by default; premium-rate (060) and international only where the
    /// operator allowed them. Returns the number in E.164, or the refusal.
    /// </summary>
    private static (string? Destination, CallDecision? Refusal) Destination(string? dialled, Business business)
    {
        var typed = (dialled ?? "").Trim();
        var digits = new string(typed.Where(char.IsAsciiDigit).ToArray());
        var international = typed.StartsWith('+') ? !digits.StartsWith("82", StringComparison.Ordinal) : digits.StartsWith("00", StringComparison.Ordinal);
        if (international)
        {
            if (!business.AllowInternational) return (null, CallDecision.Refuse(403, "International calls barred"));
            var e164 = "+" + (typed.StartsWith('+') ? digits : digits[2..].TrimStart('0'));
            return e164.Length is >= 9 and <= 16 ? (e164, null) : (null, CallDecision.Refuse(404, "Invalid number"));
        }
        if (KoreanPhone.Parse(typed) is not { } number) return (null, CallDecision.Refuse(404, "Invalid number"));
        if (KoreanPhone.IsPremiumRate(number.E164) && !business.AllowPremium) return (null, CallDecision.Refuse(403, "Premium-rate numbers barred"));
        return (number.E164, null);
    }
}
