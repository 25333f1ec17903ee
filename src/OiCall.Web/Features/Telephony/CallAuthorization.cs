using Npgsql;
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
public sealed class CallAuthorization(AppDbContext db, LedgerService ledger, TimeProvider clock, IOptions<SipOptions> sip, Retention.RetentionStore retention)
{
    public async Task<CallDecision> AuthorizeAsync(string? callId, string? username, string? dialled, string? source = null, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(callId) || callId.Length > 200) throw new AppProblem(TelephonyErrors.BadCallId, "callId");
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
                ? new CallDecision(200, "OK", caller.EarlierCallerNumber, destination, earlierGrant)
                : CallDecision.Refuse(403, "Call-ID already used");

        // The member's own number, else the business default: approved ones only (checked at every
        // call), as CallerNumberRules.PresentedNumberAsync shows it.
        var presented = caller.OwnNumber ?? caller.DefaultNumber;
        if (presented is null) return CallDecision.Refuse(403, "No approved caller number");

        // The operator's limits. (Two setups of the same member in the same instant can both pass
        // the count; the wallet hold still keeps them from spending the same seconds.)
        if (caller.CallsGoing >= business.MaxCallsPerMember) return CallDecision.Refuse(403, "Too many calls at once");
        var wanted = sip.Value.MaxCallSeconds;
        if (business.DailyCallCapSeconds is { } cap)
        {
            if (cap - caller.UsedToday <= 0) return CallDecision.Refuse(403, "Daily call limit reached");
            wanted = Math.Min(wanted, cap - caller.UsedToday);
        }

        CallRecord Record(long granted) => new()
        {
            CallId = callId, BusinessId = business.Id, MemberId = caller.MemberId, Direction = CallDirection.Outbound,
            CallerNumber = presented, AuthorizedAt = now, GrantedSeconds = granted,
            DialledMasked = business.KeepDialledDigits ? CallRecord.MaskedLastFour(destination) : null,
        };
        // No call without its sealed record (통신사실확인자료).
        if (!retention.Ready) return CallDecision.Refuse(503, "Call records unavailable");
        var postgres = db.Database.IsNpgsql();
        // On PostgreSQL the record goes in with the hold (one round trip, one transaction), taking its grant.
        var hold = await ledger.HoldAsync(business.Id, caller.MemberId, callId, wanted, postgres ? RecordSetupOnPostgres(Record(0)) : null, ct);
        if (hold is null) return CallDecision.Refuse(402, "No minutes left");
        await retention.SealAsync(Retention.CallFacts.OutboundSetup(callId, business.Id, caller.MemberId, presented, destination, now, source), ct);
        if (postgres) return new CallDecision(200, "OK", presented, destination, hold.GrantedSeconds);

