using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using OiCall.Web.Data;
using OiCall.Web.Features.Telephony;

namespace OiCall.Web.Features.Ledger;

/// <summary>
/// The call path on PostgreSQL: a call's setup (hold and record) and its end (settle and record) are
/// each one prepared batch — one round trip, one implicit transaction — instead of a dozen ORM round
/// trips, so authorizations stay in the low milliseconds under load. Same ledger rules as
/// <see cref="EfCallStore"/>: double entry with balances after, conditional debits, check constraints,
/// unique Call-ID and entry keys; a missing account makes a statement fail as a whole (NOT NULL),
/// never half-apply. Enum values and keys come from their C# definitions; the accounts of a call
/// are found by the member on its hold row and their kind.
/// </summary>
public sealed class PostgresCallStore(AppDbContext db, LedgerService ledger, EfCallStore portable, ILogger<PostgresCallStore> logger) : ICallStore
{
    // The wallet row is locked while the grant is computed, so two calls never hold the same seconds.
    // The expiry is CallHold.ExpiryOf(now, granted), which is ExpiryOf(now, 0) plus the grant.
    private static readonly string HoldSql = $"""
        WITH take AS (
            SELECT "Id", LEAST("Balance", @wanted) AS granted
            FROM "LedgerAccounts" WHERE "Key" = @wallet AND "Balance" > 0
            FOR UPDATE
        ), debit AS (
            UPDATE "LedgerAccounts" a SET "Balance" = a."Balance" - take.granted
            FROM take WHERE a."Id" = take."Id"
            RETURNING a."Id", a."Balance", take.granted
        ), credit AS (
            UPDATE "LedgerAccounts" a SET "Balance" = a."Balance" + debit.granted
            FROM debit WHERE a."Key" = @hold
            RETURNING a."Id", a."Balance"
        ), entry AS (
            INSERT INTO "LedgerEntries" ("At", "Kind", "FromAccountId", "ToAccountId", "Seconds", "FromBalanceAfter", "ToBalanceAfter", "BusinessId", "MemberId", "IdempotencyKey")
            SELECT @now, {(int)TransferKind.CallHold}, debit."Id", credit."Id", debit.granted, debit."Balance", credit."Balance", @business, @member, @entryKey
            FROM debit LEFT JOIN credit ON TRUE
            RETURNING "Seconds"
        )
        INSERT INTO "CallHolds" ("Id", "CallId", "BusinessId", "MemberId", "GrantedSeconds", "SettledSeconds", "State", "CreatedAt", "ExpiresAt")
        SELECT @id, @callId, @business, @member, entry."Seconds", 0, {(int)HoldState.Held}, @now, @expiresWithoutGrant + entry."Seconds" * INTERVAL '1 second'
        FROM entry
        RETURNING "GrantedSeconds"
        """;

    // The record of a setup whose hold the statement before has just made (none when nothing was
    // held, or when a record with this Call-ID is there already).
    private static readonly string RecordSetupSql = $"""
        INSERT INTO "CallRecords" ("Id", "CallId", "BusinessId", "MemberId", "Direction", "CallerNumber", "DialledMasked", "AuthorizedAt", "GrantedSeconds", "BilledSeconds", "Outcome")
        SELECT @id, @callId, @business, @member, {(int)CallDirection.Outbound}, @callerNumber, @dialledMasked, @now, h."GrantedSeconds", 0, {(int)CallOutcome.InProgress}
        FROM "CallHolds" h
        WHERE h."CallId" = @callId AND NOT EXISTS (SELECT 1 FROM "CallRecords" r WHERE r."CallId" = @callId)
        """;

    // A hold takes the member's wallet row, then the hold account. Its end must take them in the
    // same order, or a hold and an end of the same member can deadlock; inside one statement
    // PostgreSQL runs the CTEs in no promised order, so the end locks them first, in a statement of its own.
    private static readonly string LockForResolveSql = $"""
        SELECT a."Id" FROM "CallHolds" h
        JOIN "LedgerAccounts" a ON a."MemberId" = h."MemberId" AND a."Kind" IN ({(int)LedgerAccountKind.MemberWallet}, {(int)LedgerAccountKind.CallHold})
        WHERE h."CallId" = @callId AND h."State" = {(int)HoldState.Held}
        ORDER BY a."Kind" = {(int)LedgerAccountKind.CallHold}
        FOR UPDATE OF a
        """;

