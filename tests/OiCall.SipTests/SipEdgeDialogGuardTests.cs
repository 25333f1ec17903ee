using System.Text.RegularExpressions;

namespace OiCall.SipTests;

/// <summary>
/// What an attacker sends to get calls relayed that nobody authorized or bills: requests dressed as
/// inside a call (a To tag and a Route naming the edge), requests inside someone else's call, a
/// transfer out of a call, a second call on one Call-ID. The carrier trunk is a sipp UAS that must
/// receive nothing of it. Strangers use their own 127.0.0.x addresses.
/// </summary>
public sealed partial class SipEdgeDialogGuardTests(SipEdgeFixture edge) : IClassFixture<SipEdgeFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    /// <summary>A satellite number (about 10,000 won a minute): what a toll fraudster dials.</summary>
    private const string Premium = "+882160001234";

    private string Diagnostics(params Sipp[] sipps) =>
        string.Join("\n==========\n", sipps.Select(s => s.Log())) + "\n========== kamailio:\n" + edge.Edge.RecentLog;

    private string TrunkUri(string user) => $"sip:{user}@127.0.0.1:{edge.TrunkPort}";

    /// <summary>A request as inside a dialog: From and To tags, and a Route through the edge.</summary>
    private static string InDialog(SipProbe probe, string method, string uri, string callId, string from, string to, int cseq, string extra = "") =>
        $"{method} {uri} SIP/2.0\r\n" +
        $"Via: SIP/2.0/UDP {probe.Local.Address}:{probe.Local.Port};branch=z9hG4bK-{Guid.NewGuid():N}\r\n" +
        $"Route: <sip:{probe.Edge};lr>\r\n" +
        "Max-Forwards: 70\r\n" +
        $"From: {from}\r\n" +
        $"To: {to}\r\n" +
        $"Call-ID: {callId}\r\n" +
        $"CSeq: {cseq} {method}\r\n" +
        $"Contact: <sip:attacker@{probe.Local.Address}:{probe.Local.Port}>\r\n" +
        extra +
        "Content-Length: 0\r\n\r\n";

    [Theory]
    [InlineData("INVITE")]
    [InlineData("MESSAGE")]
    [InlineData("OPTIONS")]
    [InlineData("BYE")]
    [InlineData("INFO")]
    public async Task A_forged_in_dialog_request_from_a_stranger_gets_481_and_reaches_nobody(string method)
    {
        SipEdgeFixture.RequireTools();
        await using var carrier = Sipp.Carrier(edge.TrunkPort);
        using var stranger = new SipProbe("127.0.0.41", edge.EdgePort);
        var forged = InDialog(stranger, method, TrunkUri(Premium), $"forged-{Guid.NewGuid():N}",
            $"<sip:+82212345678@{stranger.Edge}>;tag={Guid.NewGuid():N}", $"<{TrunkUri(Premium)}>;tag={Guid.NewGuid():N}", 1);

        var answer = await stranger.AskAsync(forged, TimeSpan.FromSeconds(3));

        Assert.True(answer is not null && SipProbe.Status(answer) == 481, (answer ?? "no answer") + Diagnostics(carrier));
        await Task.Delay(500);
        Assert.Empty(carrier.Received());
    }

    [Fact]
    public async Task Requests_in_a_members_call_from_anyone_but_its_two_parties_get_403_and_reach_nobody()
    {
        SipEdgeFixture.RequireTools();
        var caller = await SipEdgeFixture.CallerAsync(edge.App);
        await using var carrier = Sipp.Carrier(edge.TrunkPort);
        // Well inside the fixture's granted time.
        await using var app = Sipp.Member("member_call.xml", edge.EdgePort, caller.Sip.Username, caller.Sip.Password!, holdMs: 2500);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!carrier.Messages().Any(m => m.Received && m.Method == "ACK") && DateTime.UtcNow < deadline) await Task.Delay(50);
        var invite = carrier.Messages().First(m => m.Received && m.Method == "INVITE");
        var answer = carrier.Messages().First(m => !m.Received && m.Status == 200);

        // Everything of the call the carrier saw: Call-ID and both tags, the member's side as From.
        using var stranger = new SipProbe("127.0.0.42", edge.EdgePort);
        var cseq = 10;
        foreach (var method in new[] { "BYE", "INVITE", "INFO", "REFER" })
        {
            var forged = InDialog(stranger, method, TrunkUri(Premium), invite.CallId, invite.Header("From")!, answer.Header("To")!, cseq++);
            var reply = await stranger.AskAsync(forged, TimeSpan.FromSeconds(3));
            Assert.True(reply is not null && SipProbe.Status(reply) == 403, $"{method}: {reply ?? "no answer"}\n{Diagnostics(app, carrier)}");
        }

        Assert.True(await app.ExitCodeAsync(Limit) == 0, Diagnostics(app, carrier));
        Assert.True(await carrier.ExitCodeAsync(Limit) == 0, Diagnostics(app, carrier));
        // The carrier got the member's call and its own hang-up, nothing of the stranger.
        Assert.Equal(["INVITE", "ACK", "BYE"], carrier.Messages().Where(m => m.Received).Select(m => m.Method));
        Assert.DoesNotContain(carrier.Received(), m => m.Contains(Premium[1..], StringComparison.Ordinal));
    }

    [Fact]
    public async Task Inside_a_call_a_transfer_gets_403_a_MESSAGE_405_and_DTMF_still_reaches_the_carrier()
    {
        SipEdgeFixture.RequireTools();
        var caller = await SipEdgeFixture.CallerAsync(edge.App);
        await using var carrier = Sipp.Start("carrier_uas_info.xml", ["-m", "1", "-timeout", "30s"], edge.TrunkPort);
        await using var app = Sipp.Member("member_call_refer.xml", edge.EdgePort, caller.Sip.Username, caller.Sip.Password!);

        Assert.True(await app.ExitCodeAsync(Limit) == 0, Diagnostics(app, carrier));
        Assert.True(await carrier.ExitCodeAsync(Limit) == 0, Diagnostics(app, carrier));
        var refused = app.Messages().Single(m => m.Received && m.Status == 405);
        Assert.Contains("INFO", refused.Header("Allow") ?? "");
        Assert.DoesNotContain("REFER", refused.Header("Allow") ?? "");
        Assert.Equal(["INVITE", "ACK", "INFO", "BYE"], carrier.Messages().Where(m => m.Received).Select(m => m.Method));
        // The route the member's app appended inside the call does not go on to the carrier.
        Assert.DoesNotContain(carrier.Received(), m => m.Contains("127.0.0.99", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("MESSAGE", 405)]
    [InlineData("SUBSCRIBE", 405)]
    [InlineData("PUBLISH", 405)]
    [InlineData("NOTIFY", 405)]
    [InlineData("REFER", 403)]
    public async Task Outside_a_call_only_calls_and_registrations_are_taken_and_nothing_else_is_relayed(string method, int status)
    {
        SipEdgeFixture.RequireTools();
        var caller = await SipEdgeFixture.CallerAsync(edge.App);
        await using var carrier = Sipp.Carrier(edge.TrunkPort);
        using var app = new SipProbe("127.0.0.43", edge.EdgePort);
        var request = app.Request(method, TrunkUri(Premium), caller.Sip.Username,
            $"Contact: <sip:{caller.Sip.Username}@{app.Local.Address}:{app.Local.Port}>\r\nEvent: presence\r\nRefer-To: <{TrunkUri(Premium)}>\r\n");

        var answer = await app.AskAsync(request, TimeSpan.FromSeconds(3));

        Assert.True(answer is not null && SipProbe.Status(answer) == status, (answer ?? "no answer") + edge.Edge.RecentLog);
        if (status == 405) Assert.Equal("INVITE, ACK, BYE, CANCEL, PRACK, UPDATE, INFO, OPTIONS, REGISTER", SipProbe.Header(answer!, "Allow"));
        await Task.Delay(300);
        Assert.Empty(carrier.Received());
    }

    [Fact]
    public async Task A_second_call_on_the_Call_ID_of_a_call_in_progress_is_refused_and_a_retransmission_is_not_a_second_call()
    {
        SipEdgeFixture.RequireTools();
        var caller = await SipEdgeFixture.CallerAsync(edge.App);
        await using var carrier = Sipp.Carrier(edge.TrunkPort);
        using var app = new SipProbe("127.0.0.44", edge.EdgePort);
        var callId = $"shared-{Guid.NewGuid():N}";

        // The first call, authenticated; its INVITE sent twice (a retransmission: the same branch).
        var firstTag = Guid.NewGuid().ToString("N");
        var invite = Invite(app, callId, firstTag, "0212345678", 1);
        var challenge = await app.AskAsync(invite);
        Assert.True(challenge is not null && SipProbe.Status(challenge) == 407, challenge + edge.Edge.RecentLog);
        app.Send(Ack(app, invite, challenge!));
        var authorized = Invite(app, callId, firstTag, "0212345678", 2, Credentials(app, challenge!, caller));
        app.Send(authorized);
        var answered = await app.AskAsync(authorized, TimeSpan.FromSeconds(5));
        Assert.True(answered is not null && SipProbe.Status(answered) == 200, answered + Diagnostics(carrier));
        app.Send(Ack(app, authorized, answered!));

        // The same Call-ID, a new From tag, another number (a new challenge first, as an app would).
        var secondTag = Guid.NewGuid().ToString("N");
        var second = Invite(app, callId, secondTag, "0311112222", 11);
        var secondChallenge = await app.AskAsync(second);
        Assert.True(secondChallenge is not null && SipProbe.Status(secondChallenge) == 407, secondChallenge + edge.Edge.RecentLog);
        app.Send(Ack(app, second, secondChallenge!));
        var secondAuthorized = Invite(app, callId, secondTag, "0311112222", 12, Credentials(app, secondChallenge!, caller));
        var refused = await app.AskAsync(secondAuthorized, TimeSpan.FromSeconds(5));
        Assert.True(refused is not null && SipProbe.StatusLine(refused) == "SIP/2.0 403 Call-ID already in use", refused + edge.Edge.RecentLog);
        app.Send(Ack(app, secondAuthorized, refused!));

        // The first call goes on and ends; the carrier saw one call, never the second number.
        await app.AskAsync(Bye(app, authorized, answered!), TimeSpan.FromSeconds(3));
        Assert.True(await carrier.ExitCodeAsync(Limit) == 0, Diagnostics(carrier));
        Assert.Single(carrier.Messages(), m => m.Received && m.Method == "INVITE");
        Assert.DoesNotContain(carrier.Received(), m => m.Contains("3111122", StringComparison.Ordinal));
        var deadline = DateTime.UtcNow.AddSeconds(5);
        (long Seconds, long Held) balance;
        while ((balance = await caller.BalanceAsync()).Held != 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(0, balance.Held);
    }

    [Fact]
    public async Task A_route_preloaded_by_the_members_app_never_reaches_the_carrier()
    {
        SipEdgeFixture.RequireTools();
        var caller = await SipEdgeFixture.CallerAsync(edge.App);
        await using var carrier = Sipp.Carrier(edge.TrunkPort);
        using var app = new SipProbe("127.0.0.46", edge.EdgePort);
        var callId = $"preloaded-{Guid.NewGuid():N}";
        var tag = Guid.NewGuid().ToString("N");
        // A carrier that honours Route would send the call on to this host from the edge's trusted address.
        const string Preloaded = "Route: <sip:127.0.0.99:5999;lr>\r\nRecord-Route: <sip:127.0.0.98:5998;lr>\r\n";

        var invite = Invite(app, callId, tag, "0212345678", 1, Preloaded);
        var challenge = await app.AskAsync(invite);
        Assert.True(challenge is not null && SipProbe.Status(challenge) == 407, challenge + edge.Edge.RecentLog);
        app.Send(Ack(app, invite, challenge!));
        var authorized = Invite(app, callId, tag, "0212345678", 2, Preloaded + Credentials(app, challenge!, caller));
        var answered = await app.AskAsync(authorized, TimeSpan.FromSeconds(5));
        Assert.True(answered is not null && SipProbe.Status(answered) == 200, answered + Diagnostics(carrier));
        app.Send(Ack(app, authorized, answered!));
        await app.AskAsync(Bye(app, authorized, answered!), TimeSpan.FromSeconds(3));
        Assert.True(await carrier.ExitCodeAsync(Limit) == 0, Diagnostics(carrier));

        var atCarrier = Assert.Single(carrier.Received(), m => m.StartsWith("INVITE ", StringComparison.Ordinal));
        Assert.DoesNotContain("127.0.0.99", atCarrier, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.98", atCarrier, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_call_the_control_plane_refused_may_be_tried_again_on_its_Call_ID()
    {
        SipEdgeFixture.RequireTools();
        var caller = await SipEdgeFixture.CallerAsync(edge.App, walletSeconds: 0);
        await using var carrier = Sipp.Carrier(edge.TrunkPort);
        using var app = new SipProbe("127.0.0.45", edge.EdgePort);
        var callId = $"retry-{Guid.NewGuid():N}";
        var tag = Guid.NewGuid().ToString("N");

        // No minutes, twice: the second attempt is answered by the control plane again, not as a second call.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var invite = Invite(app, callId, tag, "0212345678", 10 * attempt + 1);
            var challenge = await app.AskAsync(invite);
            Assert.True(challenge is not null && SipProbe.Status(challenge) == 407, challenge + edge.Edge.RecentLog);
            app.Send(Ack(app, invite, challenge!));
            var authorized = Invite(app, callId, tag, "0212345678", 10 * attempt + 2, Credentials(app, challenge!, caller));
            var answer = await app.AskAsync(authorized, TimeSpan.FromSeconds(5));
            Assert.True(answer is not null && SipProbe.StatusLine(answer) == "SIP/2.0 402 No minutes left", $"attempt {attempt + 1}: {answer}\n{edge.Edge.RecentLog}");
            app.Send(Ack(app, authorized, answer!));
        }
        Assert.Empty(carrier.Received());
    }

    private static string Invite(SipProbe app, string callId, string fromTag, string dialled, int cseq, string extra = "") =>
        $"INVITE sip:{dialled}@{app.Edge} SIP/2.0\r\n" +
        $"Via: SIP/2.0/UDP {app.Local.Address}:{app.Local.Port};branch=z9hG4bK-{Guid.NewGuid():N}\r\n" +
        "Max-Forwards: 70\r\n" +
        $"From: <sip:member@{app.Edge}>;tag={fromTag}\r\n" +
        $"To: <sip:{dialled}@{app.Edge}>\r\n" +
        $"Call-ID: {callId}\r\n" +
        $"CSeq: {cseq} INVITE\r\n" +
        $"Contact: <sip:member@{app.Local.Address}:{app.Local.Port}>\r\n" +
        extra +
        "Content-Length: 0\r\n\r\n";

    private static string Credentials(SipProbe app, string challenge, Caller caller) =>
        SipProbe.Authorization(challenge, "INVITE", RequestUri(challenge, app), caller.Sip.Username, caller.Sip.Password!);

    /// <summary>The INVITE's Request-URI, rebuilt from the dialled number in the answer's To.</summary>
    private static string RequestUri(string answer, SipProbe app) =>
        $"sip:{UriUser().Match(SipProbe.Header(answer, "To")!).Groups[1].Value}@{app.Edge}";

    /// <summary>The ACK of a final answer: for a 2xx a new transaction to its Contact, else the INVITE's own.</summary>
    private static string Ack(SipProbe app, string invite, string answer) => Follow(app, invite, answer, "ACK", SipProbe.Status(answer) < 300);

    private static string Bye(SipProbe app, string invite, string answer) => Follow(app, invite, answer, "BYE", true);

    private static string Follow(SipProbe app, string invite, string answer, string method, bool newTransaction)
    {
        var inviteCseq = int.Parse(SipProbe.Header(invite, "CSeq")!.Split(' ')[0]);
        var uri = newTransaction ? ContactUri().Match(SipProbe.Header(answer, "Contact")!).Groups[1].Value : invite[7..invite.IndexOf(" SIP/2.0", StringComparison.Ordinal)];
        var via = newTransaction ? $"SIP/2.0/UDP {app.Local.Address}:{app.Local.Port};branch=z9hG4bK-{Guid.NewGuid():N}" : SipProbe.Header(invite, "Via");
        return $"{method} {uri} SIP/2.0\r\n" +
               $"Via: {via}\r\n" +
               "Max-Forwards: 70\r\n" +
               $"From: {SipProbe.Header(invite, "From")}\r\n" +
               $"To: {SipProbe.Header(answer, "To")}\r\n" +
               $"Call-ID: {SipProbe.Header(invite, "Call-ID")}\r\n" +
               $"CSeq: {(method == "ACK" ? inviteCseq : inviteCseq + 1)} {method}\r\n" +
               "Content-Length: 0\r\n\r\n";
    }

    [GeneratedRegex("<([^>]+)>")]
    private static partial Regex ContactUri();

    [GeneratedRegex("sip:([^@]+)@")]
    private static partial Regex UriUser();
}
