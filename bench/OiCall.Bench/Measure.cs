using System.Diagnostics;

namespace OiCall.Bench;

public sealed record ThroughputResult(string Name, int Workers, TimeSpan Window, long Operations, long Errors,
    double PerSecond, double P50Ms, double P95Ms, double P99Ms, IReadOnlyList<string> ErrorKinds, string? Note, LoadProfile? Load);

public sealed record LatencyResult(string Name, int Requests, double MedianMs, double P95Ms, double MeanRows);

/// <summary>Fixed-duration throughput with concurrent workers, and sequential latency.</summary>
public static class Measure
{
    /// <summary>
    /// Runs <paramref name="operation"/> in a loop on each worker: a warm-up, then the measured
    /// window. Operations that end inside the window count. An operation answering false means
    /// "nothing left to do" (for example no coupon codes left): the window then ends early.
    /// </summary>
    public static async Task<ThroughputResult> ThroughputAsync(string name, int workers, TimeSpan warmup, TimeSpan duration,
        Func<Random, Task<bool>> operation, LoadSampler sampler)
    {
        Console.Write($"  {name}, {workers} worker(s): ");
        var start = Stopwatch.GetTimestamp();
        var windowStart = start + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var windowEnd = windowStart + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var exhaustedAt = long.MaxValue;
        var done = new List<(long Ended, long Ticks)>[workers];
        var failed = new List<(long Ended, string Kind)>[workers];

        async Task WorkAsync(int worker)
        {
            var random = new Random(1_000 + worker);
            var mine = done[worker] = [];
            var myErrors = failed[worker] = [];
            while (true)
            {
                var began = Stopwatch.GetTimestamp();
                if (began >= windowEnd || began >= Interlocked.Read(ref exhaustedAt)) return;
                try
                {
                    var more = await operation(random);
                    var ended = Stopwatch.GetTimestamp();
                    if (!more)
                    {
                        InterlockedMin(ref exhaustedAt, ended);
                        return;
                    }
                    mine.Add((ended, ended - began));
                }
                catch (Exception e)
                {
                    myErrors.Add((Stopwatch.GetTimestamp(), Describe(e)));
                }
            }
        }

        var sampling = sampler.SampleAsync(TimeSpan.FromTicks((long)(warmup.TotalSeconds * TimeSpan.TicksPerSecond)), duration);
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(() => WorkAsync(w))));
        var load = await sampling;

        var end = Math.Min(windowEnd, exhaustedAt);
        string? note = null;
        if (end <= windowStart) note = "ran out of work during the warm-up";
        else if (exhaustedAt < windowEnd) note = $"ran out of work after {Seconds(end - windowStart):F1} s";
        var window = TimeSpan.FromSeconds(Math.Max(Seconds(end - windowStart), 0.001));
        var counted = done.SelectMany(d => d).Where(o => o.Ended >= windowStart && o.Ended <= end).Select(o => o.Ticks).Order().ToArray();
        var errors = failed.SelectMany(f => f).Where(e => e.Ended >= windowStart && e.Ended <= end).ToList();
        var kinds = failed.SelectMany(f => f).GroupBy(e => e.Kind).OrderByDescending(g => g.Count()).Select(g => $"{g.Count()} × {g.Key}").Take(3).ToList();
        var result = new ThroughputResult(name, workers, window, counted.Length, errors.Count, counted.Length / window.TotalSeconds,
            Ms(Percentile(counted, 0.50)), Ms(Percentile(counted, 0.95)), Ms(Percentile(counted, 0.99)), kinds, note, load);
        Console.WriteLine($"{result.PerSecond:N0}/s, p50 {result.P50Ms:F1} ms, p95 {result.P95Ms:F1} ms, {result.Errors} errors{(note is null ? "" : " — " + note)}");
        foreach (var kind in kinds) Console.WriteLine($"    error: {kind}");
        if (load is not null) Console.WriteLine($"    {load.Describe(result.Operations)}");
        return result;
    }

    /// <summary>One request at a time (the latency of an unloaded page), after a few unmeasured ones.</summary>
    public static async Task<LatencyResult> LatencyAsync(string name, int requests, Func<Random, Task<int>> request)
    {
        var random = new Random(7);
        for (var i = 0; i < Math.Min(20, requests); i++) await request(random);
        var ticks = new long[requests];
        long rows = 0;
        for (var i = 0; i < requests; i++)
        {
            var began = Stopwatch.GetTimestamp();
            rows += await request(random);
            ticks[i] = Stopwatch.GetTimestamp() - began;
        }
        Array.Sort(ticks);
        var result = new LatencyResult(name, requests, Ms(Percentile(ticks, 0.50)), Ms(Percentile(ticks, 0.95)), (double)rows / requests);
        Console.WriteLine($"  {name}: median {result.MedianMs:F1} ms, p95 {result.P95Ms:F1} ms, {result.MeanRows:F0} rows");
        return result;
    }

    private static string Describe(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null) inner = inner.InnerException;
        var message = inner.Message.Split('\n')[0].Trim();
        return $"{inner.GetType().Name}: {(message.Length > 160 ? message[..160] + "…" : message)}";
    }

    private static void InterlockedMin(ref long target, long value)
    {
        long current;
        while (value < (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }

    private static long Percentile(long[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    private static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;
    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
