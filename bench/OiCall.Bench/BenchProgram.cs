using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using OiCall.Web.Data;

namespace OiCall.Bench;

/// <summary>
/// The ledger benchmark (bench/README.md): seeds a fresh database with a fixed dataset, then
/// measures coupon redemptions, distributions and hold+settle pairs per second with concurrent
/// workers, and the latency of history pages.
/// </summary>
public static class BenchProgram
{
    /// <summary>What the service must reach (bench/README.md): the report says met or not met against these.</summary>
    private const double TargetPairsPerSecond = 2_000;
    private const double TargetHistoryMedianMs = 30;

    public static async Task<int> Main(string[] args)
    {
        // Numbers print the same on every machine (1,234.5).
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        BenchOptions options;
        try
        {
            options = BenchOptions.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(BenchOptions.Usage);
            return 2;
        }

        var startedAt = DateTime.UtcNow;
        // Other work on the machine skews every figure: say how busy it was (during the run, the CPU lines tell).
        var loadAtStart = LoadAverage();
        await using var host = await BenchHost.CreateAsync(options);
        Console.WriteLine($"{host.Description}");
        Console.WriteLine($"seeding {options.Businesses} businesses × {options.MembersPerBusiness:N0} members and {options.Entries:N0} ledger entries");
        var seedClock = Stopwatch.StartNew();
        var dataset = await Seeder.SeedAsync(host, options);
        var seedSeconds = seedClock.Elapsed.TotalSeconds;
        var unbalanced = await Seeder.UnbalancedAccountsAsync(host);
        Console.WriteLine($"accounts whose balance differs from the sum of their entries: {unbalanced}");
        if (unbalanced != 0) return 1;

        var workloads = new Workloads(host, dataset);
        await workloads.LoadEntryRangeAsync();
        if (options.Runs("redeem"))
        {
            var issue = Stopwatch.StartNew();
            await workloads.IssueCodesAsync(options.Coupons);
            Console.WriteLine($"issued {options.Coupons:N0} coupon codes: {issue.Elapsed.TotalSeconds:F1} s");
        }

        var roundTrip = await workloads.PostgresRoundTripMicrosecondsAsync();
        if (roundTrip is not null) Console.WriteLine($"one round trip to PostgreSQL (SELECT 1, median): {roundTrip:F0} µs");
        var profiles = await workloads.ProfileAsync();
        PrintProfiles(profiles, host.Provider == DatabaseProvider.Postgres, options.ShowSql);

        Console.WriteLine("measuring");
        var sampler = new LoadSampler(host.Provider == DatabaseProvider.Postgres ? host.ConnectionString : null);
        var throughput = new List<ThroughputResult>();
        if (options.Runs("redeem"))
            throughput.Add(await Measure.ThroughputAsync("coupon redemption", options.Workers, options.Warmup, options.Duration, workloads.RedeemAsync, sampler));
        if (options.Runs("distribute"))
            throughput.Add(await Measure.ThroughputAsync("distribution", options.Workers, options.Warmup, options.Duration, workloads.DistributeAsync, sampler));
        if (options.Runs("hold"))
        {
            // One worker shows the cost of a pair alone; the configured workers show how it scales.
            throughput.Add(await Measure.ThroughputAsync("hold+settle pair", 1, options.Warmup, options.Duration, workloads.HoldAndSettleAsync, sampler));
            if (options.Workers > 1)
                throughput.Add(await Measure.ThroughputAsync("hold+settle pair", options.Workers, options.Warmup, options.Duration, workloads.HoldAndSettleAsync, sampler));
        }
        if (options.Runs("call"))
        {
            throughput.Add(await Measure.ThroughputAsync("call (authorize+end)", 1, options.Warmup, options.Duration, workloads.CallAsync, sampler));
            if (options.Workers > 1)
                throughput.Add(await Measure.ThroughputAsync("call (authorize+end)", options.Workers, options.Warmup, options.Duration, workloads.CallAsync, sampler));
        }
        var history = new List<LatencyResult>();
        if (options.Runs("history"))
            foreach (var historyCase in workloads.HistoryCases())
                history.Add(await Measure.LatencyAsync(historyCase.Name, options.HistoryRequests, r => workloads.HistoryPageAsync(historyCase, r)));

        var unbalancedAfter = await Seeder.UnbalancedAccountsAsync(host);
        Console.WriteLine($"after the measurements, accounts whose balance differs from the sum of their entries: {unbalancedAfter}");

        Console.WriteLine();
        Console.WriteLine(Report(host, dataset, startedAt, loadAtStart, seedSeconds, roundTrip, profiles, throughput, history));
        return unbalancedAfter == 0 ? 0 : 1;
    }

