using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OiCall.Tests.Support;
using OiCall.Web.Features.Ledger;
using OiCall.Web.Features.Telephony;

namespace OiCall.SipTests;

/// <summary>A service that grants calls in slices of 3 s, up to 7 s a call, with 6 s session timers toward the carrier.</summary>
public class SlicedEdgeFixture : SipEdgeFixture
{
    public const long Slice = 3, SessionExpires = 6;
    public override long CallSeconds => 7;

    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Sip:SliceSeconds"] = Slice.ToString();
        settings["Sip:SessionExpiresSeconds"] = SessionExpires.ToString();
    }
}

/// <summary>The same, for the test that kills its edge.</summary>
public sealed class KilledEdgeFixture : SlicedEdgeFixture;

/// <summary>Calls granted in slices through the real edge: asked for while the call runs, and refused when the wallet is empty.</summary>
public sealed class SipEdgeSliceTests(SlicedEdgeFixture edge) : IClassFixture<SlicedEdgeFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private string Diagnostics(params Sipp[] sipps) =>
        string.Join("\n==========\n", sipps.Select(s => s.Log())) + "\n========== kamailio:\n" + edge.Edge.RecentLog;

    [Fact]
    public async Task A_call_gets_its_next_slices_while_it_runs_and_is_cut_at_its_whole_grant()
    {
        SipEdgeFixture.RequireTools();
        var caller = await SipEdgeFixture.CallerAsync(edge.App, 600);
        await using var carrier = Sipp.Carrier(edge.TrunkPort);
        await using var app = Sipp.Member("member_call_cut.xml", edge.EdgePort, caller.Sip.Username, caller.Sip.Password!);

        Assert.True(await app.ExitCodeAsync(Limit) == 0, Diagnostics(app, carrier));
        Assert.True(await carrier.ExitCodeAsync(Limit) == 0, Diagnostics(app, carrier));
        // 3 + 3 + a partial 1: cut at 7 s, not at the first slice's 3.
        AssertCutAt(edge.CallSeconds, app, carrier);

        // The carrier was told to expect session refreshes: without them (the edge gone) it ends its leg.
        var invite = carrier.Received().First(m => m.StartsWith("INVITE ", StringComparison.Ordinal));
        Assert.Matches($@"(?m)^Session-Expires: {SlicedEdgeFixture.SessionExpires}\r?$", invite);
        Assert.Matches($@"(?m)^Min-SE: {SlicedEdgeFixture.SessionExpires}\r?$", invite);

        var hold = await SettledHoldAsync(edge.App, caller);
        Assert.Equal((HoldState.Settled, edge.CallSeconds), (hold.State, hold.GrantedSeconds));
        Assert.InRange(hold.SettledSeconds, edge.CallSeconds - 1, edge.CallSeconds);
        await using var db = edge.App.Db();
        var holds = await db.LedgerEntries.Where(e => e.MemberId == caller.Member.Id && e.Kind == TransferKind.CallHold).OrderBy(e => e.Id)
            .Select(e => new { e.IdempotencyKey, e.Seconds }).ToListAsync();
        Assert.Equal([(LedgerService.CallSliceEntryKey(hold.CallId, 1), 3L), (LedgerService.CallSliceEntryKey(hold.CallId, 2), 3L), (LedgerService.CallSliceEntryKey(hold.CallId, 3), 1L)],
            holds.Select(h => (h.IdempotencyKey!, h.Seconds)));
        Assert.Equal((600 - hold.SettledSeconds, 0L), await caller.BalanceAsync());
    }

    [Fact]
    public async Task When_the_wallet_is_empty_the_next_slice_is_refused_and_the_call_ends_at_its_last_slice()
    {
        SipEdgeFixture.RequireTools();
        // 4 s: a slice of 3, then the last 1 s, then nothing.
        var caller = await SipEdgeFixture.CallerAsync(edge.App, 4);
        await using var carrier = Sipp.Carrier(edge.TrunkPort);
        await using var app = Sipp.Member("member_call_cut.xml", edge.EdgePort, caller.Sip.Username, caller.Sip.Password!);

        Assert.True(await app.ExitCodeAsync(Limit) == 0, Diagnostics(app, carrier));
        Assert.True(await carrier.ExitCodeAsync(Limit) == 0, Diagnostics(app, carrier));
        AssertCutAt(4, app, carrier);

        var hold = await SettledHoldAsync(edge.App, caller);
        Assert.Equal(4, hold.GrantedSeconds);
        Assert.InRange(hold.SettledSeconds, 3, 4);
        Assert.Equal((4 - hold.SettledSeconds, 0L), await caller.BalanceAsync());
        Assert.Contains($"slice 3 of {hold.CallId} refused", edge.Edge.RecentLog);
    }

    /// <summary>Both legs got their BYE at the whole grant after the answer, give or take the dialog timer's tick (as the long cut-off test measures).</summary>
    private void AssertCutAt(long granted, Sipp app, Sipp carrier)
    {
        var member = app.Messages();
        var answered = member.First(m => m.Received && m.Status == 200 && m.CSeq == "2 INVITE").At;
        var memberBye = member.First(m => m.Received && m.Method == "BYE").At - answered;
        var atCarrier = carrier.Messages();
        var carrierBye = atCarrier.First(m => m.Received && m.Method == "BYE").At - atCarrier.First(m => m.Received && m.Method == "INVITE").At;
        foreach (var cut in new[] { memberBye, carrierBye })
            Assert.True(cut >= TimeSpan.FromSeconds(granted - 1) && cut <= TimeSpan.FromSeconds(granted + 2), $"cut {cut} after the answer, granted {granted} s\n{Diagnostics(app, carrier)}");
    }

    private static async Task<CallHold> SettledHoldAsync(TestApp app, Caller caller)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            await using var db = app.Db();
            var hold = await db.CallHolds.AsNoTracking().SingleAsync(h => h.MemberId == caller.Member.Id);
            if (hold.State != HoldState.Held || DateTime.UtcNow > deadline) return hold;
            await Task.Delay(100);
        }
    }
}

