using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OiCall.SipTests;
using OiCall.Tests.Support;
using OiCall.Web.Data;
using OiCall.Web.Features.Telephony;
using OiCall.Web.Infrastructure;
using OiCall.Web.Infrastructure.SipEdge;

// The SIP edge benchmark (bench/README.md, "SIP edge"). One run, two configurations through the
// project's Kamailio at a fixed offered rate:
//   (a) the edge with a fixed grant (-A FIXED_GRANT: no control plane at call setup),
//   (b) the full path: authorization over evapi with a hold on PostgreSQL, and the settle through
//       the end-report spool.
// sipp is the members' apps (digest auth, members from an injection file) and the carrier (UAS).
var options = new Dictionary<string, string>();
for (var i = 0; i + 1 < args.Length; i += 2) options[args[i].TrimStart('-')] = args[i + 1];
var pg = options.GetValueOrDefault("pg") ?? throw new ArgumentException("--pg \"Host=127.0.0.1;Port=54341;Username=postgres\" is required");
var rate = int.Parse(options.GetValueOrDefault("rate", "300"), CultureInfo.InvariantCulture);
var seconds = int.Parse(options.GetValueOrDefault("seconds", "20"), CultureInfo.InvariantCulture);
var memberCount = int.Parse(options.GetValueOrDefault("members", "100"), CultureInfo.InvariantCulture);
var holdMs = int.Parse(options.GetValueOrDefault("hold-ms", "100"), CultureInfo.InvariantCulture);

// TestApp makes a fresh database oicall_test_* on this server and drops it when disposed.
Environment.SetEnvironmentVariable("OICALL_TEST_POSTGRES", pg + ";Maximum Pool Size=50");
// WebApplicationFactory finds the service's content root from this (the test assemblies carry an attribute instead).
Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_OICALL_WEB", Path.Combine(SipEdgeFixture.RepositoryRoot(), "src", "OiCall.Web"));
var work = Directory.CreateTempSubdirectory("oicall-sipbench-").FullName;
int edgePort = Sipp.FreeUdpPort(), trunkPort = Sipp.FreeUdpPort(), fixedEdgePort = Sipp.FreeUdpPort();
var settings = SipEdgeFixture.Settings(edgePort, trunkPort, maxCallSeconds: 60);
settings["Sip:AuthTiming"] = "true";
// All the benchmark's members come from 127.0.0.1: the per-source flood guard would ban them.
settings["Sip:FloodRequests"] = "100000";
settings["Logging:LogLevel:Default"] = "Warning";

