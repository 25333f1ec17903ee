using System.Globalization;

namespace OiCall.Benchmarks;

/// <summary>
/// CPU time from Linux's /proc, shared by both benchmarks (compiled into each): a process's user +
/// system time, and the whole machine's busy time, in clock ticks.
/// </summary>
internal static class ProcStat
{
    public const double ClockTicksPerSecond = 100; // USER_HZ on Linux

    /// <summary>A process's name and its user + system CPU so far, or null when it is gone.</summary>
    public static (string Name, long Ticks)? Process(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var name = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
            // After "pid (name)" come the fields from state on; utime and stime are fields 14 and 15.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (name, long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Every process's id now.</summary>
    public static IEnumerable<int> ProcessIds() =>
        Directory.EnumerateDirectories("/proc").Select(dir => int.TryParse(Path.GetFileName(dir), out var pid) ? pid : 0).Where(pid => pid > 0);

    /// <summary>Busy CPU of the whole machine so far, or null where there is no /proc/stat.</summary>
    public static long? MachineBusyTicks()
    {
        try
        {
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            // user nice system idle iowait irq softirq steal …; idle, iowait and steal are not work done here.
            return fields.Take(7).Sum() - fields[3] - fields[4];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
