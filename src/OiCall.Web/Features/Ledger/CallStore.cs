using OiCall.Web.Features.Telephony;

namespace OiCall.Web.Features.Ledger;

/// <summary>A call the edge asks to set up: who calls, with which company number, when, and how long at most.</summary>
public sealed record NewCall(string CallId, Guid BusinessId, Guid MemberId, string CallerNumber, string? DialledMasked, DateTime At, long WantedSeconds);

/// <summary>A call's end as the edge reports it: the seconds spoken (0 when not answered), who hung up, and how it ended.</summary>
public sealed record EndedCall(string CallId, bool Answered, long SpokenSeconds, string? EndedBy, CallOutcome Outcome, DateTime At);

/// <summary>
/// The call path's storage, the one place the two databases differ on it (chosen once at start-up in
/// <see cref="Data.DatabaseSetup"/>): <see cref="PostgresCallStore"/> sends each step as one round trip
/// of batched SQL, <see cref="EfCallStore"/> (SQLite) runs the ledger's own transfers through EF. Both keep
/// the ledger's rules — one transaction per step, a hold and its call record (an end and the record's
/// end) commit together, each Call-ID is held and settled at most once — and the same tests prove it.
/// </summary>
public interface ICallStore
{
    /// <summary>
    /// Holds up to <see cref="NewCall.WantedSeconds"/> of the member's free time and writes the call's
    /// record with the grant. Returns the seconds granted: a repeated Call-ID of the same member keeps
    /// its first grant; null when nothing was held (no free time, or the Call-ID is another member's).
    /// </summary>
    Task<long?> HoldAsync(NewCall call, CancellationToken ct);

    /// <summary>
    /// Settles the call's hold exactly once per Call-ID and ends its record: the spoken seconds (never
    /// more than granted) go to usage, the rest back to the wallet. Returns the seconds billed, or
    /// null for a repeat, an unknown call, or one whose hold expired (charged then: nothing changes).
    /// </summary>
    Task<long?> EndAsync(EndedCall call, CancellationToken ct);

    /// <summary>
    /// Holds past <see cref="CallHold.ExpiryOf"/> (granted time plus grace) without an end report: the
    /// call's edge was lost, so the hold is charged all it was granted (up to its last slice, never
    /// more: the rest of the wallet was never held), and the call's record says Lost, ended by the
    /// edge's loss, billed that. A report that comes later changes nothing. Returns how many expired.
    /// </summary>
    Task<int> ExpireHoldsAsync(DateTime now, CancellationToken ct);
}