    // Only the statement that moves the hold out of Held moves any time. An expiry settles the whole
    // grant (@spoken is long.MaxValue): its edge was lost, and every granted second may have been spoken.
    private static readonly string ResolveSql = $"""
        WITH h AS (
            UPDATE "CallHolds" SET "State" = @state, "SettledSeconds" = LEAST(GREATEST(@spoken, 0), "GrantedSeconds"), "ResolvedAt" = @now
            WHERE "CallId" = @callId AND "State" = {(int)HoldState.Held}
            RETURNING "BusinessId", "MemberId", "GrantedSeconds" AS granted, "SettledSeconds" AS spoken
        ), held AS (
            UPDATE "LedgerAccounts" a SET "Balance" = a."Balance" - h.granted
            FROM h WHERE a."MemberId" = h."MemberId" AND a."Kind" = {(int)LedgerAccountKind.CallHold}
            RETURNING a."Id", a."Balance"
        ), used AS (
            UPDATE "LedgerAccounts" a SET "Balance" = a."Balance" + h.spoken
            FROM h WHERE a."MemberId" = h."MemberId" AND a."Kind" = {(int)LedgerAccountKind.Usage} AND h.spoken > 0
            RETURNING a."Id", a."Balance"
        ), back AS (
            UPDATE "LedgerAccounts" a SET "Balance" = a."Balance" + (h.granted - h.spoken)
            FROM h WHERE a."MemberId" = h."MemberId" AND a."Kind" = {(int)LedgerAccountKind.MemberWallet} AND h.granted > h.spoken
            RETURNING a."Id", a."Balance"
        ), settle AS (
            INSERT INTO "LedgerEntries" ("At", "Kind", "FromAccountId", "ToAccountId", "Seconds", "FromBalanceAfter", "ToBalanceAfter", "BusinessId", "MemberId", "IdempotencyKey")
            SELECT @now, {(int)TransferKind.CallSettle}, held."Id", used."Id", h.spoken, held."Balance" + (h.granted - h.spoken), used."Balance", h."BusinessId", h."MemberId", @settleKey
            FROM h LEFT JOIN held ON TRUE LEFT JOIN used ON TRUE
            WHERE h.spoken > 0
        ), release AS (
            INSERT INTO "LedgerEntries" ("At", "Kind", "FromAccountId", "ToAccountId", "Seconds", "FromBalanceAfter", "ToBalanceAfter", "BusinessId", "MemberId", "IdempotencyKey")
            SELECT @now, {(int)TransferKind.HoldRelease}, held."Id", back."Id", h.granted - h.spoken, held."Balance", back."Balance", h."BusinessId", h."MemberId", @releaseKey
            FROM h LEFT JOIN held ON TRUE LEFT JOIN back ON TRUE
            WHERE h.granted > h.spoken
        )
        SELECT spoken FROM h
        """;

    // The record of a call whose hold the statement before has just settled (and whose record is not ended yet).
    private static readonly string RecordEndSql = $"""
        UPDATE "CallRecords" r
        SET "BilledSeconds" = h."SettledSeconds", "EndedAt" = @now, "EndedBy" = @endedBy, "Outcome" = @outcome,
            "AnsweredAt" = CASE WHEN @answered THEN @now - h."SettledSeconds" * INTERVAL '1 second' END
        FROM "CallHolds" h
        WHERE r."CallId" = @callId AND r."EndedAt" IS NULL AND h."CallId" = @callId AND h."State" = {(int)HoldState.Settled}
        """;

    // The record of a call whose hold the statement before has just expired (charged its grant: the edge
    // was lost); an end settled meanwhile left its record as it is.
    private static readonly string RecordLostSql = $"""
        UPDATE "CallRecords" r
        SET "Outcome" = {(int)CallOutcome.Lost}, "EndedBy" = @endedBy, "BilledSeconds" = h."SettledSeconds"
        FROM "CallHolds" h
        WHERE r."CallId" = @callId AND r."Outcome" = {(int)CallOutcome.InProgress} AND h."CallId" = @callId AND h."State" = {(int)HoldState.Expired}
        """;

    public async Task<long?> HoldAsync(NewCall call, CancellationToken ct)
    {
        if (call.WantedSeconds <= 0) return null;
        await ledger.EnsureCallAccountsAsync(call.BusinessId, call.MemberId, ct);
        long granted;
        try
        {
            granted = await ExecuteAsync(0, ct, HoldCommand(call), RecordSetupCommand(call)) ?? 0;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // The same Call-ID was held before, or at the same moment elsewhere.
            granted = 0;
        }
        return granted > 0 ? granted : await ledger.EarlierGrantAsync(call.CallId, call.MemberId, ct);
    }

    public async Task<long?> EndAsync(EndedCall call, CancellationToken ct) =>
        // The usual end (the hold still held) is one round trip; a repeat or an expired hold takes the general way.
        await ExecuteAsync(1, ct, LockForResolveCommand(call.CallId), ResolveCommand(call.CallId, HoldState.Settled, call.SpokenSeconds, call.At), RecordEndCommand(call))
        ?? await portable.EndAsync(call, ct);

