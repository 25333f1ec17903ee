using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OiCall.Tests.Inbound;
using OiCall.Tests.Support;
using OiCall.Web.Features.Telephony;
using OiCall.Web.Infrastructure.SipEdge;

namespace OiCall.SipTests;

/// <summary>A member who can take calls: their SIP account, and the port their app registers from.</summary>
public sealed record Phone(MemberDto Member, SipAccountDto Sip, int Port);

/// <summary>
/// Incoming calls at the edge: customers call a company number through the carrier trunk (sipp sending from
/// the fixture's trunk address and port) and the project's real Kamailio rings the members' apps
/// (sipp registered with digest, then answering, ringing or busy on the registered port).
/// </summary>
public sealed class InboundSipTests(SipEdgeFixture edge) : IClassFixture<SipEdgeFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private const string Customer = "01099998765";

    private string Diagnostics(params Sipp[] sipps) =>
        string.Join("\n==========\n", sipps.Select(s => s.Log())) + "\n========== kamailio:\n" + edge.Edge.RecentLog;

    /// <summary>A business with an approved company number and members with SIP accounts (not registered yet).</summary>
    private async Task<(Caller Company, Phone[] Phones)> CompanyAsync(int phones)
    {
        SipEdgeFixture.RequireTools();
        var company = await SipEdgeFixture.CallerAsync(edge.App, walletSeconds: 0, memberPhone: "010-6161-0000");
        var list = new List<Phone> { new(company.Member, company.Sip, Sipp.FreeUdpPort()) };
        for (var i = 1; i < phones; i++)
        {
            var member = await company.Owner.AddMemberAsync(company.Business.Id, $"상담{i}", $"010-6161-000{i}");
            var issued = await company.Owner.Api.PostAsync($"/api/v1/businesses/{company.Business.Id}/members/{member.Id}/sip-password", null);
            Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
            list.Add(new(member, (await issued.Content.ReadFromJsonAsync<SipAccountDto>(BusinessApi.Json))!, Sipp.FreeUdpPort()));
        }
        return (company, [.. list]);
    }

    private static async Task RingGroupAsync(Caller company, string mode, int ringSeconds, params Phone[] order)
    {
        var put = await company.Owner.Api.PutAsJsonAsync($"/api/v1/businesses/{company.Business.Id}/ring-group",
            new { mode, ringSeconds, memberIds = order.Select(p => p.Member.Id).ToArray() });
        Assert.True(put.StatusCode == HttpStatusCode.OK, await put.Content.ReadAsStringAsync());
    }

    /// <summary>The member's app registers from its port (then the port is free for its answering sipp).</summary>
    private async Task RegisterAsync(Phone phone)
    {
        await using var register = Sipp.Start("member_register.xml", [$"127.0.0.1:{edge.EdgePort}", "-m", "1", "-au", phone.Sip.Username, "-ap", phone.Sip.Password!,
            "-key", "user", phone.Sip.Username, "-timeout", "10s", "-timeout_error"], phone.Port);
        Assert.True(await register.ExitCodeAsync(Limit) == 0, Diagnostics(register));
    }

    /// <summary>The member's app waiting for a call on its registered port.</summary>
    private static Sipp App(Phone phone, string scenario, int ringMs = 300) =>
        Sipp.Start(scenario, ["-m", "1", "-d", ringMs.ToString(), "-key", "user", phone.Sip.Username, "-timeout", "30s", "-timeout_error"], phone.Port);

    /// <summary>The carrier calls the company number from the configured trunk address and port.</summary>
    private Sipp Carrier(Caller company, int holdMs = 1000, int? port = null) =>
        Sipp.Start("carrier_call.xml", [$"127.0.0.1:{edge.EdgePort}", "-m", "1", "-s", company.CompanyE164, "-key", "from", Customer,
            "-d", holdMs.ToString(), "-timeout", "30s", "-timeout_error"], port ?? edge.TrunkPort);

    /// <summary>The business's call history as its owner sees it, once the edge's end report (if any) is in.</summary>
    private static async Task<List<CallLineDto>> HistoryAsync(Caller company, bool settled = true)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            var calls = (await company.Owner.Api.GetFromJsonAsync<List<CallLineDto>>($"/api/v1/businesses/{company.Business.Id}/calls", BusinessApi.Json))!;
            if (!settled || calls.Count > 0 && calls.All(c => c.Outcome != nameof(CallOutcome.InProgress)) || DateTime.UtcNow > deadline) return calls;
            await Task.Delay(100);
        }
    }

    private async Task AssertNoMinutesUsedAsync(Caller company)
    {
        await using var db = edge.App.Db();
        Assert.Equal(0, await db.LedgerEntries.CountAsync(e => e.BusinessId == company.Business.Id));
        Assert.Equal(0, await db.CallHolds.CountAsync(h => h.BusinessId == company.Business.Id));
    }

    /// <summary>
    /// The carrier calls while one app answers (after 500 ms of ringing) and another only rings: the
    /// call completes, the answering app gets the BYE and the ringing one a CANCEL. Returns the
    /// carrier and the ringing app, to look into what they saw.
    /// </summary>
    private async Task<(Sipp Carrier, Sipp Rings)> OneAnswersTheOtherIsCancelledAsync(Caller company, Phone answering, Phone ringing)
    {
        await using var answers = App(answering, "member_uas_answer.xml", ringMs: 500);
        var rings = App(ringing, "member_uas_ring.xml");
        await Task.Delay(200);
        var carrier = Carrier(company, holdMs: 1000);

        try
        {
            Assert.True(await carrier.ExitCodeAsync(Limit) == 0, Diagnostics(carrier, answers, rings));
            Assert.True(await answers.ExitCodeAsync(Limit) == 0, Diagnostics(carrier, answers, rings));   // answered, got the BYE
            Assert.True(await rings.ExitCodeAsync(Limit) == 0, Diagnostics(carrier, answers, rings));     // rang, got the CANCEL
            Assert.Contains(rings.Received(), m => m.StartsWith("CANCEL ", StringComparison.Ordinal));
            return (carrier, rings);
        }
        catch
        {
            await carrier.DisposeAsync();
            await rings.DisposeAsync();
            throw;
        }
    }

    [Fact]
    public async Task Ring_all_rings_both_members_the_first_to_answer_gets_the_call_and_the_other_is_cancelled()
    {
        var (company, phones) = await CompanyAsync(2);
        await RingGroupAsync(company, "ringAll", 10, phones);
        foreach (var phone in phones) await RegisterAsync(phone);

        var (carrier, rings) = await OneAnswersTheOtherIsCancelledAsync(company, answering: phones[1], ringing: phones[0]);
        await using var _ = carrier;
        await using var __ = rings;
        Assert.Contains(carrier.Received(), m => m.StartsWith("SIP/2.0 200", StringComparison.Ordinal) && m.Contains("INVITE"));

        // The members' SIP usernames do not reach the carrier (Contact user and app headers scrubbed).
        foreach (var message in carrier.Received())
            foreach (var phone in phones)
                Assert.DoesNotContain(phone.Sip.Username, message);

        var call = Assert.Single(await HistoryAsync(company));
        Assert.Equal((nameof(CallDirection.Inbound), nameof(CallOutcome.Answered), phones[1].Member.Id, "caller"),
            (call.Direction, call.Outcome, call.MemberId, call.EndedBy));
        Assert.InRange(call.TalkSeconds, 0, 3);
        Assert.Equal(0, call.BilledSeconds);
        await AssertNoMinutesUsedAsync(company);
    }

    [Fact]
    public async Task Ring_all_rings_every_device_a_member_registered_and_cancels_the_ones_that_did_not_answer()
    {
        var (company, phones) = await CompanyAsync(1);
        await RingGroupAsync(company, "ringAll", 10, phones);
        // The same member's app on a desk phone and on a mobile: two registrations of one SIP account.
        var desk = phones[0];
        var mobile = desk with { Port = Sipp.FreeUdpPort() };
        await RegisterAsync(desk);
        await RegisterAsync(mobile);

        var (carrier, rings) = await OneAnswersTheOtherIsCancelledAsync(company, answering: mobile, ringing: desk);
        await using var _ = carrier;
        await using var __ = rings;
        Assert.Contains(rings.Received(), m => m.StartsWith("INVITE ", StringComparison.Ordinal));

        var call = Assert.Single(await HistoryAsync(company));
        Assert.Equal((nameof(CallDirection.Inbound), nameof(CallOutcome.Answered), desk.Member.Id), (call.Direction, call.Outcome, call.MemberId));
        await AssertNoMinutesUsedAsync(company);
    }

    [Theory]
    [InlineData("member_uas_ring.xml")]   // the first rings out its 5 s
    [InlineData("member_uas_busy.xml")]   // the first is busy
    public async Task Hunt_rings_the_next_member_when_the_first_does_not_answer(string first)
    {
        var (company, phones) = await CompanyAsync(2);
        await RingGroupAsync(company, "hunt", 5, phones);
        foreach (var phone in phones) await RegisterAsync(phone);

        await using var firstApp = App(phones[0], first);
        await using var second = App(phones[1], "member_uas_answer.xml", ringMs: 300);
        await Task.Delay(200);
        await using var carrier = Carrier(company, holdMs: 500);

        Assert.True(await carrier.ExitCodeAsync(Limit) == 0, Diagnostics(carrier, firstApp, second));
        Assert.True(await firstApp.ExitCodeAsync(Limit) == 0, Diagnostics(carrier, firstApp, second));
        Assert.True(await second.ExitCodeAsync(Limit) == 0, Diagnostics(carrier, firstApp, second));
        // The second rang only once the first was done: after its ringing time, or after its 486.
        var firstRang = firstApp.Messages().First(m => m.Received && m.Method == "INVITE").At;
        var secondRang = second.Messages().First(m => m.Received && m.Method == "INVITE").At;
        if (first == "member_uas_ring.xml")
        {
            Assert.Contains(firstApp.Received(), m => m.StartsWith("CANCEL ", StringComparison.Ordinal));
            Assert.InRange(secondRang - firstRang, TimeSpan.FromSeconds(4.9), TimeSpan.FromSeconds(7));
        }
        else
        {
            var busy = firstApp.Messages().Single(m => !m.Received && m.Status == 486).At;
            // Each sipp stamps its log entries itself, not at the instant a message crosses the wire:
            // the second's INVITE may carry a stamp a fraction of a millisecond before the first's 486.
            Assert.True(secondRang >= busy - TimeSpan.FromMilliseconds(5), $"second rang at {secondRang:O}, first was busy at {busy:O}");
            Assert.True(secondRang - firstRang < TimeSpan.FromSeconds(1), $"second rang {secondRang - firstRang} after the first");
        }

        var call = Assert.Single(await HistoryAsync(company));
        Assert.Equal((nameof(CallOutcome.Answered), phones[1].Member.Id), (call.Outcome, call.MemberId));
        await AssertNoMinutesUsedAsync(company);
    }

    [Theory]
    [InlineData("member_uas_busy.xml", 486)]   // everyone busy
    [InlineData("member_uas_ring.xml", 480)]   // nobody answers within the ringing time
    public async Task When_every_member_is_busy_or_rings_out_the_carrier_gets_a_clear_answer_and_admins_see_a_missed_call(string scenario, int expected)
    {
        var (company, phones) = await CompanyAsync(2);
        await RingGroupAsync(company, "ringAll", 5, phones);
        foreach (var phone in phones) await RegisterAsync(phone);

        await using var first = App(phones[0], scenario);
        await using var second = App(phones[1], scenario);
        await Task.Delay(200);
        await using var carrier = Carrier(company);

        Assert.True(await carrier.ExitCodeAsync(Limit) == 0, Diagnostics(carrier, first, second));
        Assert.Equal(expected, carrier.FinalStatus());
        Assert.True(await first.ExitCodeAsync(Limit) == 0, Diagnostics(carrier, first, second));
        Assert.True(await second.ExitCodeAsync(Limit) == 0, Diagnostics(carrier, first, second));
        if (expected == 480) Assert.InRange(carrier.Elapsed, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(7));

        var call = Assert.Single(await HistoryAsync(company));
        Assert.Equal((nameof(CallOutcome.NotAnswered), (Guid?)null, "callee"), (call.Outcome, call.MemberId, call.EndedBy));
        await AssertNoMinutesUsedAsync(company);
    }

    [Fact]
    public async Task A_customer_who_hangs_up_while_it_rings_is_a_missed_call_ended_by_the_caller()
    {
        var (company, phones) = await CompanyAsync(1);
        await RingGroupAsync(company, "hunt", 10, phones);
        await RegisterAsync(phones[0]);
        await using var app = App(phones[0], "member_uas_ring.xml");
        await Task.Delay(200);
        await using var carrier = Sipp.Start("carrier_cancel.xml", [$"127.0.0.1:{edge.EdgePort}", "-m", "1", "-s", company.CompanyE164,
            "-key", "from", Customer, "-d", "1000", "-timeout", "30s", "-timeout_error"], edge.TrunkPort);

        Assert.True(await carrier.ExitCodeAsync(Limit) == 0, Diagnostics(carrier, app));
        Assert.Equal(487, carrier.FinalStatus());
        Assert.True(await app.ExitCodeAsync(Limit) == 0, Diagnostics(carrier, app));   // its phone stopped ringing

        var call = Assert.Single(await HistoryAsync(company));
        Assert.Equal((nameof(CallOutcome.NotAnswered), (Guid?)null, "caller"), (call.Outcome, call.MemberId, call.EndedBy));
    }

    [Fact]
    public async Task An_answered_call_is_bounded_by_the_longest_call_and_both_legs_get_their_BYE()
    {
        var (company, phones) = await CompanyAsync(1);
        await RingGroupAsync(company, "ringAll", 10, phones);
        await RegisterAsync(phones[0]);
        await using var app = App(phones[0], "member_uas_answer.xml", ringMs: 100);
        await Task.Delay(200);
        await using var carrier = Sipp.Start("carrier_call_cut.xml", [$"127.0.0.1:{edge.EdgePort}", "-m", "1", "-s", company.CompanyE164,
            "-key", "from", Customer, "-timeout", "30s", "-timeout_error"], edge.TrunkPort);

        // Sip:MaxCallSeconds (4 s in this fixture) with no minutes anywhere: the edge ends the call.
        Assert.True(await carrier.ExitCodeAsync(Limit) == 0, Diagnostics(carrier, app));
        Assert.True(await app.ExitCodeAsync(Limit) == 0, Diagnostics(carrier, app));
        Assert.InRange(carrier.Elapsed, TimeSpan.FromSeconds(SipEdgeFixture.MaxCallSeconds - 1), TimeSpan.FromSeconds(SipEdgeFixture.MaxCallSeconds + 2));
        foreach (var message in carrier.Received()) Assert.DoesNotContain(phones[0].Sip.Username, message);

        var call = Assert.Single(await HistoryAsync(company));
        Assert.Equal((nameof(CallOutcome.Answered), phones[0].Member.Id, (string?)null), (call.Outcome, call.MemberId, call.EndedBy));
        Assert.InRange(call.TalkSeconds, SipEdgeFixture.MaxCallSeconds - 1, SipEdgeFixture.MaxCallSeconds + 1);
        await AssertNoMinutesUsedAsync(company);
    }

    [Fact]
    public async Task With_nobody_registered_the_carrier_gets_480_and_admins_see_a_missed_call()
    {
        var (company, phones) = await CompanyAsync(2);
        await RingGroupAsync(company, "ringAll", 10, phones);

        await using var carrier = Carrier(company);
        Assert.True(await carrier.ExitCodeAsync(Limit) == 0, Diagnostics(carrier));
        Assert.Equal(480, carrier.FinalStatus());
        Assert.True(carrier.Elapsed < TimeSpan.FromSeconds(2), $"refused after {carrier.Elapsed}");

        var call = Assert.Single(await HistoryAsync(company));
        Assert.Equal((nameof(CallDirection.Inbound), nameof(CallOutcome.NotAnswered), (Guid?)null),
            (call.Direction, call.Outcome, call.MemberId));
        await AssertNoMinutesUsedAsync(company);
    }

    [Fact]
    public async Task An_INVITE_from_an_address_that_is_not_the_trunk_rings_nobody()
    {
        var (company, phones) = await CompanyAsync(1);
        await RingGroupAsync(company, "ringAll", 10, phones);
        await RegisterAsync(phones[0]);
        await using var app = App(phones[0], "member_uas_answer.xml");
        await Task.Delay(200);

        // To the company number from another port: challenged like any member's app, never routed.
        await using (var stranger = Carrier(company, port: Sipp.FreeUdpPort()))
        {
            Assert.True(await stranger.ExitCodeAsync(Limit) == 0, Diagnostics(stranger));
            Assert.Equal(407, stranger.FinalStatus());
        }
        // Straight to a member's SIP username: refused outright.
        await using (var direct = Sipp.Start("carrier_call.xml", [$"127.0.0.1:{edge.EdgePort}", "-m", "1", "-s", phones[0].Sip.Username,
                         "-key", "from", Customer, "-timeout", "30s", "-timeout_error"]))
        {
            Assert.True(await direct.ExitCodeAsync(Limit) == 0, Diagnostics(direct));
            Assert.Equal(403, direct.FinalStatus());
        }

        await Task.Delay(500);
        Assert.Empty(app.Received());
        Assert.Empty(await HistoryAsync(company, settled: false));
    }
}