/// <summary>
/// The edge is killed (SIGKILL, every Kamailio process by its PID) in the middle of a call granted
/// in 3 s slices: the control plane held only the slices it granted before, grants none after, and
/// when the hold expires charges exactly those (what may have been spoken), recorded as ended by
/// the edge's loss — never more, and never giving back time that may have been spoken.
/// </summary>
public sealed class SipEdgeKilledTests(KilledEdgeFixture edge) : IClassFixture<KilledEdgeFixture>
{
    [Fact]
    public async Task A_call_whose_edge_is_killed_is_charged_the_slices_it_was_granted_and_no_more()
    {
        SipEdgeFixture.RequireTools();
        var caller = await SipEdgeFixture.CallerAsync(edge.App, 600, memberPhone: "010-3131-5252");
        await WarmUpAsync();
        await using var carrier = Sipp.Carrier(edge.TrunkPort);
        var sinceSetup = Stopwatch.StartNew();
        await using var app = Sipp.Member("member_call_cut.xml", edge.EdgePort, caller.Sip.Username, caller.Sip.Password!);

        // Into the second slice: slice 2 granted, which the edge asks for 2 s before the first ends, so
        // 1 s after the answer.
        Assert.True(await WaitAsync(async () => (await HoldOrNullAsync(caller))?.GrantedSeconds == 2 * SlicedEdgeFixture.Slice, TimeSpan.FromSeconds(10)), app.Log() + edge.Edge.RecentLog);
        var sinceSecondSlice = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(0.5));
        KillEdge(edge.Edge.ProcessId);
        // What had been spoken at the kill: at least this, at most the time since the call was set up.
        var spokenAtLeast = sinceSecondSlice.Elapsed + TimeSpan.FromSeconds(SlicedEdgeFixture.Slice - 2);
        var spokenAtMost = sinceSetup.Elapsed;

