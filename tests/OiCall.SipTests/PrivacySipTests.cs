using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using OiCall.Tests.Support;

namespace OiCall.SipTests;

/// <summary>
/// Members' numbers never leave the edge. The members' apps here tell everything about
/// their users the way real apps do (User-Agent and Contact with the SIP username and a device id,
/// identity headers and an X- header with the member's own number, an SDP whose o=, s=, i=, u=,
/// e=, p=, a=tool and a=ssrc cname lines name the member). Everything the carrier trunk sent and
/// received (its sipp message log: the traffic toward the trunk) is searched for every member's
/// SIP username, name, own number in every form, user agent and app address (its port: the edge,
/// the members and the carrier all share 127.0.0.1 here). Left visible by design, and not searched:
/// the media address and port in c=/m= (no media relay).
/// </summary>
public sealed partial class PrivacySipTests(SipEdgeFixture edge) : IClassFixture<SipEdgeFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private const string UserAgent = "LeakyPhone/3.1";
    private const string Customer = "01099998765";

    /// <summary>What a member's app may give away about the member.</summary>
    private sealed record Member(string Username, string Password, string Name, string Phone, int Port)
    {
        public string Digits => new(Phone.Where(char.IsAsciiDigit).ToArray());
        public string E164 => "+82" + Digits[1..];

        /// <summary>sipp keys of the leaky scenarios.</summary>
        public string[] Keys =>
        [
            "-key", "user", Username, "-key", "name", Name, "-key", "phone", Digits, "-key", "phone_dash", Phone,
            "-key", "phone_e164", E164, "-key", "ua", UserAgent,
        ];

        /// <summary>Each identifier with the pattern that finds it; the national number without its 0 also finds +82….</summary>
        public IEnumerable<(string What, Regex Pattern)> Identifiers() =>
        [
            ("SIP username", new Regex(Regex.Escape(Username), RegexOptions.IgnoreCase)),
            ("name", new Regex(Regex.Escape(Name))),
            ("own number", new Regex(Regex.Escape(Digits[1..]))),
            ("own number with dashes", new Regex(Regex.Escape(Phone))),
            ("own number in E.164", new Regex(Regex.Escape(E164))),
            ("user agent", new Regex(Regex.Escape(UserAgent), RegexOptions.IgnoreCase)),
            // The app's SIP address (127.0.0.1:port in Contact and Via, rport=port): its port after ':' or '='.
            ("app address", new Regex($@"[:=]\s*{Port}(?![0-9])")),
        ];
    }

    private string Diagnostics(params Sipp[] sipps) =>
        string.Join("\n==========\n", sipps.Select(s => s.Log())) + "\n========== kamailio:\n" + edge.Edge.RecentLog;

    /// <summary>A UDP port for a member's app that cannot be mistaken for the edge's or the trunk's.</summary>
    private int MemberPort()
    {
        while (true)
        {
            var port = Sipp.FreeUdpPort();
            if (port >= 10000 && port != edge.EdgePort && port != edge.TrunkPort) return port;
        }
    }

    /// <summary>
    /// The trunk's log holds the whole call (so the search is not vacuous), and no message in it
    /// holds anything of the members; the members' own logs do (so the apps did give it away).
    /// </summary>
    private void AssertNothingOfTheMembersReachedTheTrunk(Sipp trunk, IReadOnlyList<(Member Who, Sipp App)> members, params string[] mustHave)
    {
        var messages = trunk.Messages();
        Assert.True(messages.Count >= mustHave.Length, Diagnostics([trunk, .. members.Select(m => m.App)]));
        // mustHave: a request method ("BYE") or a reply with its CSeq ("180 1 INVITE").
        foreach (var expected in mustHave)
            Assert.True(messages.Any(m => m.Method == expected || $"{m.Status} {m.CSeq}" == expected),
                $"the trunk's log has no {expected}:\n{trunk.Log()}");

        var leaks = new List<string>();
        foreach (var (who, app) in members)
        {
            var sentByApp = string.Join('\n', app.Messages().Where(m => !m.Received).Select(m => m.Text));
            foreach (var (what, pattern) in who.Identifiers())
            {
                // The app did give it away, so finding nothing toward the trunk means something.
                Assert.True(pattern.IsMatch(sentByApp), $"{who.Username}'s app never sent its {what} ({pattern}):\n{sentByApp}");
                foreach (var message in messages)
                    foreach (var line in message.Text.Split('\n').Where(l => pattern.IsMatch(l)))
                        leaks.Add($"{who.Username}'s {what} in a message the trunk {(message.Received ? "received" : "sent")} ({FirstLine(message)}): {line.Trim()}");
            }
        }
        Assert.True(leaks.Count == 0, string.Join('\n', leaks) + "\n\n" + trunk.Log());
    }

    private static string FirstLine(SipMessage message) => message.Text[..Math.Max(0, message.Text.IndexOf('\n'))].Trim();

    [Fact]
    public async Task An_outbound_call_shows_the_carrier_nothing_of_the_member_in_headers_or_SDP_through_re_INVITE_and_BYE()
    {
        SipEdgeFixture.RequireTools();
        var caller = await SipEdgeFixture.CallerAsync(edge.App, 600, memberPhone: "010-5858-3434");
        var member = new Member(caller.Sip.Username, caller.Sip.Password!, caller.Member.Name, caller.MemberPhone, MemberPort());

        await using var trunk = Sipp.Start("carrier_uas_reinvite.xml", ["-m", "1", "-timeout", "30s"], edge.TrunkPort);
        await using var app = Sipp.Start("member_call_leaky.xml",
            [$"127.0.0.1:{edge.EdgePort}", "-m", "1", "-s", "0212345678", "-au", member.Username, "-ap", member.Password, "-d", "500",
                .. member.Keys, "-timeout", "20s", "-timeout_error"], member.Port);

        Assert.True(await app.ExitCodeAsync(Limit) == 0, Diagnostics(app, trunk));
        Assert.True(await trunk.ExitCodeAsync(Limit) == 0, Diagnostics(app, trunk));
        AssertNothingOfTheMembersReachedTheTrunk(trunk, [(member, app)], "INVITE", "ACK", "BYE", "200 2 INVITE", "200 3 INVITE", "200 4 BYE");

        // The SDP still works: the o= line is the edge's, one session id for the call, the app's versions kept.
        var offers = trunk.Messages().Where(m => m.Received && m.Method == "INVITE").Select(m => OriginPattern().Match(m.Text)).ToList();
        Assert.Equal(2, offers.Count);
        Assert.All(offers, o => Assert.True(o.Success, trunk.Log()));
        Assert.Equal(offers[0].Groups["session"].Value, offers[1].Groups["session"].Value);
        Assert.Equal(("1", "2"), (offers[0].Groups["version"].Value, offers[1].Groups["version"].Value));
        Assert.All(trunk.Messages().Where(m => m.Received && m.Method == "INVITE"), m => Assert.Contains("\ns=-", m.Text));
    }

    [Fact]
    public async Task An_inbound_call_rung_to_two_members_shows_the_carrier_nothing_of_either_through_ringing_answer_re_INVITE_and_the_members_BYE()
    {
        SipEdgeFixture.RequireTools();
        var company = await SipEdgeFixture.CallerAsync(edge.App, walletSeconds: 0, memberPhone: "010-4747-1212");
        var second = await company.Owner.AddMemberAsync(company.Business.Id, "상담원", "010-4747-1213");
        var issued = await company.Owner.Api.PostAsync($"/api/v1/businesses/{company.Business.Id}/members/{second.Id}/sip-password", null);
        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        var secondSip = (await issued.Content.ReadFromJsonAsync<SipAccountDto>(BusinessApi.Json))!;
        var ringing = new Member(company.Sip.Username, company.Sip.Password!, company.Member.Name, company.MemberPhone, MemberPort());
        var answering = new Member(secondSip.Username, secondSip.Password!, second.Name, "010-4747-1213", MemberPort());
        Assert.NotEqual(ringing.Port, answering.Port);

        var put = await company.Owner.Api.PutAsJsonAsync($"/api/v1/businesses/{company.Business.Id}/ring-group",
            new { mode = "ringAll", ringSeconds = 10, memberIds = new[] { company.Member.Id, second.Id } });
        Assert.True(put.StatusCode == HttpStatusCode.OK, await put.Content.ReadAsStringAsync());
        foreach (var member in new[] { ringing, answering })
        {
            await using var register = Sipp.Start("member_register.xml", [$"127.0.0.1:{edge.EdgePort}", "-m", "1", "-au", member.Username, "-ap", member.Password,
                "-key", "user", member.Username, "-timeout", "10s", "-timeout_error"], member.Port);
            Assert.True(await register.ExitCodeAsync(Limit) == 0, Diagnostics(register));
        }

        await using var rings = Sipp.Start("member_uas_ring_leaky.xml", ["-m", "1", .. ringing.Keys, "-timeout", "30s", "-timeout_error"], ringing.Port);
        await using var answers = Sipp.Start("member_uas_answer_leaky.xml", ["-m", "1", "-d", "500", .. answering.Keys, "-timeout", "30s", "-timeout_error"], answering.Port);
        await Task.Delay(200);
        await using var trunk = Sipp.Start("carrier_call_callee_hangs_up.xml", [$"127.0.0.1:{edge.EdgePort}", "-m", "1", "-s", company.CompanyE164,
            "-key", "from", Customer, "-d", "500", "-timeout", "30s", "-timeout_error"], edge.TrunkPort);

        Assert.True(await trunk.ExitCodeAsync(Limit) == 0, Diagnostics(trunk, answers, rings));
        Assert.True(await answers.ExitCodeAsync(Limit) == 0, Diagnostics(trunk, answers, rings));
        Assert.True(await rings.ExitCodeAsync(Limit) == 0, Diagnostics(trunk, answers, rings));
        AssertNothingOfTheMembersReachedTheTrunk(trunk, [(ringing, rings), (answering, answers)],
            "INVITE", "180 1 INVITE", "200 1 INVITE", "200 2 INVITE", "BYE", "200 1 BYE");
        // Both members' ringing reached the carrier (scrubbed), not only the one who answered.
        Assert.Equal(2, trunk.Messages().Count(m => m.Received && m.Status == 180));
    }

    [GeneratedRegex(@"(?m)^o=oicall (?<session>[0-9]+) (?<version>[0-9]+) IN IP4 127\.0\.0\.1\r?$")]
    private static partial Regex OriginPattern();
}
