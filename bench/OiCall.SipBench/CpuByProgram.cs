using System.Globalization;
using OiCall.Benchmarks;

/// <summary>
/// Where a run's CPU went, by program: Kamailio (both edges' processes), PostgreSQL, this process
/// (the service and the harness), and the rest of the machine (sipp on both sides, the kernel's
/// network work, anything else). Read from Linux's /proc at the start and end of a run; sipp's
/// processes live only inside the run, so they are what the machine's busy time leaves over.
/// </summary>
internal sealed class CpuByProgram
{
    private static readonly string[] Programs = ["kamailio", "postgres"];

    private readonly Dictionary<int, (string Program, long Ticks)> _processes;
    private readonly long _machineBusy;
    private readonly DateTime _at = DateTime.UtcNow;

    private CpuByProgram(Dictionary<int, (string, long)> processes, long machineBusy) => (_processes, _machineBusy) = (processes, machineBusy);

    public static CpuByProgram Now() => new(Sample(), ProcStat.MachineBusyTicks() ?? 0);

    /// <summary>Cores each program used since <paramref name="start"/>, in the order Kamailio, PostgreSQL, this process, the rest.</summary>
    public static CpuUse Since(CpuByProgram start)
    {
        var end = Now();
        var seconds = (end._at - start._at).TotalSeconds;
        double Cores(long ticks) => ticks / ProcStat.ClockTicksPerSecond / seconds;
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
        foreach (var pid in ProcStat.ProcessIds())
        {
            if (ProcStat.Process(pid) is not { } stat) continue;
            var (name, ticks) = stat;
            var program = pid == self ? "self" : Programs.FirstOrDefault(p => name.StartsWith(p, StringComparison.Ordinal));
            if (program is not null) processes[pid] = (program, ticks);
        }
        return processes;
    }
}

/// <summary>Cores used by each program over a window of <paramref name="Seconds"/>.</summary>
internal sealed record CpuUse(IReadOnlyList<(string Program, double Cores)> Programs, double Seconds)
{
    /// <summary>Milliseconds of CPU per call, for <paramref name="calls"/> calls done in the window.</summary>
    public string PerCall(double cores, long calls) => calls > 0 ? (cores * Seconds * 1000 / calls).ToString("F2", CultureInfo.InvariantCulture) : "-";
}
