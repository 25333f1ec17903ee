using System.Diagnostics;
using System.Globalization;
using Npgsql;
using OiCall.Benchmarks;

namespace OiCall.Bench;

/// <summary>
/// Where the time went during a measured window: CPU of this process, of the PostgreSQL server and
/// of anything else on the machine; on PostgreSQL also the WAL written and what the backends of the
/// benchmark database were doing (sampled from pg_stat_activity), including which statements
/// waited for row locks.
/// </summary>
public sealed record LoadProfile(double BenchCores, double? PostgresCores, double OtherCores, double? WalBytes, long AllocatedBytes, int[] Collections,
    int Samples, IReadOnlyList<(string State, double Backends)> Backends, IReadOnlyList<(string Statement, double Backends)> LockWaits)
{
    public string Describe(long operations)
    {
        var server = PostgresCores is { } pg ? $", PostgreSQL {pg:F2}" : "";
        var cpu = $"CPU cores: bench process {BenchCores:F2}{server}, kernel and anything else {OtherCores:F2} (of {Environment.ProcessorCount})";
        // The runtime's allocation total can step back when server GC drops a heap (DATAS): then say nothing.
        var perOperation = new List<string>();
        if (operations > 0 && AllocatedBytes >= 0) perOperation.Add($"{AllocatedBytes / operations / 1024.0:F0} kB allocated");
        if (operations > 0 && WalBytes is { } wal) perOperation.Add($"{wal / operations / 1024:F1} kB WAL");
        if (perOperation.Count > 0) cpu += $"; per operation: {string.Join(", ", perOperation)}";
        cpu += $"; GCs gen0/1/2: {string.Join('/', Collections)}";
        if (Backends.Count == 0) return cpu;
        var states = string.Join(", ", Backends.Take(6).Select(b => $"{b.Backends:F1} {b.State}"));
        var waits = string.Concat(LockWaits.Take(3).Select(w => $"\n      {w.Backends:F1} waiting in: {w.Statement}"));
        return $"{cpu}\n    PostgreSQL backends on average ({Samples} samples): {states}{waits}";
    }
}

public sealed class LoadSampler(string? postgresConnectionString)
{
    private static readonly TimeSpan SampleEvery = TimeSpan.FromMilliseconds(50);

    public async Task<LoadProfile?> SampleAsync(TimeSpan delay, TimeSpan duration)
    {
        await Task.Delay(delay);
        NpgsqlConnection? connection = null;
        Dictionary<int, long>? serverBefore = null;
        string? walBefore = null;
        if (postgresConnectionString is not null)
        {
            connection = new NpgsqlConnection(postgresConnectionString);
            await connection.OpenAsync();
            serverBefore = ProcessTicks(await ServerPidsAsync(connection));
            await using var lsn = new NpgsqlCommand("SELECT pg_current_wal_lsn()::text", connection);
            walBefore = (string)(await lsn.ExecuteScalarAsync())!;
        }
        var machineBefore = ProcStat.MachineBusyTicks();
        var processBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        int[] collectionsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        var clock = Stopwatch.StartNew();
        var counts = new Dictionary<string, int>();
        // Which statements wait for row locks tells which rows are hot.
        var lockWaits = new Dictionary<string, int>();
        var samples = 0;
        if (connection is not null)
        {
            await using var query = new NpgsqlCommand("""
                SELECT state, wait_event_type, wait_event, left(query, 110) FROM pg_stat_activity
                WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
                """, connection);
            while (clock.Elapsed < duration)
            {
                await using (var reader = await query.ExecuteReaderAsync())
                    while (await reader.ReadAsync())
                    {
                        var waitType = reader.IsDBNull(1) ? null : reader.GetString(1);
                        var state = Classify(reader.IsDBNull(0) ? "" : reader.GetString(0), waitType, reader.IsDBNull(2) ? null : reader.GetString(2));
                        counts[state] = counts.GetValueOrDefault(state) + 1;
                        if (waitType == "Lock" && !reader.IsDBNull(3))
                        {
                            var statement = string.Join(' ', reader.GetString(3).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
                            lockWaits[statement] = lockWaits.GetValueOrDefault(statement) + 1;
                        }
                    }
                samples++;
                await Task.Delay(SampleEvery);
            }
        }
        else
        {
            await Task.Delay(duration);
        }
        var seconds = clock.Elapsed.TotalSeconds;
        var benchCores = (Process.GetCurrentProcess().TotalProcessorTime - processBefore).TotalSeconds / seconds;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        int[] collections = [.. Enumerable.Range(0, 3).Select(g => GC.CollectionCount(g) - collectionsBefore[g])];
        var machineCores = ProcStat.MachineBusyTicks() - machineBefore is { } busy ? busy / ProcStat.ClockTicksPerSecond / seconds : double.NaN;

        double? postgresCores = null, walBytes = null;
        if (connection is not null)
        {
            // A backend that started during the window counts from zero.
            var serverAfter = ProcessTicks(await ServerPidsAsync(connection));
            postgresCores = serverAfter.Sum(p => p.Value - serverBefore!.GetValueOrDefault(p.Key)) / ProcStat.ClockTicksPerSecond / seconds;
            await using var wal = new NpgsqlCommand("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), @before::pg_lsn)::float8", connection);
            wal.Parameters.AddWithValue("before", walBefore!);
            walBytes = (double)(await wal.ExecuteScalarAsync())!;
            await connection.DisposeAsync();
        }

        List<(string, double)> Averages(Dictionary<string, int> tally) =>
            [.. tally.OrderByDescending(c => c.Value).Select(c => (c.Key, (double)c.Value / Math.Max(samples, 1)))];
        var other = Math.Max(machineCores - benchCores - (postgresCores ?? 0), 0);
        return new LoadProfile(benchCores, postgresCores, other, walBytes, allocated, collections, samples, Averages(counts), Averages(lockWaits));
    }

    private static string Classify(string state, string? waitType, string? waitEvent) => (state, waitType, waitEvent) switch
    {
        ("idle", _, _) => "idle (between transactions)",
        ("idle in transaction", _, _) => "in a transaction, waiting for the app",
        ("active", null, _) => "running",
        ("active", "Lock", "transactionid" or "tuple") => "waiting for a row lock",
        ("active", "IO", "WALSync") or ("active", "LWLock", "WALWrite") => "flushing WAL at commit",
        (_, _, _) => $"{state} {waitType}:{waitEvent}",
    };

    /// <summary>Every process of the server (backends of all databases and its background processes); the server runs on this machine.</summary>
    private static async Task<List<int>> ServerPidsAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("SELECT pid FROM pg_stat_activity", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var pids = new List<int>();
        while (await reader.ReadAsync()) pids.Add(reader.GetInt32(0));
        return pids;
    }

    /// <summary>User + system CPU of each process so far, in clock ticks; processes gone are left out.</summary>
    private static Dictionary<int, long> ProcessTicks(IEnumerable<int> pids) =>
        pids.Select(pid => (pid, stat: ProcStat.Process(pid))).Where(p => p.stat is not null).ToDictionary(p => p.pid, p => p.stat!.Value.Ticks);
}