        db.CallRecords.Add(Record(hold.GrantedSeconds));
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The same setup recorded at the same moment by a twin request: the hold is shared, the answer the same.
            db.ChangeTracker.Clear();
        }
        return new CallDecision(200, "OK", presented, destination, hold.GrantedSeconds);
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
        var recent = now - TimeSpan.FromSeconds(sip.Value.MaxCallSeconds) - LedgerService.HoldGrace;
        var dayStart = Text.SeoulDayStartUtc(now);
        return db is PostgresAppDbContext postgres
            ? CallerOnPostgres(postgres, callId, username, recent, dayStart, ct)
            : CallerOnSqlite((SqliteAppDbContext)db, callId, username, recent, dayStart, ct);
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
        var now = clock.GetUtcNow().UtcDateTime;
        var by = endedBy is "caller" or "callee" or "edge" ? endedBy : null;
        var outcome = !answered ? CallOutcome.NotAnswered : endedBy == "edge" ? CallOutcome.TimedOut : CallOutcome.Answered;

        // The settle and the record commit together: apart, a crash between them left a settled
        // wallet beside a record billing 0, and repeats (which change nothing) never mended it.
        // On PostgreSQL the usual end (hold still held) is one round trip; the rest takes the general way.
        if (db.Database.IsNpgsql() && await ledger.SettleHeldCallOnPostgresAsync(callId, spoken, RecordEndOnPostgres(callId, answered, by, outcome, now), ct) is not null)
            return await SealEndAsync(callId, answered, spoken, outcome, now, ct);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await ledger.SettleCallAsync(callId, spoken, ct) is not { } billed) return false;

        DateTime? answeredAt = answered ? now - TimeSpan.FromSeconds(billed) : null;
        // Also replaces Lost: a late report tells the real outcome of a call whose hold had expired.
        await db.CallRecords.Where(r => r.CallId == callId).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.BilledSeconds, billed)
            .SetProperty(r => r.EndedAt, now)
            .SetProperty(r => r.AnsweredAt, answeredAt)
            .SetProperty(r => r.EndedBy, by)
            .SetProperty(r => r.Outcome, outcome), ct);
        await tx.CommitAsync(ct);
        return await SealEndAsync(callId, answered, spoken, outcome, now, ct);
    }

    // The end's sealed record, once per Call-ID (only the report that settled gets here).
    private async Task<bool> SealEndAsync(string callId, bool answered, long spoken, CallOutcome outcome, DateTime now, CancellationToken ct)
    {
        await retention.SealAsync(Retention.CallFacts.OutboundEnd(callId, answered, spoken, outcome, now), ct);
        return true;
    }

    // The record of a setup whose hold the same batch has just made (none when nothing was held,
    // or when a twin request recorded it first).
    private const string RecordSetupSql = """
        INSERT INTO "CallRecords" ("Id", "CallId", "BusinessId", "MemberId", "Direction", "CallerNumber", "DialledMasked", "AuthorizedAt", "GrantedSeconds", "BilledSeconds", "Outcome")
        SELECT @id, @callId, @business, @member, 0, @callerNumber, @dialledMasked, @now, h."GrantedSeconds", 0, 0
        FROM "CallHolds" h
        WHERE h."CallId" = @callId AND NOT EXISTS (SELECT 1 FROM "CallRecords" r WHERE r."CallId" = @callId)
        """;

    private static NpgsqlBatchCommand RecordSetupOnPostgres(CallRecord record) => new(RecordSetupSql)
    {
        Parameters =
        {
            new NpgsqlParameter<Guid>("id", record.Id),
            new NpgsqlParameter<string>("callId", record.CallId),
            new NpgsqlParameter<Guid>("business", record.BusinessId),
            new NpgsqlParameter<Guid>("member", record.MemberId!.Value),
            new NpgsqlParameter<string>("callerNumber", record.CallerNumber),
            new NpgsqlParameter<string?>("dialledMasked", record.DialledMasked) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar },
            new NpgsqlParameter<DateTime>("now", record.AuthorizedAt),
        },
    };

    // The record of a call whose hold the same batch has just settled (and whose record is not ended yet).
    private const string RecordEndSql = """
        UPDATE "CallRecords" r
        SET "BilledSeconds" = h."SettledSeconds", "EndedAt" = @now, "EndedBy" = @endedBy, "Outcome" = @outcome,
            "AnsweredAt" = CASE WHEN @answered THEN @now - h."SettledSeconds" * INTERVAL '1 second' END
        FROM "CallHolds" h
        WHERE r."CallId" = @callId AND r."EndedAt" IS NULL AND h."CallId" = @callId AND h."State" = 1
        """;

    private static NpgsqlBatchCommand RecordEndOnPostgres(string callId, bool answered, string? endedBy, CallOutcome outcome, DateTime now) => new(RecordEndSql)
    {
        Parameters =
        {
            new NpgsqlParameter<DateTime>("now", now),
            new NpgsqlParameter<string?>("endedBy", endedBy) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar },
            new NpgsqlParameter<int>("outcome", (int)outcome),
            new NpgsqlParameter<bool>("answered", answered),
            new NpgsqlParameter<string>("callId", callId),
        },
    };

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
