namespace OiCall.SipTests;

/// <summary>
/// Digest credentials someone captured on the way (an INVITE or a REGISTER of a member's app) cannot
/// be sent again: the edge takes each answer to a challenge once.
/// </summary>
public sealed class DigestReplaySipTests(SipEdgeFixture edge) : IClassFixture<SipEdgeFixture>
{
    [Fact]
    public async Task A_captured_Authorization_header_sent_again_verbatim_is_challenged_not_accepted()
    {
        SipEdgeFixture.RequireTools();
        var caller = await SipEdgeFixture.CallerAsync(edge.App);
        using var member = new SipProbe("127.0.0.1", edge.EdgePort);
        using var attacker = new SipProbe("127.0.0.7", edge.EdgePort);
        var user = caller.Sip.Username;

        // REGISTER: the member's own answer to the challenge is accepted once.
        var challenge = await member.AskAsync(member.Register(user));
        Assert.NotNull(challenge);
        var credentials = SipProbe.Authorization(challenge, "REGISTER", $"sip:{member.Edge}", user, caller.Sip.Password!);
        var registered = await member.AskAsync(member.Register(user, credentials));
        Assert.Equal(200, SipProbe.Status(registered ?? ""));
        foreach (var probe in new[] { attacker, member })
        {
            var replayed = await probe.AskAsync(probe.Register(user, credentials));
            Assert.True(SipProbe.Status(replayed ?? "") == 401, (replayed ?? "no answer") + edge.Edge.RecentLog);
        }

        // INVITE: the first use reaches the control plane (which refuses a number that is none);
        // the same header on a new INVITE only gets a challenge.
        var uri = $"sip:12@{member.Edge}";
        var inviteChallenge = await member.AskAsync(member.Request("INVITE", uri, user, ""));
        Assert.Equal(407, SipProbe.Status(inviteChallenge ?? ""));
        var inviteCredentials = SipProbe.Authorization(inviteChallenge!, "INVITE", uri, user, caller.Sip.Password!);
        var decided = await member.AskAsync(member.Request("INVITE", uri, user, inviteCredentials), TimeSpan.FromSeconds(3));
        Assert.True(SipProbe.Status(decided ?? "") == 404, (decided ?? "no answer") + edge.Edge.RecentLog);
        var replayedInvite = await attacker.AskAsync(attacker.Request("INVITE", uri, user, inviteCredentials), TimeSpan.FromSeconds(3));
        Assert.True(SipProbe.Status(replayedInvite ?? "") == 407, (replayedInvite ?? "no answer") + edge.Edge.RecentLog);
    }
}
