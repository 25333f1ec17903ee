using System.Data.Common;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace OiCall.Bench;

/// <summary>
/// Counts what goes to the database while a <see cref="Recording"/> is active on the current async
/// flow: EF Core commands, transaction begins, savepoints and commits (EF interceptors), and
/// every command Npgsql itself executes (its "Npgsql" ActivitySource), which includes SQL the
/// service sends with a plain NpgsqlCommand past EF. The recording lives in an AsyncLocal, so only
/// the operation being profiled is counted, never other workers.
/// </summary>
public sealed partial class RoundTripCounter : IDbCommandInterceptor, IDbTransactionInterceptor
{
    private static readonly AsyncLocal<Recording?> Current = new();

    /// <summary>Starts counting on this async flow until the recording is disposed.</summary>
    public static Recording Start() => Current.Value = new Recording();

    /// <summary>
    /// Listens to Npgsql's command activities until disposed. Only while profiling: with a listener
    /// attached Npgsql does a little more work per command, which the throughput runs should not pay.
    /// </summary>
    public static IDisposable ListenToNpgsql()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) =>
                Current.Value is null ? ActivitySamplingResult.None : ActivitySamplingResult.AllData,
            // Stopped, not started: Npgsql sets the statement tag after starting the activity.
            ActivityStopped = activity => Current.Value?.DriverCommand(
                activity.GetTagItem("db.query.text") as string ?? activity.GetTagItem("db.statement") as string ?? activity.DisplayName),
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    public sealed class Recording : IDisposable
    {
        private readonly Lock _lock = new();
        /// <summary>In order: EF's commands, Npgsql's commands (PostgreSQL only: EF's and any sent past EF), BEGIN and COMMIT.</summary>
        public List<(StatementSource Source, string Sql)> Timeline { get; } = [];
        public int Commands { get; private set; }
        public int DriverCommands { get; private set; }
        public int Begins { get; private set; }
        public int Commits { get; private set; }
        /// <summary>SAVEPOINT and RELEASE SAVEPOINT that EF issues around SaveChanges inside a transaction; each is a command of its own.</summary>
        public int Savepoints { get; private set; }

        /// <summary>
        /// Round trips to a PostgreSQL server: every command Npgsql executed, and every commit.
        /// Npgsql sends BEGIN together with the next command, and a pooled connection opens without one.
        /// </summary>
        public int NetworkRoundTrips => DriverCommands + Commits;

        internal void Command(string sql) { lock (_lock) { Commands++; Timeline.Add((StatementSource.EntityFramework, Shorten(sql))); } }
        internal void DriverCommand(string sql) { lock (_lock) { DriverCommands++; Timeline.Add((StatementSource.Npgsql, Shorten(sql))); } }
        internal void Begin() { lock (_lock) { Begins++; Timeline.Add((StatementSource.Transaction, "BEGIN")); } }
        internal void Commit() { lock (_lock) { Commits++; Timeline.Add((StatementSource.Transaction, "COMMIT")); } }
        internal void Savepoint(string sql) { lock (_lock) { Savepoints++; Timeline.Add((StatementSource.Transaction, sql)); } }

        public void Dispose() => Current.Value = null;
    }

    public enum StatementSource { EntityFramework, Npgsql, Transaction }

    private static string Shorten(string sql)
    {
        var oneLine = Whitespace().Replace(sql, " ").Trim();
        return oneLine.Length <= 140 ? oneLine : oneLine[..137] + "...";
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    public InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Current.Value?.Command(command.CommandText);
        return result;
    }

    public ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Current.Value?.Command(command.CommandText);
        return ValueTask.FromResult(result);
    }

    public InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Current.Value?.Command(command.CommandText);
        return result;
    }

    public ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Current.Value?.Command(command.CommandText);
        return ValueTask.FromResult(result);
    }

    public InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        Current.Value?.Command(command.CommandText);
        return result;
    }

    public ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        Current.Value?.Command(command.CommandText);
        return ValueTask.FromResult(result);
    }

    public InterceptionResult<DbTransaction> TransactionStarting(DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result)
    {
        Current.Value?.Begin();
        return result;
    }

    public ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result, CancellationToken cancellationToken = default)
    {
        Current.Value?.Begin();
        return ValueTask.FromResult(result);
    }

    public InterceptionResult TransactionCommitting(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result)
    {
        Current.Value?.Commit();
        return result;
    }

    public ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
    {
        Current.Value?.Commit();
        return ValueTask.FromResult(result);
    }

    public InterceptionResult CreatingSavepoint(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result)
    {
        Current.Value?.Savepoint("SAVEPOINT");
        return result;
    }

    public ValueTask<InterceptionResult> CreatingSavepointAsync(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
    {
        Current.Value?.Savepoint("SAVEPOINT");
        return ValueTask.FromResult(result);
    }

    public InterceptionResult ReleasingSavepoint(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result)
    {
        Current.Value?.Savepoint("RELEASE SAVEPOINT");
        return result;
    }

    public ValueTask<InterceptionResult> ReleasingSavepointAsync(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
    {
        Current.Value?.Savepoint("RELEASE SAVEPOINT");
        return ValueTask.FromResult(result);
    }
}