    private static void PrintProfiles(IReadOnlyList<OperationProfile> profiles, bool postgres, bool showSql)
    {
        Console.WriteLine(postgres
            ? "round trips per operation (commands Npgsql executed, of them through EF; COMMITs; BEGIN travels with the next command):"
            : "statements per operation (EF commands, SAVEPOINT/RELEASE, BEGIN, COMMIT; SQLite runs in-process, no network):");
        foreach (var p in profiles)
        {
            Console.WriteLine(postgres
                ? $"  {p.Name}: {p.PostgresRoundTrips} round trips = {p.DriverCommands} commands ({p.EfCommands} through EF) + {p.Commits} COMMIT"
                : $"  {p.Name}: {p.EfCommands} commands, {p.Savepoints} savepoint statements, {p.Begins} BEGIN, {p.Commits} COMMIT");
            if (showSql)
                foreach (var sql in p.Statements) Console.WriteLine($"      {sql}");
        }
    }

    private static string Report(BenchHost host, Dataset dataset, DateTime startedAt, string loadAtStart, double seedSeconds, double? roundTrip,
        IReadOnlyList<OperationProfile> profiles, IReadOnlyList<ThroughputResult> throughput, IReadOnlyList<LatencyResult> history)
    {
        var report = new StringBuilder();
        report.AppendLine($"## {(host.Provider == DatabaseProvider.Postgres ? "PostgreSQL" : "SQLite")} — {startedAt:yyyy-MM-dd HH:mm} UTC");
        report.AppendLine();
        report.AppendLine($"- {host.Description}");
        report.AppendLine($"- machine: {Environment.ProcessorCount} cores ({CpuModel()}), {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}; " +
            $"load average {loadAtStart} before the run");
        report.AppendLine($"- command: `dotnet run -c Release --project bench/OiCall.Bench -- {string.Join(' ', Environment.GetCommandLineArgs().Skip(1).Select(Quote))}`");
        report.AppendLine($"- dataset: {dataset.Businesses.Count} businesses × {dataset.Businesses[0].MemberIds.Length:N0} members, {dataset.Entries:N0} entries " +
            $"({dataset.Charges:N0} charges, {dataset.Distributions:N0} distributions, {dataset.Reclaims:N0} reclaims); seeded in {seedSeconds:F1} s");
        if (roundTrip is not null) report.AppendLine($"- one round trip (SELECT 1 on a pooled connection): {roundTrip:F0} µs median");
        report.AppendLine();
        if (throughput.Count > 0)
        {
            report.AppendLine($"| operation | workers | per second | p50 ms | p95 ms | p99 ms | errors |");
            report.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
            foreach (var t in throughput)
                report.AppendLine($"| {t.Name}{(t.Note is null ? "" : $" ({t.Note})")} | {t.Workers} | {t.PerSecond:N0} | {t.P50Ms:F1} | {t.P95Ms:F1} | {t.P99Ms:F1} | {t.Errors} |");
            report.AppendLine();
        }
        if (history.Count > 0)
        {
            report.AppendLine("| history page (1 request at a time) | requests | median ms | p95 ms | rows |");
            report.AppendLine("|---|---:|---:|---:|---:|");
            foreach (var h in history)
                report.AppendLine($"| {h.Name} | {h.Requests} | {h.MedianMs:F1} | {h.P95Ms:F1} | {h.MeanRows:F0} |");
            report.AppendLine();
        }
        if (host.Provider == DatabaseProvider.Postgres)
        {
            report.AppendLine("| round trips per operation | total | commands (of them through EF) | COMMIT |");
            report.AppendLine("|---|---:|---:|---:|");
            foreach (var p in profiles) report.AppendLine($"| {p.Name} | {p.PostgresRoundTrips} | {p.DriverCommands} ({p.EfCommands}) | {p.Commits} |");
        }
        else
        {
            report.AppendLine("| statements per operation | EF commands | SAVEPOINT/RELEASE | BEGIN | COMMIT |");
            report.AppendLine("|---|---:|---:|---:|---:|");
            foreach (var p in profiles) report.AppendLine($"| {p.Name} | {p.EfCommands} | {p.Savepoints} | {p.Begins} | {p.Commits} |");
        }
        report.AppendLine();

        var pairs = throughput.Where(t => t.Name == "hold+settle pair").MaxBy(t => t.Workers);
        if (pairs is not null && host.Provider == DatabaseProvider.Postgres)
            report.AppendLine($"- target ≥ {TargetPairsPerSecond:N0} hold+settle pairs/s: {pairs.PerSecond:N0}/s with {pairs.Workers} workers — {(pairs.PerSecond >= TargetPairsPerSecond ? "met" : "NOT met")}");
        if (history.Count > 0)
        {
            var slowest = history.MaxBy(h => h.MedianMs)!;
            report.AppendLine($"- target history median < {TargetHistoryMedianMs} ms: slowest case \"{slowest.Name}\" {slowest.MedianMs:F1} ms — {(slowest.MedianMs < TargetHistoryMedianMs ? "met" : "NOT met")}");
        }
        return report.ToString();
    }

    private static string Quote(string arg) => arg.Contains(' ') || arg.Contains(';') ? $"\"{arg}\"" : arg;

    /// <summary>The 1-minute load average (Linux), or "?".</summary>
    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }
}
