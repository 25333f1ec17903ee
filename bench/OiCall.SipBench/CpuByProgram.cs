using System.Globalization;

/// <summary>
/// Where a run's CPU went, by program: Kamailio (both edges' processes), PostgreSQL, this process
/// (the service and the harness), and the rest of the machine (sipp on both sides, the kernel's
/// network work, anything else). Read from Linux's /proc at the start and end of a run; sipp's
/// processes live only inside the run, so they are what the machine's busy time leaves over.
/// </summary>
internal sealed class CpuByProgram
{
    private const double ClockTicksPerSecond = 100; // USER_HZ on Linux
    private static readonly string[] Programs = ["kamailio", "postgres"];

    private readonly Dictionary<int, (string Program, long Ticks)> _processes;
    private readonly long _machineBusy;
    private readonly DateTime _at = DateTime.UtcNow;

    private CpuByProgram(Dictionary<int, (string, long)> processes, long machineBusy) => (_processes, _machineBusy) = (processes, machineBusy);

    public static CpuByProgram Now() => new(Sample(), MachineBusyTicks());

    /// <summary>Cores each program used since <paramref name="start"/>, in the order Kamailio, PostgreSQL, this process, the rest.</summary>
    public static CpuUse Since(CpuByProgram start)
    {
        var end = Now();
        var seconds = (end._at - start._at).TotalSeconds;
        double Cores(long ticks) => ticks / ClockTicksPerSecond / seconds;
        // Processes that started during the run count from zero; those that ended are left out.
        var used = end._processes.GroupBy(p => p.Value.Program)
            .ToDictionary(g => g.Key, g => g.Sum(p => p.Value.Ticks - (start._processes.TryGetValue(p.Key, out var before) ? before.Ticks : 0)));
        var kamailio = used.GetValueOrDefault("kamailio");
        var postgres = used.GetValueOrDefault("postgres");
        var self = used.GetValueOrDefault("self");
        var rest = end._machineBusy - start._machineBusy - kamailio - postgres - self;
        return new CpuUse([("Kamailio", Cores(kamailio)), ("PostgreSQL", Cores(postgres)), ("service + harness", Cores(self)), ("sipp + kernel + rest", Cores(rest))], seconds);
    }

    private static Dictionary<int, (string, long)> Sample()
    {
        var self = Environment.ProcessId;
        var processes = new Dictionary<int, (string, long)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var name = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
                var program = pid == self ? "self" : Programs.FirstOrDefault(p => name.StartsWith(p, StringComparison.Ordinal));
                if (program is null) continue;
                // After "pid (name)" come the fields from state on; utime and stime are fields 14 and 15.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                processes[pid] = (program, long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
        }
        return processes;
    }

    private static long MachineBusyTicks()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal …; idle, iowait and steal are not work done here.
        return fields.Take(7).Sum() - fields[3] - fields[4];
    }
}

/// <summary>Cores used by each program over a window of <paramref name="Seconds"/>.</summary>
internal sealed record CpuUse(IReadOnlyList<(string Program, double Cores)> Programs, double Seconds)
{
    /// <summary>Milliseconds of CPU per call, for <paramref name="calls"/> calls done in the window.</summary>
    public string PerCall(double cores, long calls) => calls > 0 ? (cores * Seconds * 1000 / calls).ToString("F2", CultureInfo.InvariantCulture) : "-";
}