    public async Task<int> ExpireHoldsAsync(DateTime now, CancellationToken ct)
    {
        var expired = 0;
        foreach (var callId in await ledger.HoldsDueAsync(now, ct))
        {
            try
            {
                if (await ExecuteAsync(1, ct, LockForResolveCommand(callId), ResolveCommand(callId, HoldState.Expired, long.MaxValue, now), RecordLostCommand(callId)) is not null)
                    expired++;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Its batch changed nothing; the holds after it still expire.
                logger.LogError(e, "The hold of call {CallId} could not expire; the other holds go on", callId);
            }
        }
        return expired;
    }

    /// <summary>
    /// Runs the statements as one batch on the context's connection: one round trip, one implicit
    /// transaction (when a later statement fails, the earlier ones are undone). Returns the first
    /// value of the rows the statement at <paramref name="answerAt"/> returned, or null for none.
    /// </summary>
    private async Task<long?> ExecuteAsync(int answerAt, CancellationToken ct, params NpgsqlBatchCommand[] commands)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var batch = new NpgsqlBatch((NpgsqlConnection)db.Database.GetDbConnection());
            foreach (var command in commands) batch.BatchCommands.Add(command);
            // Prepared once per pooled connection (later calls find it there): parsing and planning
            // these statements cost PostgreSQL more CPU than running them.
            await batch.PrepareAsync(ct);
            await using var reader = await batch.ExecuteReaderAsync(ct);
            for (var i = 0; i < answerAt; i++) await reader.NextResultAsync(ct);
            return await reader.ReadAsync(ct) ? reader.GetInt64(0) : null;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static NpgsqlBatchCommand HoldCommand(NewCall call) => new(HoldSql)
    {
        Parameters =
        {
            new NpgsqlParameter<long>("wanted", call.WantedSeconds),
            new NpgsqlParameter<string>("wallet", LedgerService.WalletKey(call.MemberId)),
            new NpgsqlParameter<string>("hold", LedgerService.HoldKey(call.MemberId)),
            new NpgsqlParameter<DateTime>("now", call.At),
            new NpgsqlParameter<Guid>("business", call.BusinessId),
            new NpgsqlParameter<Guid>("member", call.MemberId),
            new NpgsqlParameter<string>("entryKey", LedgerService.CallHoldEntryKey(call.CallId)),
            new NpgsqlParameter<Guid>("id", Guid.CreateVersion7()),
            new NpgsqlParameter<string>("callId", call.CallId),
            new NpgsqlParameter<DateTime>("expiresWithoutGrant", CallHold.ExpiryOf(call.At, 0)),
        },
    };

    private static NpgsqlBatchCommand RecordSetupCommand(NewCall call) => new(RecordSetupSql)
    {
        Parameters =
        {
            new NpgsqlParameter<Guid>("id", Guid.CreateVersion7()),
            new NpgsqlParameter<string>("callId", call.CallId),
            new NpgsqlParameter<Guid>("business", call.BusinessId),
            new NpgsqlParameter<Guid>("member", call.MemberId),
            new NpgsqlParameter<string>("callerNumber", call.CallerNumber),
            new NpgsqlParameter<string?>("dialledMasked", call.DialledMasked) { NpgsqlDbType = NpgsqlDbType.Varchar },
            new NpgsqlParameter<DateTime>("now", call.At),
        },
    };

    private static NpgsqlBatchCommand LockForResolveCommand(string callId) => new(LockForResolveSql)
    {
        Parameters = { new NpgsqlParameter<string>("callId", callId) },
    };

    private static NpgsqlBatchCommand ResolveCommand(string callId, HoldState outcome, long spokenSeconds, DateTime now) => new(ResolveSql)
    {
        Parameters =
        {
            new NpgsqlParameter<int>("state", (int)outcome),
            // An expiry charges all that was granted: long.MaxValue, cut to the grant by the statement.
            new NpgsqlParameter<long>("spoken", spokenSeconds),
            new NpgsqlParameter<DateTime>("now", now),
            new NpgsqlParameter<string>("callId", callId),
            new NpgsqlParameter<string>("settleKey", LedgerService.CallSettleEntryKey(callId)),
            new NpgsqlParameter<string>("releaseKey", LedgerService.HoldReleaseEntryKey(callId)),
        },
    };

    private static NpgsqlBatchCommand RecordEndCommand(EndedCall call) => new(RecordEndSql)
    {
        Parameters =
        {
            new NpgsqlParameter<DateTime>("now", call.At),
            new NpgsqlParameter<string?>("endedBy", call.EndedBy) { NpgsqlDbType = NpgsqlDbType.Varchar },
            new NpgsqlParameter<int>("outcome", (int)call.Outcome),
            new NpgsqlParameter<bool>("answered", call.Answered),
            new NpgsqlParameter<string>("callId", call.CallId),
        },
    };

    private static NpgsqlBatchCommand RecordLostCommand(string callId) => new(RecordLostSql)
    {
        Parameters =
        {
            new NpgsqlParameter<string>("endedBy", CallRecord.EndedByEdgeLoss),
            new NpgsqlParameter<string>("callId", callId),
        },
    };
}