        // Nothing grants more once the edge is gone, and nothing is settled or given back.
        await Task.Delay(TimeSpan.FromSeconds(2 * SlicedEdgeFixture.Slice));
        var held = await HoldAsync(caller);
        Assert.Equal((HoldState.Held, 2 * SlicedEdgeFixture.Slice), (held.State, held.GrantedSeconds));
        // The member's bound: no more than one slice beyond what was spoken (plus the 2 s the edge asks ahead).
        Assert.True(held.GrantedSeconds <= spokenAtLeast.TotalSeconds + SlicedEdgeFixture.Slice + 2, $"granted {held.GrantedSeconds} s, at least {spokenAtLeast} spoken");
        Assert.Equal((600 - held.GrantedSeconds, held.GrantedSeconds), await caller.BalanceAsync());

        // Past the grant and its grace, housekeeping charges the grant: the call may have gone on at the carrier until then.
        edge.App.Clock.Advance(TimeSpan.FromSeconds(held.GrantedSeconds) + CallHold.Grace + TimeSpan.FromSeconds(1));
        await LedgerHousekeeping.RunOnceAsync(edge.App.Services.GetRequiredService<IServiceScopeFactory>(), CancellationToken.None);
        var expired = await HoldAsync(caller);
        Assert.Equal((HoldState.Expired, held.GrantedSeconds), (expired.State, expired.SettledSeconds));
        Assert.True(expired.SettledSeconds >= (long)spokenAtMost.TotalSeconds, $"the expiry charged {expired.SettledSeconds} s, up to {spokenAtMost} may have been spoken");
        Assert.Equal((600 - held.GrantedSeconds, 0L), await caller.BalanceAsync());
        await using var db = edge.App.Db();
        var record = await db.CallRecords.SingleAsync(r => r.CallId == held.CallId);
        Assert.Equal((CallOutcome.Lost, CallRecord.EndedByEdgeLoss, held.GrantedSeconds), (record.Outcome, record.EndedBy, record.BilledSeconds));
        Assert.Equal(0, await db.LedgerAccounts.SumAsync(a => a.Balance));
    }

    /// <summary>
    /// One short call first: the first authorization over a fresh link can take longer than the
    /// edge's 1 s limit (JIT, first connections), and the measured call must not be the one refused.
    /// </summary>
    private async Task WarmUpAsync()
    {
        var warm = await SipEdgeFixture.CallerAsync(edge.App, 60, memberPhone: "010-3131-6262");
        await using var carrier = Sipp.Carrier(edge.TrunkPort);
        await using var app = Sipp.Member("member_call.xml", edge.EdgePort, warm.Sip.Username, warm.Sip.Password!);
        await app.ExitCodeAsync(TimeSpan.FromSeconds(15));
        await carrier.ExitCodeAsync(TimeSpan.FromSeconds(5));
    }

    /// <summary>SIGKILL to the edge's main process and each of its children, by PID: nothing of it is left to end a call.</summary>
    private static void KillEdge(int pid)
    {
        var children = Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => int.TryParse(n, out _)).Select(n => int.Parse(n!))
            .Where(p => ParentOf(p) == pid).ToList();
        foreach (var p in children.Append(pid))
        {
            try { Process.GetProcessById(p).Kill(); } catch (Exception e) when (e is ArgumentException or InvalidOperationException) { }
        }
    }

    private static int? ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // "pid (comm) state ppid …": comm may hold spaces, so read after its closing parenthesis.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private async Task<CallHold> HoldAsync(Caller caller) => await HoldOrNullAsync(caller) ?? throw new InvalidOperationException("No hold.");

    private async Task<CallHold?> HoldOrNullAsync(Caller caller)
    {
        await using var db = edge.App.Db();
        return await db.CallHolds.AsNoTracking().SingleOrDefaultAsync(h => h.MemberId == caller.Member.Id);
    }

    private static async Task<bool> WaitAsync(Func<Task<bool>> condition, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return true;
            await Task.Delay(50);
        }
        return await condition();
    }
}