Console.WriteLine($"# SIP edge benchmark: {rate} calls/s offered for {seconds} s, {memberCount} members, calls of {holdMs} ms");
await using var app = await TestApp.StartAsync(DatabaseProvider.Postgres, settings, realServer: true);
var host = app.Services.GetRequiredService<SipEdgeHost>();
await host.Ready.WaitAsync(TimeSpan.FromSeconds(20));
var fullEdge = host.Edge ?? throw new InvalidOperationException("The service did not start its SIP edge.");
// The service's edge outlives it: stopped (by PID) when the benchmark ends, before the service.
await using var ownedEdge = fullEdge;
var authUs = new ConcurrentQueue<int>();
var recording = false;
var resumeUs = new ConcurrentQueue<int>();
var timing = new Regex(@"(auth|resume)-us=(\d+)", RegexOptions.Compiled);
fullEdge.Line += line =>
{
    if (!Volatile.Read(ref recording) || timing.Match(line) is not { Success: true } m) return;
    (m.Groups[1].Value == "auth" ? authUs : resumeUs).Enqueue(int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
};
await SipEdgeFixture.WarmUpAsync(app);

var clock = Stopwatch.StartNew();
var members = new List<Caller>();
for (var i = 0; i < memberCount; i++) members.Add(await SipEdgeFixture.CallerAsync(app, walletSeconds: 7200, memberPhone: $"010-5{i % 1000:D3}-{i % 10000:D4}"));
var csv = Path.Combine(work, "members.csv");
await File.WriteAllLinesAsync(csv, ["RANDOM", .. members.Select(m => $"{m.Sip.Username};[authentication username={m.Sip.Username} password={m.Sip.Password}]")]);
Console.WriteLine($"seeded {memberCount} businesses with one member each (7200 s, approved number, SIP password) in {clock.Elapsed.TotalSeconds:F1} s");

// (a): a second edge of the same configuration with FIXED_GRANT, the same control plane for HA1.
await using var fixedEdge = await SipEdgeProcess.StartAsync(new SipEdgeSettings
{
    Sip = new() { Port = fixedEdgePort, TrunkPort = trunkPort, FixedGrant = true, FloodRequests = 100_000 },
    ControlPlaneUrl = new Uri(app.RootUri, "/telephony/v1").ToString(),
    EdgeSecret = TelephonyApi.EdgeSecret(app.Services.GetRequiredService<ServerSecrets>()),
    ConfigPath = SipEdgeFixture.ConfigPath,
    RuntimeDirectory = Path.Combine(work, "sip-edge-fixed"),
    EvapiPort = SipEdgeProcess.FreeTcpPort(),
}, NullLogger.Instance);

// Warm-up (not counted) of both configurations before either is measured: HA1 into each edge's
// cache, connection pools, and the JIT's second tier for the service's code (measuring (a) first
// used to charge (a) with compiling what both use, about 0.4 cores for its first seconds).
await SippAsync(fixedEdgePort, Math.Min(rate, 100), 3, "warm");
await SippAsync(edgePort, Math.Min(rate, 100), 3, "warm");
await Task.Delay(3000);

// The control plane's own share of (b)'s authorizations, as the service measures it.
var serviceMs = new ConcurrentQueue<double>();
using var meters = new MeterListener
{
    InstrumentPublished = (instrument, listener) =>
    {
        if (instrument.Meter.Name == TelephonyMetrics.MeterName && instrument.Name == TelephonyMetrics.AuthorizationDuration) listener.EnableMeasurementEvents(instrument);
    },
};
meters.SetMeasurementEventCallback<double>((_, ms, _, _) =>
{
    if (Volatile.Read(ref recording)) serviceMs.Enqueue(ms);
});
meters.Start();

var fixedGrant = await RunAsync("(a) fixed grant", fixedEdgePort);
Volatile.Write(ref recording, true);
var full = await RunAsync("(b) full path", edgePort);
Volatile.Write(ref recording, false);

// The settles of (b) arrive through the spool; wait for them to drain.
clock.Restart();
int open;
while ((open = await OpenCallsAsync()) > 0 && clock.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(500);
Console.WriteLine($"(b) calls still unsettled {clock.Elapsed.TotalSeconds:F0} s after the run: {open}");

var latencies = authUs.Select(us => us / 1000.0).Order().ToArray();
var inService = serviceMs.Order().ToArray();
var resumed = resumeUs.Select(us => us / 1000.0).Order().ToArray();
static string Quantile(double[] sorted, double q) => sorted.Length == 0 ? "-" : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))].ToString("F2", CultureInfo.InvariantCulture);
Console.WriteLine();
Console.WriteLine("| configuration | offered calls/s | successful calls/s | failed calls | load average (1 min) after |");
Console.WriteLine("|---|---|---|---|---|");
foreach (var r in new[] { fixedGrant, full })
    Console.WriteLine($"| {r.Name} | {rate} | {r.CallsPerSecond:F1} | {r.Failed} | {r.LoadAfter} |");
Console.WriteLine();
// CPU per call shows what 2 cores can carry: a configuration whose calls cost T ms of CPU in all
// cannot go past 2,000 / T calls/s here, whatever the control plane does.
Console.WriteLine("| ms of CPU per successful call | " + string.Join(" | ", full.Cpu.Programs.Select(c => c.Program)) + " | all |");
Console.WriteLine("|---|" + string.Concat(full.Cpu.Programs.Select(_ => "---|")) + "---|");
foreach (var r in new[] { fixedGrant, full })
    Console.WriteLine($"| {r.Name} | " + string.Join(" | ", r.Cpu.Programs.Select(c => r.Cpu.PerCall(c.Cores, r.Ok))) + $" | {r.Cpu.PerCall(r.Cpu.Programs.Sum(c => c.Cores), r.Ok)} |");
Console.WriteLine();
Console.WriteLine($"(b)/(a) = {full.CallsPerSecond / fixedGrant.CallsPerSecond:F2}; authorization at the edge (suspend → answer, {latencies.Length} calls): " +
    $"p50 {Quantile(latencies, 0.50)} ms, p99 {Quantile(latencies, 0.99)} ms, max {Quantile(latencies, 1.0)} ms; of it in the service (question read → answer queued, {inService.Length} calls): " +
    $"p50 {Quantile(inService, 0.50)} ms, p99 {Quantile(inService, 0.99)} ms; then answer → call resumed by an async worker ({resumed.Length} calls): " +
    $"p50 {Quantile(resumed, 0.50)} ms, p99 {Quantile(resumed, 0.99)} ms");

