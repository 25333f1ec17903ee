using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using OiCall.Tests.Support;

namespace OiCall.SipTests;

/// <summary>
/// What a member's password lets one register: at most Sip:MaxDevicesPerMember devices (5), a new
/// one replacing the longest-unrefreshed, and no Contact that makes the edge's inbound INVITEs go
/// anywhere but back to the device that registered. Each device is its own 127.0.0.x address.
/// </summary>
public sealed partial class SipEdgeRegistrarTests(SipEdgeFixture edge) : IClassFixture<SipEdgeFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>REGISTERs with this Contact (default: the probe's own address) and the right password; the final answer.</summary>
    private static async Task<string> RegisterAsync(SipProbe device, Caller caller, string? contact = null)
    {
        var user = caller.Sip.Username;
        var headers = $"Contact: <{contact ?? $"sip:{user}@{device.Local.Address}:{device.Local.Port}"}>\r\nExpires: 60\r\n";
        var uri = $"sip:{device.Edge}";
        var challenge = await device.AskAsync(device.Request("REGISTER", uri, user, headers)) ?? throw new InvalidOperationException("no challenge");
        Assert.Equal(401, SipProbe.Status(challenge));
        return await device.AskAsync(device.Request("REGISTER", uri, user, headers + SipProbe.Authorization(challenge, "REGISTER", uri, user, caller.Sip.Password!)))
            ?? throw new InvalidOperationException("no answer to the REGISTER");
    }

    /// <summary>The contacts a 200 to REGISTER lists (the member's registered devices).</summary>
    private static List<string> Registered(string answer) =>
        [.. answer.Split("\r\n").TakeWhile(l => l.Length > 0).Where(l => l.StartsWith("Contact:", StringComparison.OrdinalIgnoreCase))
            .SelectMany(l => RegisteredContact().Matches(l)).Select(m => m.Groups[1].Value)];

    [Fact]
    public async Task A_sixth_device_replaces_the_one_registered_longest_ago_so_a_member_has_at_most_five()
    {
        SipEdgeFixture.RequireTools();
        var caller = await SipEdgeFixture.CallerAsync(edge.App);
        var devices = Enumerable.Range(51, 6).Select(i => new SipProbe($"127.0.0.{i}", edge.EdgePort)).ToList();
        try
        {
            Assert.Equal(200, SipProbe.Status(await RegisterAsync(devices[0], caller)));
            // Registrations are timed to the second: the first is the oldest by a clear margin.
            await Task.Delay(1200);
            for (var i = 1; i < 5; i++) Assert.Equal(200, SipProbe.Status(await RegisterAsync(devices[i], caller)));
            await Task.Delay(1200);
            // A refresh of a registered device is no new device: nothing replaced.
            var refreshed = await RegisterAsync(devices[4], caller);
            Assert.Equal(5, Registered(refreshed).Count);

            var sixth = await RegisterAsync(devices[5], caller);

            Assert.True(SipProbe.Status(sixth) == 200, sixth + edge.Edge.RecentLog);
            var registered = Registered(sixth);
            Assert.True(registered.Count == 5, sixth);
            Assert.DoesNotContain(registered, c => c.Contains("@127.0.0.51:", StringComparison.Ordinal));
            Assert.Contains(registered, c => c.Contains("@127.0.0.56:", StringComparison.Ordinal));
            var view = await (await edge.App.OperatorAsync()).GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/operator/edge");
            Assert.Equal(5, view.GetProperty("devices").EnumerateArray().Count(d => d.GetProperty("username").GetString() == caller.Sip.Username));
        }
        finally
        {
            foreach (var device in devices) device.Dispose();
        }
    }

    [Fact]
    public async Task A_Contact_naming_the_trunk_or_the_edge_itself_is_refused()
    {
        SipEdgeFixture.RequireTools();
        var caller = await SipEdgeFixture.CallerAsync(edge.App);
        using var device = new SipProbe("127.0.0.57", edge.EdgePort);
        foreach (var contact in new[] { $"sip:+882160001234@127.0.0.1:{edge.TrunkPort}", $"sip:{caller.Sip.Username}@127.0.0.1:{edge.EdgePort}" })
        {
            var answer = await RegisterAsync(device, caller, contact);
            Assert.True(SipProbe.Status(answer) == 403, $"{contact}: {answer}\n{edge.Edge.RecentLog}");
        }
        var view = await (await edge.App.OperatorAsync()).GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/operator/edge");
        Assert.DoesNotContain(view.GetProperty("devices").EnumerateArray(), d => d.GetProperty("username").GetString() == caller.Sip.Username);
    }

    [Fact]
    public async Task An_inbound_call_rings_the_address_the_device_registered_from_not_the_host_its_Contact_names()
    {
        SipEdgeFixture.RequireTools();
        var company = await SipEdgeFixture.CallerAsync(edge.App, walletSeconds: 0);
        var put = await company.Owner.Api.PutAsJsonAsync($"/api/v1/businesses/{company.Business.Id}/ring-group",
            new { mode = "ringAll", ringSeconds = 10, memberIds = new[] { company.Member.Id } });
        Assert.True(put.StatusCode == HttpStatusCode.OK, await put.Content.ReadAsStringAsync());
        using var device = new SipProbe("127.0.0.58", edge.EdgePort);
        // Someone else's SIP server, which the member would have the edge call.
        using var victim = new SipProbe("127.0.0.59", edge.EdgePort);
        Assert.Equal(200, SipProbe.Status(await RegisterAsync(device, company, $"sip:+882160001234@{victim.Local.Address}:{victim.Local.Port}")));

        await using var carrier = Sipp.Start("carrier_call.xml", [$"127.0.0.1:{edge.EdgePort}", "-m", "1", "-s", company.CompanyE164, "-key", "from", "01099998765",
            "-d", "500", "-timeout", "30s", "-timeout_error"], edge.TrunkPort);
        var victimGot = victim.DrainAsync(TimeSpan.FromSeconds(4));
        var rang = (await device.DrainAsync(TimeSpan.FromSeconds(4))).Select(m => m.Text).FirstOrDefault(m => m.StartsWith("INVITE ", StringComparison.Ordinal));

        Assert.True(rang is not null, carrier.Log() + edge.Edge.RecentLog);
        Assert.Empty(await victimGot);
        // Busy: the carrier's call ends.
        device.Send(Busy(rang));
        Assert.True(await carrier.ExitCodeAsync(Limit) == 0, carrier.Log() + edge.Edge.RecentLog);
    }

    /// <summary>486 to an INVITE the probe received (its Vias, From, To with a tag, Call-ID, CSeq).</summary>
    private static string Busy(string invite)
    {
        var headers = invite.Split("\r\n").TakeWhile(l => l.Length > 0).Skip(1).ToList();
        string One(string name) => headers.First(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase));
        return "SIP/2.0 486 Busy Here\r\n" +
               string.Concat(headers.Where(l => l.StartsWith("Via:", StringComparison.OrdinalIgnoreCase)).Select(l => l + "\r\n")) +
               One("From") + "\r\n" + One("To") + ";tag=busy1\r\n" + One("Call-ID") + "\r\n" + One("CSeq") + "\r\n" +
               "Content-Length: 0\r\n\r\n";
    }

    [GeneratedRegex(@"<(sip:oc\d+@[^>]+)>")]
    private static partial Regex RegisteredContact();
}
