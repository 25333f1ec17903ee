using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
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
/// The control plane (a real server on 127.0.0.1, same port, data and database across restarts) and
/// a Kamailio edge that the test itself starts, restarts or kills, so that either can be down while
/// the other runs. The edge's spool of call ends is spool.db in its working directory.
/// </summary>
public sealed class EdgeAndControlPlane : IAsyncDisposable
{
    private readonly SipEdgeSettings _settings;
    private bool _controlPlaneUp = true;
    private CancellationTokenSource? _link;
    private Task _answering = Task.CompletedTask;

    private EdgeAndControlPlane(TestApp app, SipEdgeSettings settings)
    {
        App = app;
        _settings = settings;
    }

    public TestApp App { get; private set; }
    public SipEdgeProcess Edge { get; private set; } = null!;
    public int EdgePort => _settings.Sip.Port;
    public int TrunkPort => _settings.Sip.TrunkPort;
    public string SpoolPath => Path.Combine(_settings.RuntimeDirectory, "spool.db");

    /// <summary>Sip:Enabled off: the app does not own this edge, so stopping the app leaves the edge running.</summary>
    public static async Task<EdgeAndControlPlane> StartAsync(long maxCallSeconds, int spoolTries = 10)
    {
        int edgePort = Sipp.FreeUdpPort(), trunkPort = Sipp.FreeUdpPort();
        var app = await TestApp.StartAsync(SipEdgeFixture.Provider, SipEdgeFixture.Settings(edgePort, trunkPort, enabled: false, maxCallSeconds), realServer: true);
        var rig = new EdgeAndControlPlane(app, new SipEdgeSettings
        {
            Sip = new() { Port = edgePort, TrunkPort = trunkPort, MaxCallSeconds = maxCallSeconds, SpoolTries = spoolTries },
            ControlPlaneUrl = new Uri(app.RootUri, "/telephony/v1").ToString(),
            EdgeSecret = TelephonyApi.EdgeSecret(app.Services.GetRequiredService<ServerSecrets>()),
            ConfigPath = SipEdgeFixture.ConfigPath,
            RuntimeDirectory = Path.Combine(app.DataDirectory, "sip-edge"),
            EvapiPort = SipEdgeProcess.FreeTcpPort(),
        });
        try
        {
            rig.Edge = await SipEdgeProcess.StartAsync(rig._settings, NullLogger.Instance);
            rig.Link();
            await SipEdgeFixture.WarmUpAsync(app);
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
        return rig;
    }

    /// <summary>The control plane stops: its port refuses connections.</summary>
    public async Task StopControlPlaneAsync()
    {
        await UnlinkAsync();
        await App.StopAsync();
        _controlPlaneUp = false;
    }

    /// <summary>The control plane starts again on the same port, data and database.</summary>
    public async Task StartControlPlaneAsync()
    {
        App = App.StartAgain();
        _controlPlaneUp = true;
        Link();
        await SipEdgeFixture.WarmUpAsync(App);
    }

    /// <summary>Kamailio stopped (SIGTERM) or killed (SIGKILL to it and its children, a crash), then started again.</summary>
    public async Task RestartEdgeAsync(bool crash)
    {
        if (crash)
        {
            using var kamailio = Process.GetProcessById(Edge.ProcessId);
            kamailio.Kill(entireProcessTree: true);
            await kamailio.WaitForExitAsync();
        }
        await Edge.DisposeAsync();
        Edge = await SipEdgeProcess.StartAsync(_settings, NullLogger.Instance);
    }

    /// <summary>The Call-IDs waiting in the edge's spool (read-only, beside the running edge).</summary>
    public List<string> Spooled()
    {
        if (!File.Exists(SpoolPath)) return [];
        using var connection = new SqliteConnection($"Data Source={SpoolPath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT callid FROM ends ORDER BY id";
        using var reader = command.ExecuteReader();
        var callIds = new List<string>();
        while (reader.Read()) callIds.Add(reader.GetString(0));
        return callIds;
    }

    /// <summary>
    /// The control plane answers this edge's authorizations over evapi, as the app's own link does
    /// for an edge it owns (reconnecting by itself when Kamailio restarts).
    /// </summary>
    private void Link()
    {
        _link = new CancellationTokenSource();
        _answering = App.Services.GetRequiredService<EvapiAuthorizer>().RunAsync(_settings.EvapiPort, _link.Token);
    }

    private async Task UnlinkAsync()
    {
        if (_link is null) return;
        await _link.CancelAsync();
        await _answering;
        _link.Dispose();
        _link = null;
    }

    public async ValueTask DisposeAsync()
    {
        await UnlinkAsync();
        if (Edge is not null) await Edge.DisposeAsync();
        if (_controlPlaneUp) await App.DisposeAsync();
        else await App.StartAgain().DisposeAsync();   // deletes the data it kept
    }
}

/// <summary>
/// Call end → settle: each call's end settles its hold exactly once per Call-ID, even when
/// the report repeats or arrives after a restart, and a report the control plane could not take
/// is spooled by the edge, not lost.
/// </summary>
public sealed class SipEdgeSpoolTests
{
    private const long Wallet = 600;

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        T value;
        while (!done(value = await read()) && DateTime.UtcNow < deadline) await Task.Delay(100);
        return value;
    }

    private static async Task<WalletBalance> WalletAsync(TestApp app, Guid memberId)
    {
        using var scope = app.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<LedgerService>().WalletAsync(memberId);
    }

    /// <summary>
    /// What the ledger and the call record say about a member's only call: every settle entry of the
    /// member (the debits), the hold's state and the seconds billed.
    /// </summary>
    private static async Task<(List<long> Settles, HoldState Hold, long Billed)> CallAsync(TestApp app, Caller caller, string callId)
    {
        await using var db = app.Db();
        var settles = await db.LedgerEntries.Where(e => e.Kind == TransferKind.CallSettle && e.MemberId == caller.Member.Id)
            .Select(e => e.Seconds).ToListAsync();
        var hold = await db.CallHolds.SingleAsync(h => h.CallId == callId);
        var record = await db.CallRecords.SingleAsync(r => r.CallId == callId);
        return (settles, hold.State, record.BilledSeconds);
    }

    private static async Task AssertSettledOnceAsync(TestApp app, Caller caller, string callId, long seconds)
    {
        var call = await CallAsync(app, caller, callId);
        Assert.Equal([seconds], call.Settles);
        Assert.Equal((HoldState.Settled, seconds), (call.Hold, call.Billed));
    }

    private static HttpClient EdgeClient(TestApp app)
    {
        var client = app.Client();
        client.DefaultRequestHeaders.Add(TelephonyApi.SecretHeader, TelephonyApi.EdgeSecret(app.Services.GetRequiredService<ServerSecrets>()));
        return client;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_call_that_ends_while_the_control_plane_is_down_survives_a_restart_of_Kamailio_and_is_debited_once(bool crash)
    {
        SipEdgeFixture.RequireTools();
        await using var rig = await EdgeAndControlPlane.StartAsync(maxCallSeconds: 60);
        var caller = await SipEdgeFixture.CallerAsync(rig.App, Wallet);
        string callId;

        await using (var carrier = Sipp.Carrier(rig.TrunkPort))
        await using (var member = Sipp.Member("member_call.xml", rig.EdgePort, caller.Sip.Username, caller.Sip.Password!, holdMs: 4000))
        {
            // Authorized and answered while the control plane is up; it stops before the member hangs up.
            var answered = await EventuallyAsync(() => Task.FromResult(carrier.Received().Any(m => m.StartsWith("ACK ", StringComparison.Ordinal))), a => a, TimeSpan.FromSeconds(10));
            Assert.True(answered, member.Log() + carrier.Log() + rig.Edge.RecentLog);
            await rig.StopControlPlaneAsync();
            Assert.True(member.Elapsed < TimeSpan.FromSeconds(3.5), $"the control plane stopped only {member.Elapsed} into the call");

            Assert.True(await member.ExitCodeAsync(TimeSpan.FromSeconds(30)) == 0, member.Log() + rig.Edge.RecentLog);
            Assert.True(await carrier.ExitCodeAsync(TimeSpan.FromSeconds(30)) == 0, carrier.Log() + rig.Edge.RecentLog);
            callId = member.Messages().First().CallId;
        }

        // The end could not be delivered: it waits in the spool.
        var spooled = await EventuallyAsync(() => Task.FromResult(rig.Spooled()), s => s.Contains(callId), TimeSpan.FromSeconds(5));
        Assert.True(spooled.Contains(callId), rig.Edge.RecentLog);
        var tried = await EventuallyAsync(() => Task.FromResult(rig.Edge.RecentLog), log => log.Contains($"call end for {callId} not delivered"), TimeSpan.FromSeconds(5));
        Assert.Contains($"call end for {callId} not delivered", tried);

        // Kamailio restarts (or crashes and starts again) while the control plane is still down.
        await rig.RestartEdgeAsync(crash);
        await Task.Delay(1000);   // the new edge retries in vain
        Assert.Equal([callId], rig.Spooled());

        // The control plane comes back: the new edge delivers the report, and the call is debited once.
        await rig.StartControlPlaneAsync();
        var wallet = await EventuallyAsync(() => WalletAsync(rig.App, caller.Member.Id), w => w.HeldSeconds == 0, TimeSpan.FromSeconds(10));
        Assert.True(wallet.HeldSeconds == 0, rig.Edge.RecentLog);
        var spoken = Wallet - wallet.FreeSeconds;
        Assert.InRange(spoken, 3, 5);   // 4 s between the answer and the BYE, counted in whole seconds
        // The call record is written just after the ledger's settle.
        await EventuallyAsync(() => CallAsync(rig.App, caller, callId), c => c.Billed != 0, TimeSpan.FromSeconds(5));
        await AssertSettledOnceAsync(rig.App, caller, callId, spoken);
        Assert.Empty(await EventuallyAsync(() => Task.FromResult(rig.Spooled()), s => s.Count == 0, TimeSpan.FromSeconds(5)));

        // Later rounds do not post it again, and another restart of the edge replays nothing.
        await rig.RestartEdgeAsync(crash);
        await Task.Delay(500);
        Assert.Equal(Wallet - spoken, (await WalletAsync(rig.App, caller.Member.Id)).FreeSeconds);
        await AssertSettledOnceAsync(rig.App, caller, callId, spoken);
    }

    [Fact]
    public async Task The_same_end_report_posted_20_times_at_once_and_again_after_a_restart_of_the_service_debits_once()
    {
        SipEdgeFixture.RequireTools();
        await using var rig = await EdgeAndControlPlane.StartAsync(maxCallSeconds: 120);
        var caller = await SipEdgeFixture.CallerAsync(rig.App, Wallet);
        var callId = $"{Guid.NewGuid():N}@127.0.0.1";

        var authorize = await EdgeClient(rig.App).PostAsJsonAsync("/telephony/v1/calls/authorize", new { callId, username = caller.Sip.Username, dialled = "0212345678" });
        Assert.Equal(HttpStatusCode.OK, authorize.StatusCode);
        var decision = (await authorize.Content.ReadFromJsonAsync<CallDecision>(BusinessApi.Json))!;
        Assert.Equal((200, 120L), (decision.Code, decision.GrantedSeconds));
        Assert.Equal(new WalletBalance(Wallet - 120, 120), await WalletAsync(rig.App, caller.Member.Id));

        var report = new { callId, answered = true, durationSeconds = 37, endedBy = "caller" };
        async Task<List<bool>> PostTwentyAsync(TestApp app)
        {
            var client = EdgeClient(app);
            var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => client.PostAsJsonAsync("/telephony/v1/calls/end", report)));
            foreach (var answer in answers) Assert.True(answer.StatusCode == HttpStatusCode.OK, await answer.Content.ReadAsStringAsync());
            return [.. await Task.WhenAll(answers.Select(async a => (await a.Content.ReadFromJsonAsync<CallEndResponse>(BusinessApi.Json))!.Settled))];
        }

        // Twenty at once: one of them settles, the others change nothing.
        Assert.Single(await PostTwentyAsync(rig.App), settled => settled);
        Assert.Equal(new WalletBalance(Wallet - 37, 0), await WalletAsync(rig.App, caller.Member.Id));
        await AssertSettledOnceAsync(rig.App, caller, callId, 37);

        // The service restarts (same database); the edge repeats the report, twenty times again,
        // and once more with other seconds: nothing changes.
        await rig.StopControlPlaneAsync();
        await rig.StartControlPlaneAsync();
        Assert.DoesNotContain(await PostTwentyAsync(rig.App), settled => settled);
        var other = await EdgeClient(rig.App).PostAsJsonAsync("/telephony/v1/calls/end", report with { durationSeconds = 99 });
        Assert.False((await other.Content.ReadFromJsonAsync<CallEndResponse>(BusinessApi.Json))!.Settled);
        Assert.Equal(new WalletBalance(Wallet - 37, 0), await WalletAsync(rig.App, caller.Member.Id));
        await AssertSettledOnceAsync(rig.App, caller, callId, 37);
    }
}

