using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using OiCall.Web.Data;

namespace OiCall.Web.Features.Ledger;

/// <summary>
/// The call plane's hot path on PostgreSQL: a hold, and a hold's end, are each one statement (one
/// round trip, one transaction) instead of a dozen ORM round trips, so authorizations stay in the
/// low milliseconds under load. Same ledger rules as the portable path in <see cref="LedgerService"/>:
/// double entry with balances after, conditional debits, check constraints, unique Call-ID and
/// entry keys; a missing account makes the statement fail as a whole (NOT NULL), never half-apply.
/// </summary>
internal static class CallHoldsOnPostgres
{
    // The wallet row is locked while the grant is computed, so two calls never hold the same seconds.
    private const string HoldSql = """
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
            SELECT @now, 4, debit."Id", credit."Id", debit.granted, debit."Balance", credit."Balance", @business, @member, @entryKey
            FROM debit LEFT JOIN credit ON TRUE
            RETURNING "Seconds"
        )
        INSERT INTO "CallHolds" ("Id", "CallId", "BusinessId", "MemberId", "GrantedSeconds", "SettledSeconds", "State", "CreatedAt", "ExpiresAt")
        SELECT @id, @callId, @business, @member, entry."Seconds", 0, 0, @now, @now + (entry."Seconds" + @graceSeconds) * INTERVAL '1 second'
        FROM entry
        RETURNING "GrantedSeconds"
        """;

    // Only the statement that moves the hold out of Held (State 0) moves any time.
    private const string ResolveSql = """
        WITH h AS (
            UPDATE "CallHolds" SET "State" = @state, "SettledSeconds" = LEAST(GREATEST(@spoken, 0), "GrantedSeconds"), "ResolvedAt" = @now
            WHERE "CallId" = @callId AND "State" = 0
            RETURNING "BusinessId", "MemberId", "GrantedSeconds" AS granted, "SettledSeconds" AS spoken,
                'hold:' || replace("MemberId"::text, '-', '') AS hold_key,
                'wallet:' || replace("MemberId"::text, '-', '') AS wallet_key,
                'usage:' || replace("MemberId"::text, '-', '') AS usage_key
        ), held AS (
            UPDATE "LedgerAccounts" a SET "Balance" = a."Balance" - h.granted
            FROM h WHERE a."Key" = h.hold_key
            RETURNING a."Id", a."Balance"
        ), used AS (
            UPDATE "LedgerAccounts" a SET "Balance" = a."Balance" + h.spoken
            FROM h WHERE a."Key" = h.usage_key AND h.spoken > 0
            RETURNING a."Id", a."Balance"
        ), back AS (
            UPDATE "LedgerAccounts" a SET "Balance" = a."Balance" + (h.granted - h.spoken)
            FROM h WHERE a."Key" = h.wallet_key AND h.granted > h.spoken
            RETURNING a."Id", a."Balance"
        ), settle AS (
            INSERT INTO "LedgerEntries" ("At", "Kind", "FromAccountId", "ToAccountId", "Seconds", "FromBalanceAfter", "ToBalanceAfter", "BusinessId", "MemberId", "IdempotencyKey")
            SELECT @now, 5, held."Id", used."Id", h.spoken, held."Balance" + (h.granted - h.spoken), used."Balance", h."BusinessId", h."MemberId", 'settle:' || @callId
            FROM h LEFT JOIN held ON TRUE LEFT JOIN used ON TRUE
            WHERE h.spoken > 0
        ), release AS (
            INSERT INTO "LedgerEntries" ("At", "Kind", "FromAccountId", "ToAccountId", "Seconds", "FromBalanceAfter", "ToBalanceAfter", "BusinessId", "MemberId", "IdempotencyKey")
            SELECT @now, 6, held."Id", back."Id", h.granted - h.spoken, held."Balance", back."Balance", h."BusinessId", h."MemberId", 'release:' || @callId
            FROM h LEFT JOIN held ON TRUE LEFT JOIN back ON TRUE
            WHERE h.granted > h.spoken
        )
        SELECT spoken FROM h
        """;

