using OiCall.Web.Features.Ledger;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Telephony;

/// <summary>What the SIP edge reports when a call ends: the hold is settled once per Call-ID and the call's record ends with it.</summary>
public sealed class CallEnds(ICallStore calls, TimeProvider clock, Retention.RetentionStore retention)
{
    /// <summary>
    /// The call's end. Spoken seconds (never more than granted) are debited once per Call-ID,
    /// whatever repeats, also when the report comes after the hold expired; the record says how it
    /// ended and what was billed. Returns false for a repeat or an unknown call.
    /// </summary>
    public async Task<bool> EndAsync(string? callId, bool answered, long durationSeconds, string? endedBy, CancellationToken ct = default)
    {
        if (!SipLimits.IsCallId(callId)) throw new AppProblem(TelephonyErrors.BadCallId, "callId");
        var spoken = answered ? Math.Max(0, durationSeconds) : 0;
        var by = endedBy is "caller" or "callee" or "edge" ? endedBy : null;
        var outcome = !answered ? CallOutcome.NotAnswered : endedBy == "edge" ? CallOutcome.TimedOut : CallOutcome.Answered;
        var now = clock.GetUtcNow().UtcDateTime;
        if (await calls.EndAsync(new EndedCall(callId, answered, spoken, by, outcome, now), ct) is null) return false;
        // The end's sealed record, once per Call-ID: only the report that settled gets here.
        await retention.SealAsync(Retention.CallFacts.OutboundEnd(callId, answered, spoken, outcome, now), ct);
        return true;
    }
}