/// <summary>
/// What one hostile or unlucky call could do to everyone's settlement: a Call-ID or number longer
/// than the control plane keeps is refused at the edge, the longest allowed one settles (on
/// PostgreSQL too), and a report the control plane keeps refusing does not hold up the others.
/// </summary>
public sealed class SipEdgeSpoolLimitsTests
{
    private static async Task<T> EventuallyAsync<T>(Func<T> read, Func<T, bool> done, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        T value;
        while (!done(value = read()) && DateTime.UtcNow < deadline) await Task.Delay(200);
        return value;
    }

    private static async Task<long> HeldAsync(Caller caller) => (await caller.BalanceAsync()).Held;

    [Fact]
    public async Task Overlong_Call_IDs_and_numbers_get_400_and_a_report_the_control_plane_refuses_is_parked_without_holding_up_the_calls_after_it()
    {
        SipEdgeFixture.RequireTools();
        await using var rig = await EdgeAndControlPlane.StartAsync(maxCallSeconds: 60, spoolTries: 3);
        var caller = await SipEdgeFixture.CallerAsync(rig.App);

        // At the edge: one character too many is refused before any challenge; the longest allowed is challenged.
        using (var probe = new SipProbe("127.0.0.1", rig.EdgePort))
        {
            string WithCallId(string request, string callId) =>
                System.Text.RegularExpressions.Regex.Replace(request, "Call-ID: [^\r]*", "Call-ID: " + callId);
            var tooLong = await probe.AskAsync(WithCallId(probe.Invite(caller.Sip.Username), new string('a', SipLimits.MaxCallIdLength + 1)));
            Assert.Equal(400, SipProbe.Status(tooLong ?? ""));
            var longest = await probe.AskAsync(WithCallId(probe.Invite(caller.Sip.Username), new string('a', SipLimits.MaxCallIdLength)));
            Assert.Equal(407, SipProbe.Status(longest ?? ""));
            var number = await probe.AskAsync(probe.Request("INVITE", $"sip:{new string('1', SipLimits.MaxUserLength + 1)}@{probe.Edge}", caller.Sip.Username, ""));
            Assert.Equal(400, SipProbe.Status(number ?? ""));
        }

        // A report the control plane answers but never accepts (here: an endpoint it does not have) sits first in the spool.
        await EventuallyAsync(() => File.Exists(rig.SpoolPath), e => e, TimeSpan.FromSeconds(5));
        using (var spool = new SqliteConnection($"Data Source={rig.SpoolPath};Pooling=False;Default Timeout=5"))
        {
            spool.Open();
            using var insert = spool.CreateCommand();
            insert.CommandText = "INSERT INTO ends (callid, body, path) VALUES ('refused-forever', '{\"callId\":\"refused-forever\"}', '/calls/nowhere')";
            insert.ExecuteNonQuery();
        }

        // Calls after it, one with the longest Call-ID sipp makes here, are settled all the same.
        var callIds = new List<string>();
        foreach (var longId in new[] { true, false })
        {
            string[] extra = longId ? ["-cid_str", new string('x', SipLimits.MaxCallIdLength - 2) + "-%u"] : [];
            await using var carrier = Sipp.Carrier(rig.TrunkPort);
            await using var member = Sipp.Member("member_call.xml", rig.EdgePort, caller.Sip.Username, caller.Sip.Password!, holdMs: 1000, extra: extra);
            Assert.True(await member.ExitCodeAsync(TimeSpan.FromSeconds(30)) == 0, member.Log() + rig.Edge.RecentLog);
            callIds.Add(member.Messages().First().CallId);
        }
        Assert.Equal(SipLimits.MaxCallIdLength, callIds[0].Length);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (await HeldAsync(caller) != 0 && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.True(await HeldAsync(caller) == 0, rig.Edge.RecentLog);
        await using (var db = rig.App.Db())
            foreach (var callId in callIds)
                Assert.Equal(HoldState.Settled, (await db.CallHolds.SingleAsync(h => h.CallId == callId)).State);

        // The refused report is tried a bounded number of times, then parked for an operator.
        var parked = await EventuallyAsync(() => SipEdgeProcess.ParkedEnds(Path.GetDirectoryName(rig.SpoolPath)!), p => p.Count > 0, TimeSpan.FromSeconds(40));
        var end = Assert.Single(parked);
        Assert.Equal(("refused-forever", "/calls/nowhere"), (end.CallId, end.Endpoint));
        Assert.InRange(end.LastAnswer, 401, 599);
        Assert.Empty(rig.Spooled());
    }
}
