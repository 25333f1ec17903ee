using System.Net.Http.Json;
using OiCall.Tests.Support;
namespace OiCall.SipTests;

/// <summary>
/// The public side's guard with the service's default limits (SipEdgeOptions: 16 requests / 2 s, 10 failed digest
/// attempts / 10 min, ban 300 s). Each attacker uses its own 127.0.0.x address, so a ban in one
/// test never touches another; members come from 127.0.0.1.
/// </summary>
public sealed class SipEdgeGuardTests(GuardEdgeFixture edge) : IClassFixture<GuardEdgeFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private Sipp Register(Caller caller, int times, double perSecond, string localIp = "127.0.0.1") =>
        Sipp.Start("member_register.xml", [$"127.0.0.1:{edge.EdgePort}", "-m", times.ToString(), "-r", perSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-au", caller.Sip.Username, "-ap", caller.Sip.Password!, "-key", "user", caller.Sip.Username, "-timeout", "25s", "-timeout_error"], localIp: localIp);

    [Fact]
    public async Task A_flooding_source_is_banned_within_2_s_while_a_member_elsewhere_keeps_registering()
    {
        SipEdgeFixture.RequireTools();
        var caller = await SipEdgeFixture.CallerAsync(edge.App);
        using var flood = new SipProbe("127.0.0.21", edge.EdgePort);
        // The member registers twice a second (4 requests/s, well inside its own budget) all through the
        // flood, and a colleague on another address makes a call.
        await using var member = Register(caller, times: 12, perSecond: 2);
        await using var carrier = Sipp.Carrier(edge.TrunkPort);
        await using var call = Sipp.Member("member_call.xml", edge.EdgePort, caller.Sip.Username, caller.Sip.Password!, holdMs: 1000, localIp: "127.0.0.25");

        // About 500 OPTIONS a second for 4 s from one address.
        var answers = flood.DrainAsync(TimeSpan.FromSeconds(5));
        var started = DateTime.UtcNow;
        var sent = 0;
        while (DateTime.UtcNow - started < TimeSpan.FromSeconds(4))
        {
            flood.Send(flood.Options());
            sent++;
            if (sent % 10 == 0) await Task.Delay(20);
        }
        var answered = await answers;

        Assert.True(sent > 1000, $"only {sent} requests sent");
        Assert.NotEmpty(answered);
        // Banned within 2 s of the first request, and nothing answered after that.
        Assert.True(answered.Max(a => a.At) - started < TimeSpan.FromSeconds(2),
            $"{answered.Count} of {sent} answered, the last {(answered.Max(a => a.At) - started).TotalSeconds:F2} s into the flood\n{edge.Edge.RecentLog}");
        Assert.Null(await flood.AskAsync(flood.Options()));
        Assert.Contains("banned 127.0.0.21 for 300 s: flood", edge.Edge.RecentLog);

        // Every registration of the member on the other source succeeded.
        Assert.True(await member.ExitCodeAsync(Limit) == 0, member.Log() + edge.Edge.RecentLog);
        Assert.Equal(12, member.Messages().Count(m => m.Received && m.Status == 200));
        Assert.True(await call.ExitCodeAsync(Limit) == 0, call.Log() + edge.Edge.RecentLog);
        Assert.Equal(200, call.FinalStatus());
        Assert.True(await carrier.ExitCodeAsync(Limit) == 0, carrier.Log());
    }

    [Fact]
    public async Task Guessing_a_members_password_from_one_source_is_banned_after_10_failures_and_the_member_still_registers()
    {
        SipEdgeFixture.RequireTools();
        var caller = await SipEdgeFixture.CallerAsync(edge.App);
        using var attacker = new SipProbe("127.0.0.22", edge.EdgePort);
        var uri = $"sip:{attacker.Edge}";
        var challenge = await attacker.AskAsync(attacker.Register(caller.Sip.Username));
        Assert.Equal(401, challenge is null ? 0 : SipProbe.Status(challenge));

        // Slowly (a challenge and a guess 2.5 times a second), so this is the failure counter and not the flood guard.
        for (var attempt = 1; attempt <= 10; attempt++)
        {
            // A fresh nonce for each guess (digest nonces are good once).
            challenge = await attacker.AskAsync(attacker.Register(caller.Sip.Username));
            var answer = await attacker.AskAsync(attacker.Register(caller.Sip.Username,
                SipProbe.Authorization(challenge!, "REGISTER", uri, caller.Sip.Username, $"guess-{attempt}")));
            Assert.True(answer is not null && SipProbe.Status(answer) == 401, $"attempt {attempt}: {answer}\n{edge.Edge.RecentLog}");
            await Task.Delay(400);
        }
        var log = edge.Edge.RecentLog;
        Assert.True(log.Contains("banned 127.0.0.22 for 300 s: auth"), log);
        // Operators see the ban and why, read from the edge.
        var view = await (await edge.App.OperatorAsync()).GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/operator/edge");
        Assert.Contains(view.GetProperty("bans").EnumerateArray(),
            b => b.GetProperty("address").GetString() == "127.0.0.22" && b.GetProperty("reason").GetString() == "auth");

        // The 11th attempt gets nothing, not even with the right password: the source is banned.
        Assert.Null(await attacker.AskAsync(attacker.Register(caller.Sip.Username,
            SipProbe.Authorization(challenge!, "REGISTER", uri, caller.Sip.Username, "guess-11"))));
        Assert.Null(await attacker.AskAsync(attacker.Register(caller.Sip.Username,
            SipProbe.Authorization(challenge!, "REGISTER", uri, caller.Sip.Username, caller.Sip.Password!))));

        // The member's own app, elsewhere, is not locked out.
        await using var member = Register(caller, times: 1, perSecond: 1);
        Assert.True(await member.ExitCodeAsync(Limit) == 0, member.Log() + edge.Edge.RecentLog);
        Assert.Equal(200, member.FinalStatus());
    }

    [Fact]
    public async Task An_operator_lifts_a_ban_before_it_expires_and_the_source_is_served_again()
    {
        SipEdgeFixture.RequireTools();
        using var office = new SipProbe("127.0.0.26", edge.EdgePort);
        await office.FailAuthenticationTenTimesAsync("oc87654321");   // an app with an old password
        Assert.Null(await office.AskAsync(office.Options()));

        var operatorApi = await edge.App.OperatorAsync();
        var lift = await operatorApi.DeleteAsync("/api/v1/operator/edge/bans/127.0.0.26");
        Assert.Equal(System.Net.HttpStatusCode.NoContent, lift.StatusCode);
        var answer = await office.AskAsync(office.Options());
        Assert.True(answer is not null && SipProbe.Status(answer) == 200, edge.Edge.RecentLog);
        var view = await operatorApi.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/operator/edge");
        Assert.DoesNotContain(view.GetProperty("bans").EnumerateArray(), b => b.GetProperty("address").GetString() == "127.0.0.26");

        // Its failed attempts were forgotten with the ban: one more wrong password does not ban it again.
        var challenge = await office.AskAsync(office.Register("oc87654321"));
        Assert.NotNull(challenge);
        Assert.NotNull(await office.AskAsync(office.Register("oc87654321",
            SipProbe.Authorization(challenge, "REGISTER", $"sip:{office.Edge}", "oc87654321", "wrong-11"))));
        Assert.NotNull(await office.AskAsync(office.Options()));

        await (await operatorApi.DeleteAsync("/api/v1/operator/edge/bans/127.0.0.26")).ShouldBeProblem(System.Net.HttpStatusCode.NotFound, "ban_not_found");
        await (await operatorApi.DeleteAsync("/api/v1/operator/edge/bans/not-an-address")).ShouldBeProblem(System.Net.HttpStatusCode.BadRequest, "invalid_address");
    }

    [Fact]
    public async Task An_unknown_user_is_answered_exactly_like_a_known_user_with_a_wrong_password()
    {
        SipEdgeFixture.RequireTools();
        var caller = await SipEdgeFixture.CallerAsync(edge.App);
        using var probe = new SipProbe("127.0.0.23", edge.EdgePort);
        var uri = $"sip:{probe.Edge}";
        var inviteUri = $"sip:0212345678@{probe.Edge}";

        async Task<string> AnswerAsync(string method, string user, string password)
        {
            var first = method == "REGISTER" ? probe.Register(user) : probe.Invite(user);
            var challenge = await probe.AskAsync(first) ?? throw new InvalidOperationException("no challenge\n" + edge.Edge.RecentLog);
            var authorization = SipProbe.Authorization(challenge, method, method == "REGISTER" ? uri : inviteUri, user, password);
            var answer = await probe.AskAsync(method == "REGISTER" ? probe.Register(user, authorization) : probe.Invite(user, authorization));
            return answer ?? throw new InvalidOperationException($"no answer to {method} of {user}\n{edge.Edge.RecentLog}");
        }

        foreach (var (method, status) in new[] { ("REGISTER", 401), ("INVITE", 407) })
        {
            var wrongPassword = await AnswerAsync(method, caller.Sip.Username, "not-the-password");
            var unknown = await AnswerAsync(method, "oc" + Random.Shared.NextInt64(10_000_000, 99_999_999), "not-the-password");
            var notEvenOurs = await AnswerAsync(method, "admin", "admin");

            Assert.Equal(status, SipProbe.Status(wrongPassword));
            Assert.Equal(SipProbe.Shape(wrongPassword), SipProbe.Shape(unknown));
            Assert.Equal(SipProbe.Shape(wrongPassword), SipProbe.Shape(notEvenOurs));
            // A challenge each time.
            Assert.Contains("Authenticate: Digest", SipProbe.Shape(unknown));
        }
    }

    [Theory]
    [InlineData("friendly-scanner")]
    [InlineData("sipvicious")]
    [InlineData("SIPVicious 0.3.4")]
    [InlineData("sipcli/v1.8")]
    [InlineData("sip-scan")]
    [InlineData("VaxSIPUserAgent/3.1")]
    public async Task A_scanner_user_agent_gets_no_answer(string userAgent)
    {
        SipEdgeFixture.RequireTools();
        using var scanner = new SipProbe("127.0.0.24", edge.EdgePort);
        // The same source without the scanner's name is answered: it is the user agent that is dropped.
        var plain = await scanner.AskAsync(scanner.Options());
        Assert.True(plain is not null && SipProbe.Status(plain) == 200, edge.Edge.RecentLog);

        Assert.Null(await scanner.AskAsync(scanner.Options(userAgent)));
        Assert.Null(await scanner.AskAsync(scanner.Register("oc12345678", $"User-Agent: {userAgent}\r\n")));
    }
}

/// <summary>An edge with the guard's default limits, as the service has them.</summary>
public class GuardEdgeFixture : SipEdgeFixture
{
    protected override void Configure(Dictionary<string, string?> settings) { }
}

/// <summary>The default limits, but bans that last 3 s, to see them end.</summary>
public sealed class ShortBanEdgeFixture : GuardEdgeFixture
{
    protected override void Configure(Dictionary<string, string?> settings) => settings["Sip:BanSeconds"] = "3";
}

public sealed class SipEdgeBanExpiryTests(ShortBanEdgeFixture edge) : IClassFixture<ShortBanEdgeFixture>
{
    [Fact]
    public async Task A_banned_source_is_served_again_once_its_ban_expires()
    {
        SipEdgeFixture.RequireTools();
        using var flood = new SipProbe("127.0.0.31", edge.EdgePort);
        for (var i = 0; i < 200; i++) flood.Send(flood.Options());
        await flood.DrainAsync(TimeSpan.FromMilliseconds(500));
        Assert.Contains("banned 127.0.0.31 for 3 s: flood", edge.Edge.RecentLog);
        Assert.Null(await flood.AskAsync(flood.Options()));

        // One request a second (well inside the limit) until answered: within the 3 s ban plus the guard's own memory of the flood.
        var banned = DateTime.UtcNow;
        string? answer = null;
        while (answer is null && DateTime.UtcNow - banned < TimeSpan.FromSeconds(10)) answer = await flood.AskAsync(flood.Options());
        Assert.True(answer is not null && SipProbe.Status(answer) == 200, edge.Edge.RecentLog);
        Assert.True(DateTime.UtcNow - banned > TimeSpan.FromSeconds(1.5), "the ban ended too early");
    }

    [Fact]
    public async Task A_ban_for_failed_authentication_expires_too()
    {
        SipEdgeFixture.RequireTools();
        using var attacker = new SipProbe("127.0.0.32", edge.EdgePort);
        await attacker.FailAuthenticationTenTimesAsync("oc12345678");
        Assert.Null(await attacker.AskAsync(attacker.Options()));
        Assert.Contains("banned 127.0.0.32 for 3 s: auth", edge.Edge.RecentLog);

        await Task.Delay(TimeSpan.FromSeconds(3));
        var answer = await attacker.AskAsync(attacker.Options());
        Assert.True(answer is not null && SipProbe.Status(answer) == 200, edge.Edge.RecentLog);
    }

    /// <summary>
    /// Here the carrier trunk is 127.0.0.1 (its own port), the address members' test apps use too:
    /// with 127.0.0.1 banned for a flood, the trunk's requests and replies still get through.
    /// </summary>
    [Fact]
    public async Task The_carrier_trunk_is_never_limited_or_banned_even_when_its_address_is()
    {
        SipEdgeFixture.RequireTools();
        var caller = await SipEdgeFixture.CallerAsync(edge.App);

        // The trunk's own address and port: 100 requests as fast as they are answered, far over 16 / 2 s.
        using (var trunk = new SipProbe("127.0.0.1", edge.EdgePort, edge.TrunkPort))
        {
            for (var i = 0; i < 100; i++)
            {
                var answer = await trunk.AskAsync(trunk.Options());
                Assert.True(answer is not null && SipProbe.Status(answer) == 200, $"request {i + 1} from the trunk: {answer}\n{edge.Edge.RecentLog}");
            }
        }

        // Another port on the trunk's address floods and bans 127.0.0.1 ...
        using var flood = new SipProbe("127.0.0.1", edge.EdgePort);
        for (var i = 0; i < 200; i++) flood.Send(flood.Options());
        await flood.DrainAsync(TimeSpan.FromMilliseconds(300));
        Assert.Contains("banned 127.0.0.1 for 3 s: flood", edge.Edge.RecentLog);
        Assert.Null(await flood.AskAsync(flood.Options(), TimeSpan.FromMilliseconds(300)));

        // ... and a member elsewhere still calls out: the trunk's replies (from 127.0.0.1) reach the edge.
        await using var carrier = Sipp.Carrier(edge.TrunkPort);
        await using var app = Sipp.Member("member_call.xml", edge.EdgePort, caller.Sip.Username, caller.Sip.Password!, holdMs: 300, localIp: "127.0.0.33");
        Assert.True(await app.ExitCodeAsync(TimeSpan.FromSeconds(30)) == 0, app.Log() + carrier.Log() + edge.Edge.RecentLog);
        Assert.Equal(200, app.FinalStatus());
        Assert.True(await carrier.ExitCodeAsync(TimeSpan.FromSeconds(30)) == 0, carrier.Log());
    }
}
