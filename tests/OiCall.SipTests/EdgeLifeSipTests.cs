using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OiCall.Tests.Support;
using OiCall.Web.Data;
using OiCall.Web.Features.Ledger;
using OiCall.Web.Features.Telephony;
using OiCall.Web.Infrastructure;
using OiCall.Web.Infrastructure.SipEdge;

namespace OiCall.SipTests;

/// <summary>
/// The edge lives on its own: the web service's development edge (Sip:Enabled) is detached and
/// reused by the next start, a restart of the web service mid-call frees and loses nothing, and two
/// web services answering one edge hold and settle each call once.
/// </summary>
public sealed class EdgeLifeSipTests
{
    private const long Wallet = 600;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(40);

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        T value;
        while (!done(value = await read()) && DateTime.UtcNow < deadline) await Task.Delay(100);
        return value;
    }

    private static Dictionary<string, string?> Settings(int edgePort, int trunkPort, long maxCallSeconds)
    {
        var settings = SipEdgeFixture.Settings(edgePort, trunkPort, maxCallSeconds: maxCallSeconds);
        settings["Sip:FloodRequests"] = "100000";
        return settings;
    }

    private static async Task<SipEdgeProcess> EdgeOfAsync(TestApp app)
    {
        var host = app.Services.GetRequiredService<SipEdgeHost>();
        await host.Ready.WaitAsync(TimeSpan.FromSeconds(20));
        return host.Edge ?? throw new InvalidOperationException("The app did not start its SIP edge:\n" + string.Join('\n', app.ServerErrors.Errors));
    }

    /// <summary>The main Kamailio processes running from this run directory (not their children), by PID.</summary>
    private static List<int> KamailiosOf(string runtimeDirectory)
    {
        var pids = new Dictionary<int, int>();   // pid → parent
        foreach (var folder in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid)) continue;
            try
            {
                var commandLine = File.ReadAllText(Path.Combine(folder, "cmdline")).Split('\0');
                if (Path.GetFileName(commandLine[0]) != "kamailio" || !commandLine.Contains(runtimeDirectory)) continue;
                var stat = File.ReadAllText(Path.Combine(folder, "stat"));
                pids[pid] = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return [.. pids.Where(p => !pids.ContainsKey(p.Value)).Select(p => p.Key).Order()];
    }

    private static async Task RegisterAsync(int edgePort, Caller caller, SipEdgeProcess edge)
    {
        await using var register = Sipp.Start("member_register.xml", [$"127.0.0.1:{edgePort}", "-m", "1", "-au", caller.Sip.Username, "-ap", caller.Sip.Password!,
            "-key", "user", caller.Sip.Username, "-timeout", "10s", "-timeout_error"]);
        Assert.True(await register.ExitCodeAsync(TimeSpan.FromSeconds(20)) == 0, register.Log() + edge.RecentLog);
    }

    [Fact]
    public async Task A_second_start_of_the_web_service_reuses_its_running_edge_and_a_changed_configuration_restarts_it()
    {
        SipEdgeFixture.RequireTools();
        int edgePort = Sipp.FreeUdpPort(), trunkPort = Sipp.FreeUdpPort();
        var settings = Settings(edgePort, trunkPort, 30);
        var app = await TestApp.StartAsync(SipEdgeFixture.Provider, settings, realServer: true);
        var edges = new List<SipEdgeProcess>();
        try
        {
            var first = await EdgeOfAsync(app);
            edges.Add(first);
            var runtime = first.Settings.RuntimeDirectory;
            Assert.Equal([first.ProcessId], KamailiosOf(runtime));

            // The web service stops: its edge goes on (another session, not the app's child to stop).
            await app.StopAsync();
            Assert.False(first.HasExited, first.RecentLog);
            Assert.Equal([first.ProcessId], KamailiosOf(runtime));

            // Started again: the same edge, found by its pid file, and no second one on its port.
            app = app.StartAgain();
            var second = await EdgeOfAsync(app);
            edges.Add(second);
            Assert.Equal(first.ProcessId, second.ProcessId);
            Assert.Equal(first.Settings.EvapiPort, second.Settings.EvapiPort);
            Assert.Equal([first.ProcessId], KamailiosOf(runtime));

            // ... and it is linked to the new instance: a call is authorized and settled through it.
            await SipEdgeFixture.WarmUpAsync(app);
            var caller = await SipEdgeFixture.CallerAsync(app, Wallet);
            await using (var carrier = Sipp.Carrier(trunkPort))
            await using (var member = Sipp.Member("member_call.xml", edgePort, caller.Sip.Username, caller.Sip.Password!))
            {
                Assert.True(await member.ExitCodeAsync(Limit) == 0, member.Log() + second.RecentLog);
                Assert.Equal(200, member.FinalStatus());
            }

            // A changed configuration (the longest call): the old edge is stopped, a new one started.
            await app.StopAsync();
            settings["Sip:MaxCallSeconds"] = "31";
            app = app.StartAgain();
            var third = await EdgeOfAsync(app);
            edges.Add(third);
            Assert.NotEqual(first.ProcessId, third.ProcessId);
            Assert.True(first.HasExited);
            Assert.Equal([third.ProcessId], KamailiosOf(runtime));
            Assert.Contains("MAX_CALL_SECONDS=31", File.ReadAllText($"/proc/{third.ProcessId}/cmdline").Replace('\0', ' '));
        }
        finally
        {
            await app.DisposeAsync();
            foreach (var edge in edges) await edge.DisposeAsync();
        }
    }

    /// <summary>The web service as a process of its own, on the port, data and database of a stopped app, so that it can be killed.</summary>
    private sealed class WebProcess : IAsyncDisposable
    {
        private readonly Process _process;

        private WebProcess(Process process) => _process = process;

        public static async Task<WebProcess> StartAsync(TestApp stopped, Uri root, string edgeSecret, SipEdgeProcess edge)
        {
            var linked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void OnLine(string line)
            {
                if (line.Contains("control plane authenticated", StringComparison.Ordinal)) linked.TrySetResult();
            }
            edge.Line += OnLine;
            var output = new DirectoryInfo(AppContext.BaseDirectory);   // …/bin/Release/net10.0/
            var web = Path.Combine(SipEdgeFixture.RepositoryRoot(), "src", "OiCall.Web", "bin", output.Parent!.Name, output.Name, "OiCall.Web.dll");
            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
            foreach (var argument in new[] { web, $"--urls={root.GetLeftPart(UriPartial.Authority)}", $"--contentRoot={Path.Combine(SipEdgeFixture.RepositoryRoot(), "src", "OiCall.Web")}" }
                         .Concat(stopped.Configuration().Select(s => $"--{s.Key}={s.Value}")))
                start.ArgumentList.Add(argument);
            var process = new WebProcess(Process.Start(start) ?? throw new InvalidOperationException("The web service did not start."));
            process._process.OutputDataReceived += (_, _) => { };
            process._process.ErrorDataReceived += (_, _) => { };
            process._process.BeginOutputReadLine();
            process._process.BeginErrorReadLine();
            try
            {
                await linked.Task.WaitAsync(TimeSpan.FromSeconds(30));
                using var client = new HttpClient { BaseAddress = root };
                client.DefaultRequestHeaders.Add(TelephonyApi.SecretHeader, edgeSecret);
                await SipEdgeFixture.WarmUpAsync(client);
            }
            catch
            {
                await process.DisposeAsync();
                throw;
            }
            finally
            {
                edge.Line -= OnLine;
            }
            return process;
        }

        /// <summary>SIGKILL: no shutdown of any kind.</summary>
        public async Task KillAsync()
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited) await KillAsync();
            _process.Dispose();
        }
    }

    /// <summary>
    /// A call answered while the web service runs; the service stops 1 s into it: gracefully (a
    /// deploy) or killed (SIGKILL, the service as a process of its own). The edge alone cuts the
    /// call at its grant on both legs, refuses a new call at once (503), keeps the member's
    /// registration, and the call is billed once, for its real duration, when the service is back:
    /// either after the cut (the end waited in the edge's spool), or before it, with the hold's
    /// expiry passed meanwhile (the edge tells the service it still has the call, so the hold is
    /// kept, not released, until the end settles it).
    /// </summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task A_restart_of_the_web_service_mid_call_leaves_the_call_cut_at_its_grant_and_billed_once_for_its_real_duration(bool backBeforeTheCut, bool killed)
    {
        SipEdgeFixture.RequireTools();
        // Back before the cut: room for the restart and the edge's next full round (every 10 s),
        // below the 20 s the scenario waits for its BYE.
        long Grant = backBeforeTheCut ? 18 : 15;
        int edgePort = Sipp.FreeUdpPort(), trunkPort = Sipp.FreeUdpPort();
        var app = await TestApp.StartAsync(SipEdgeFixture.Provider, Settings(edgePort, trunkPort, Grant), realServer: true);
        SipEdgeProcess? edge = null;
        WebProcess? web = null;
        try
        {
            edge = await EdgeOfAsync(app);
            await SipEdgeFixture.WarmUpAsync(app);
            var caller = await SipEdgeFixture.CallerAsync(app, Wallet);
            await RegisterAsync(edgePort, caller, edge);
            if (killed)
            {
                // The same service, run as a process of its own (it reuses the edge) so that it can be killed.
                var root = app.RootUri;
                var secret = TelephonyApi.EdgeSecret(app.Services.GetRequiredService<ServerSecrets>());
                await app.StopAsync();
                web = await WebProcess.StartAsync(app, root, secret, edge);
            }

            await using var carrier = Sipp.Carrier(trunkPort);
            // sipp's own limit (the last -timeout counts) beyond the longest grant here.
            await using var member = Sipp.Member("member_call_cut.xml", edgePort, caller.Sip.Username, caller.Sip.Password!, extra: ["-timeout", "45s"]);
            var answered = await EventuallyAsync(() => Task.FromResult(carrier.Received().Any(m => m.StartsWith("ACK ", StringComparison.Ordinal))), a => a, TimeSpan.FromSeconds(10));
            Assert.True(answered, member.Log() + carrier.Log() + edge.RecentLog);
            var callId = member.Messages().First().CallId;
            await Task.Delay(1000);

            // The deploy (or the crash): the web service stops.
            if (web is not null) await web.KillAsync();
            else await app.StopAsync();

            // A call in the gap is refused at once.
            await using (var refused = Sipp.Member("member_call.xml", edgePort, caller.Sip.Username, caller.Sip.Password!))
            {
                Assert.True(await refused.ExitCodeAsync(Limit) == 0, refused.Log() + edge.RecentLog);
                Assert.Equal(503, refused.FinalStatus());
                var messages = refused.Messages();
                var asked = messages.Last(m => !m.Received && m.Method == "INVITE").At;
                var answer = messages.Single(m => m.Received && m.Status == 503).At;
                Assert.True(answer - asked < TimeSpan.FromSeconds(2), $"503 after {answer - asked}");
            }

            if (backBeforeTheCut)
            {
                app = app.StartAgain();
                await SipEdgeFixture.WarmUpAsync(app);
                // The hold's expiry (granted time + grace) passes while the call still runs: the
                // edge's round on the new link keeps the hold, and housekeeping releases nothing.
                app.Clock.Advance(TimeSpan.FromSeconds(Grant) + CallHold.Grace + TimeSpan.FromSeconds(1));
                var now = app.Clock.GetUtcNow().UtcDateTime;
                var kept = await EventuallyAsync(async () =>
                {
                    await using var db = app.Db();
                    return await db.CallHolds.AsNoTracking().SingleAsync(h => h.CallId == callId);
                }, h => h.ExpiresAt > now, TimeSpan.FromSeconds(12));
                Assert.True(kept.ExpiresAt > now, $"hold not kept (expires {kept.ExpiresAt:O}, now {now:O})\n" + edge.RecentLog);
                using (var scope = app.Services.CreateScope())
                    Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<ICallStore>().ExpireHoldsAsync(now, CancellationToken.None));
            }

            // The edge cuts the call at its grant, on both legs.
            Assert.True(await member.ExitCodeAsync(Limit) == 0, member.Log() + edge.RecentLog);
            Assert.True(await carrier.ExitCodeAsync(Limit) == 0, carrier.Log() + edge.RecentLog);
            var memberMessages = member.Messages();
            var memberAnswered = memberMessages.First(m => m.Received && m.Status == 200 && m.CSeq.EndsWith("INVITE", StringComparison.Ordinal)).At;
            var memberBye = memberMessages.Single(m => m.Received && m.Method == "BYE").At;
            Assert.InRange((memberBye - memberAnswered).TotalSeconds, Grant - 2, Grant + 2);
            var carrierMessages = carrier.Messages();
            var carrierAnswered = carrierMessages.First(m => m.Received && m.Method == "ACK").At;
            var carrierBye = carrierMessages.Single(m => m.Received && m.Method == "BYE").At;
            Assert.InRange((carrierBye - carrierAnswered).TotalSeconds, Grant - 2, Grant + 2);

            if (!backBeforeTheCut)
            {
                // Its end waits in the edge's spool until the service is back.
                var spool = Path.Combine(edge.Settings.RuntimeDirectory, SipEdgeProcess.SpoolDatabase);
                Assert.True(await EventuallyAsync(() => Task.FromResult(SpooledCallIds(spool).Contains(callId)), s => s, TimeSpan.FromSeconds(5)), edge.RecentLog);
                app = app.StartAgain();
                await SipEdgeFixture.WarmUpAsync(app);
            }

            // Billed once, from the hold, for the seconds spoken.
            var wallet = await EventuallyAsync(() => WalletAsync(app, caller), w => w.HeldSeconds == 0, TimeSpan.FromSeconds(10));
            Assert.True(wallet.HeldSeconds == 0, edge.RecentLog);
            await using (var db = app.Db())
            {
                var debits = await db.LedgerEntries.AsNoTracking()
                    .Where(e => e.MemberId == caller.Member.Id && e.Kind == TransferKind.CallSettle)
                    .Select(e => new { e.Kind, e.Seconds }).ToListAsync();
                // One settle (an expiry would have charged the whole grant as a settle of its own).
                var debit = Assert.Single(debits);
                Assert.InRange(debit.Seconds, Grant - 1, Grant);
                var hold = await db.CallHolds.AsNoTracking().SingleAsync(h => h.CallId == callId);
                Assert.Equal((HoldState.Settled, debit.Seconds), (hold.State, hold.SettledSeconds));
                Assert.Equal(Wallet - debit.Seconds, wallet.FreeSeconds);
            }

            // The registration made before the restart is still there, and registering again works.
            var registrations = await EdgeRpc.CallAsync(edge.Settings.RuntimeDirectory, "ul.dump");
            Assert.Contains(caller.Sip.Username, registrations.ToString());
            await RegisterAsync(edgePort, caller, edge);
        }
        finally
        {
            if (web is not null) await web.DisposeAsync();
            await app.DisposeAsync();
            if (edge is not null) await edge.DisposeAsync();
        }
    }

    // Through the running instance's services: the caller's API client belongs to the one stopped.
    private static async Task<WalletBalance> WalletAsync(TestApp app, Caller caller)
    {
        using var scope = app.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<LedgerService>().WalletAsync(caller.Member.Id);
    }

    private static List<string> SpooledCallIds(string spool)
    {
        if (!File.Exists(spool)) return [];
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={spool};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT callid FROM ends";
        using var reader = command.ExecuteReader();
        var callIds = new List<string>();
        while (reader.Read()) callIds.Add(reader.GetString(0));
        return callIds;
    }

    /// <summary>
    /// Two web services on one database both linked to one edge: each question goes to one of them,
    /// so every call is held once and settled once, and the ledger still sums to zero.
    /// </summary>
    [Fact]
    public async Task Two_web_services_on_one_edge_hold_and_settle_each_of_50_calls_once()
    {
        SipEdgeFixture.RequireTools();
        const int Calls = 50;
        int edgePort = Sipp.FreeUdpPort(), trunkPort = Sipp.FreeUdpPort();
        await using var first = await TestApp.StartAsync(DatabaseProvider.Postgres, SipEdgeFixture.Settings(edgePort, trunkPort, enabled: false, maxCallSeconds: 60), realServer: true);
        await using var second = first.SecondInstance();
        await using var edge = await SipEdgeProcess.StartAsync(new SipEdgeSettings
        {
            Sip = new() { Port = edgePort, TrunkPort = trunkPort, MaxCallSeconds = 60, FloodRequests = 100_000 },
            ControlPlaneUrl = new Uri(first.RootUri, "/telephony/v1").ToString(),
            EdgeSecret = TelephonyApi.EdgeSecret(first.Services.GetRequiredService<ServerSecrets>()),
            ConfigPath = SipEdgeFixture.ConfigPath,
            RuntimeDirectory = Path.Combine(first.DataDirectory, "sip-edge"),
            EvapiPort = SipEdgeProcess.FreeTcpPort(),
        }, NullLogger.Instance);
        using var links = new CancellationTokenSource();
        var answering = new[] { first, second }.Select(app => app.Services.GetRequiredService<EvapiAuthorizer>().RunAsync(edge.Settings.EvapiPort, links.Token)).ToList();
        try
        {
            await SipEdgeFixture.WarmUpAsync(first);
            await SipEdgeFixture.WarmUpAsync(second);
            foreach (var app in new[] { first, second })
            {
                var linked = await EventuallyAsync(() => Task.FromResult(app.Services.GetRequiredService<EdgeLinks>().All), l => l.Any(x => x.Connected && x.Report is not null), TimeSpan.FromSeconds(10));
                Assert.True(linked.Any(x => x.Connected && x.Report is not null), edge.RecentLog);
            }
            var caller = await SipEdgeFixture.CallerAsync(first, Wallet * 10);

            await using var carrier = Sipp.Start("carrier_uas_calls.xml", ["-m", Calls.ToString(), "-timeout", "60s"], trunkPort);
            await using var member = Sipp.Start("member_call.xml",
            [
                $"127.0.0.1:{edgePort}", "-m", Calls.ToString(), "-l", "10", "-r", "10", "-s", "0212345678",
                "-au", caller.Sip.Username, "-ap", caller.Sip.Password!, "-d", "1500",
                "-key", "user", caller.Sip.Username, "-key", "from", caller.Sip.Username, "-key", "display", "Member", "-key", "pai", caller.Sip.Username,
                "-timeout", "50s", "-timeout_error",
            ]);
            Assert.True(await member.ExitCodeAsync(TimeSpan.FromSeconds(60)) == 0, member.Log()[^Math.Min(member.Log().Length, 4000)..] + edge.RecentLog);
            var callIds = System.Text.RegularExpressions.Regex.Matches(member.Log(), @"(?m)^Call-ID: *(\S+)").Select(m => m.Groups[1].Value).Distinct().ToList();
            Assert.Equal(Calls, callIds.Count);

            var held = await EventuallyAsync(async () => (await caller.BalanceAsync()).Held, h => h == 0, TimeSpan.FromSeconds(15));
            Assert.True(held == 0, edge.RecentLog);
            await using var db = first.Db();
            var holds = await db.CallHolds.AsNoTracking().Where(h => h.MemberId == caller.Member.Id).ToListAsync();
            Assert.Equal(callIds.Order(), holds.Select(h => h.CallId).Order());
            Assert.All(holds, h => Assert.Equal(HoldState.Settled, h.State));
            var entries = await db.LedgerEntries.AsNoTracking().Where(e => e.MemberId == caller.Member.Id).ToListAsync();
            Assert.Equal(Calls, entries.Count(e => e.Kind == TransferKind.CallHold));
            // Each call spoke 1–2 s (1.5 s between answer and BYE, in whole seconds): each has its one settle.
            Assert.Equal(Calls, entries.Count(e => e.Kind == TransferKind.CallSettle));
            Assert.Equal(0, await db.LedgerAccounts.SumAsync(a => a.Balance));
            Assert.Equal(holds.Sum(h => h.SettledSeconds), Wallet * 10 - (await caller.BalanceAsync()).Seconds);
            Assert.DoesNotContain("late authorization answer", edge.RecentLog);
        }
        finally
        {
            await links.CancelAsync();
            await Task.WhenAll(answering);
        }
    }
}