    // A hold takes the member's wallet row, then the hold account. The end must take them in the
    // same order, or a hold and an end of the same member can deadlock; inside one statement
    // PostgreSQL runs the CTEs in no promised order, so the end locks them first, in its own statement.
    private const string LockForResolveSql = """
        SELECT a."Id" FROM "CallHolds" h
        JOIN "LedgerAccounts" a ON a."Key" IN ('wallet:' || replace(h."MemberId"::text, '-', ''), 'hold:' || replace(h."MemberId"::text, '-', ''))
        WHERE h."CallId" = @callId AND h."State" = 0
        ORDER BY a."Kind"
        FOR UPDATE OF a
        """;

    /// <summary>
    /// Seconds granted, or 0 when the wallet is empty. Throws a unique violation when the Call-ID was
    /// held before. <paramref name="alongside"/> runs in the same implicit transaction right after
    /// (it sees the new hold; when it fails, nothing was held).
    /// </summary>
    public static async Task<long> HoldAsync(AppDbContext db, Guid businessId, Guid memberId, string callId, long wantedSeconds, DateTime now, CancellationToken ct,
        NpgsqlBatchCommand? alongside = null)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var batch = new NpgsqlBatch((NpgsqlConnection)db.Database.GetDbConnection())
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand(HoldSql)
                    {
                        Parameters =
                        {
                            new NpgsqlParameter<long>("wanted", wantedSeconds),
                            new NpgsqlParameter<string>("wallet", LedgerService.WalletKey(memberId)),
                            new NpgsqlParameter<string>("hold", LedgerService.HoldKey(memberId)),
                            new NpgsqlParameter<DateTime>("now", now),
                            new NpgsqlParameter<Guid>("business", businessId),
                            new NpgsqlParameter<Guid>("member", memberId),
                            new NpgsqlParameter<string>("entryKey", $"hold:{callId}"),
                            new NpgsqlParameter<Guid>("id", Guid.CreateVersion7()),
                            new NpgsqlParameter<string>("callId", callId),
                            new NpgsqlParameter<long>("graceSeconds", (long)LedgerService.HoldGrace.TotalSeconds),
                        },
                    },
                },
            };
            if (alongside is not null) batch.BatchCommands.Add(alongside);
            // Prepared once per pooled connection (later calls find it there): parsing and planning
            // these statements cost PostgreSQL more CPU than running them.
            await batch.PrepareAsync(ct);
            return await batch.ExecuteScalarAsync(ct) is long granted ? granted : 0;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// The seconds settled when this call moved the hold out of Held; null when it was resolved before
    /// (or never held). Inside the context's transaction when it has one (the end and its call record
    /// commit together), otherwise a transaction of its own.
    /// </summary>
    public static async Task<long?> ResolveAsync(AppDbContext db, string callId, HoldState outcome, long spokenSeconds, DateTime now, CancellationToken ct,
        NpgsqlBatchCommand? alongside = null)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            // One round trip, one implicit transaction (or the caller's): the lock statement, then the move.
            await using var batch = new NpgsqlBatch((NpgsqlConnection)db.Database.GetDbConnection())
            {
                Transaction = (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction(),
                BatchCommands =
                {
                    new NpgsqlBatchCommand(LockForResolveSql) { Parameters = { new NpgsqlParameter<string>("callId", callId) } },
                    new NpgsqlBatchCommand(ResolveSql)
                    {
                        Parameters =
                        {
                            new NpgsqlParameter<int>("state", (int)outcome),
                            new NpgsqlParameter<long>("spoken", outcome == HoldState.Settled ? spokenSeconds : 0L),
                            new NpgsqlParameter<DateTime>("now", now),
                            new NpgsqlParameter<string>("callId", callId),
                        },
                    },
                },
            };
            if (alongside is not null) batch.BatchCommands.Add(alongside);
            await batch.PrepareAsync(ct);
            await using var reader = await batch.ExecuteReaderAsync(ct);
            await reader.NextResultAsync(ct);
            return await reader.ReadAsync(ct) ? reader.GetInt64(0) : null;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