await fixedEdge.StopAsync();
try { Directory.Delete(work, recursive: true); } catch (IOException) { }
return 0;

async Task<int> OpenCallsAsync()
{
    await using var scope = app.Services.CreateAsyncScope();
    return await scope.ServiceProvider.GetRequiredService<AppDbContext>().CallRecords.CountAsync(r => r.Outcome == CallOutcome.InProgress);
}

async Task<Result> RunAsync(string name, int port)
{
    var cpuBefore = CpuByProgram.Now();
    var (ok, failed, why) = await SippAsync(port, rate, seconds, "run");
    var cpu = CpuByProgram.Since(cpuBefore);
    var load = File.ReadAllText("/proc/loadavg").Split(' ')[0];
    var result = new Result(name, ok / (double)seconds, ok, failed, load, cpu);
    Console.WriteLine($"{name}: {ok} successful, {failed} failed of {rate * seconds} offered{(failed > 0 ? $" ({why})" : "")}; load average {load}");
    Console.WriteLine("    CPU cores (of 2): " + string.Join(", ", cpu.Programs.Select(c => $"{c.Program} {c.Cores:F2}")) + $"; total {cpu.Programs.Sum(c => c.Cores):F2} over {cpu.Seconds:F1} s");
    await Task.Delay(2000);
    return result;
}

// Runs the members' sipp at the rate for the seconds, with the carrier's sipp answering; returns the
// members' successful and failed calls from sipp's statistics file.
async Task<(long Ok, long Failed, string Why)> SippAsync(int port, int callsPerSecond, int forSeconds, string tag)
{
    var root = SipEdgeFixture.RepositoryRoot();
    var stats = Path.Combine(work, $"{tag}-{port}.csv");
    using var carrier = StartSipp([
        "-sf", Path.Combine(root, "tests", "OiCall.SipTests", "Scenarios", "carrier_uas_calls.xml"),
        "-i", "127.0.0.1", "-p", trunkPort.ToString(CultureInfo.InvariantCulture), "-mp", Sipp.FreeUdpPort().ToString(CultureInfo.InvariantCulture)]);
    using var caller = StartSipp([
        $"127.0.0.1:{port}", "-sf", Path.Combine(AppContext.BaseDirectory, "Scenarios", "member_call_bench.xml"), "-inf", csv,
        "-i", "127.0.0.1", "-p", Sipp.FreeUdpPort().ToString(CultureInfo.InvariantCulture), "-mp", Sipp.FreeUdpPort().ToString(CultureInfo.InvariantCulture),
        "-s", "0212345678", "-r", callsPerSecond.ToString(CultureInfo.InvariantCulture), "-m", (callsPerSecond * forSeconds).ToString(CultureInfo.InvariantCulture),
        "-d", holdMs.ToString(CultureInfo.InvariantCulture), "-l", "5000", "-timeout", $"{forSeconds + 40}s",
        "-trace_stat", "-stf", stats, "-fd", "1"]);
    await caller.WaitForExitAsync();
    carrier.Kill();
    await carrier.WaitForExitAsync();
    var lines = File.ReadAllLines(stats).Where(l => l.Length > 0).ToArray();
    var header = lines[0].Split(';');
    var last = lines[^1].Split(';');
    long Column(string column) => long.Parse(last[Array.IndexOf(header, column)], CultureInfo.InvariantCulture);
    // sipp counts failures by kind (timeouts, unexpected messages, …): the non-zero ones say why.
    var why = string.Join(", ", header.Select((name, i) => (name, i))
        .Where(c => c.name.StartsWith("Failed", StringComparison.Ordinal) && c.name.EndsWith("(C)", StringComparison.Ordinal) && c.name != "FailedCall(C)" && last[c.i] is not ("0" or ""))
        .Select(c => $"{c.name[6..^3]} {last[c.i]}"));
    return (Column("SuccessfulCall(C)"), Column("FailedCall(C)"), why);
}

// sipp without a message log (the tests' Sipp writes one: too much I/O at this rate).
Process StartSipp(IEnumerable<string> arguments)
{
    var start = new ProcessStartInfo("sipp") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = work };
    foreach (var a in arguments.Append("-nostdin").Append("-max_recv_loops").Append("1000")) start.ArgumentList.Add(a);
    var process = Process.Start(start) ?? throw new InvalidOperationException("sipp did not start");
    process.OutputDataReceived += (_, _) => { };
    process.ErrorDataReceived += (_, _) => { };
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    return process;
}

internal sealed record Result(string Name, double CallsPerSecond, long Ok, long Failed, string LoadAfter, CpuUse Cpu);
