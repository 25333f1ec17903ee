using System.Net.Http.Json;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using OiCall.Tests.Support;
using OiCall.Web.Infrastructure;
using OiCall.Web.Infrastructure.SipEdge;
using OiCall.Web.Features.Telephony;
using Microsoft.Extensions.DependencyInjection;

namespace OiCall.SipTests;

/// <summary>
/// Members' calls through the project's real Kamailio, with sipp as the member's SIP app and as the
/// carrier trunk; what the carrier received is read from its message log.
/// </summary>
public sealed class SipEdgeTests(SipEdgeFixture edge) : IClassFixture<SipEdgeFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private async Task<Caller> CallerAsync(long walletSeconds = 600, int callsAtOnce = 100)
    {
        SipEdgeFixture.RequireTools();
        return await SipEdgeFixture.CallerAsync(edge.App, walletSeconds, callsAtOnce: callsAtOnce);
    }

    private string Diagnostics(params Sipp[] sipps) =>
        string.Join("\n==========\n", sipps.Select(s => s.Log())) + "\n========== kamailio:\n" + edge.Edge.RecentLog;

    /// <summary>Nothing that identifies the member: SIP username, own phone number (any format), name.</summary>
    private static void AssertNothingOfTheMember(string message, Caller caller)
    {
        var digits = new string(caller.MemberPhone.Where(char.IsAsciiDigit).ToArray());
        Assert.DoesNotContain(caller.Sip.Username, message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(digits[1..], message);                    // 1031314242 (in +821031314242 too)
        Assert.DoesNotContain(caller.MemberPhone, message);
        Assert.DoesNotContain("Member", message);                      // the display name the app sent
        Assert.DoesNotContain("Authorization", message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_member_registers_with_the_right_password_and_not_with_a_wrong_one()
    {
        var caller = await CallerAsync();

        await using (var app = Sipp.Start("member_register.xml", [$"127.0.0.1:{edge.EdgePort}", "-m", "1", "-au", caller.Sip.Username, "-ap", caller.Sip.Password!,
                         "-key", "user", caller.Sip.Username, "-timeout", "10s", "-timeout_error"]))
            Assert.True(await app.ExitCodeAsync(Limit) == 0, Diagnostics(app));

        await using (var wrong = Sipp.Start("member_register.xml", [$"127.0.0.1:{edge.EdgePort}", "-m", "1", "-au", caller.Sip.Username, "-ap", "not-the-password",
                         "-key", "user", caller.Sip.Username, "-timeout", "10s", "-timeout_error"]))
        {
            Assert.NotEqual(0, await wrong.ExitCodeAsync(Limit));
            Assert.Equal(401, wrong.FinalStatus());
        }

        // A username the control plane does not know is challenged, never registered.
        await using var stranger = Sipp.Start("member_register.xml", [$"127.0.0.1:{edge.EdgePort}", "-m", "1", "-au", "oc00000001", "-ap", "x",
            "-key", "user", "oc00000001", "-timeout", "10s", "-timeout_error"]);
        Assert.NotEqual(0, await stranger.ExitCodeAsync(Limit));
        Assert.Equal(401, stranger.FinalStatus());
    }

    [Fact]
    public async Task Operators_see_registered_devices_and_calls_in_progress_with_their_business()
    {
        var caller = await CallerAsync();
        await using (var app = Sipp.Start("member_register_ua.xml", [$"127.0.0.1:{edge.EdgePort}", "-m", "1", "-au", caller.Sip.Username, "-ap", caller.Sip.Password!,
                         "-key", "user", caller.Sip.Username, "-timeout", "10s", "-timeout_error"]))
            Assert.True(await app.ExitCodeAsync(Limit) == 0, Diagnostics(app));
        var operatorApi = await edge.App.OperatorAsync();

        var view = await operatorApi.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/operator/edge");
        Assert.True(view.GetProperty("running").GetBoolean(), view.ToString());
        var device = view.GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("username").GetString() == caller.Sip.Username);
        Assert.Equal(caller.Business.Id, device.GetProperty("businessId").GetGuid());
        Assert.Equal("영업", device.GetProperty("memberName").GetString());
        Assert.Equal("Linphone-Test/5.2 (belle-sip)", device.GetProperty("userAgent").GetString());

        await using var carrier = Sipp.Carrier(edge.TrunkPort);
        await using var call = Sipp.Member("member_call.xml", edge.EdgePort, caller.Sip.Username, caller.Sip.Password!, holdMs: 3000);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (carrier.Received().Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        var during = await operatorApi.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/operator/edge");
        var going = during.GetProperty("calls").EnumerateArray().Where(c => c.GetProperty("businessId").ValueKind != System.Text.Json.JsonValueKind.Null
            && c.GetProperty("businessId").GetGuid() == caller.Business.Id).ToList();
        Assert.True(going.Count == 1, during.ToString());
        Assert.Equal("Outbound", going[0].GetProperty("direction").GetString());

        Assert.True(await call.ExitCodeAsync(Limit) == 0, Diagnostics(call, carrier));
    }

    [Fact]
    public async Task An_INVITE_without_credentials_is_challenged_and_nothing_reaches_the_carrier()
    {
        var caller = await CallerAsync();
        await using var carrier = Sipp.Carrier(edge.TrunkPort);
        await using var app = Sipp.Start("member_invite_noauth.xml", [$"127.0.0.1:{edge.EdgePort}", "-m", "1", "-s", "0212345678",
            "-key", "user", caller.Sip.Username, "-timeout", "10s", "-timeout_error"]);

        Assert.True(await app.ExitCodeAsync(Limit) == 0, Diagnostics(app, carrier));
        Assert.Equal(407, app.FinalStatus());
        await Task.Delay(500);
        Assert.Empty(carrier.Received());
        Assert.Equal((600L, 0L), await caller.BalanceAsync());
    }

    [Fact]
    public async Task An_allowed_call_reaches_the_carrier_with_only_the_company_number_and_is_settled()
    {
        var caller = await CallerAsync();
        await using var carrier = Sipp.Carrier(edge.TrunkPort);
        await using var app = Sipp.Member("member_call.xml", edge.EdgePort, caller.Sip.Username, caller.Sip.Password!, "02-1234-5678", holdMs: 1200);

        Assert.True(await app.ExitCodeAsync(Limit) == 0, Diagnostics(app, carrier));
        Assert.Equal(200, app.FinalStatus());
        Assert.True(await carrier.ExitCodeAsync(Limit) == 0, Diagnostics(app, carrier));

        var received = carrier.Received();
        var invite = received.Single(m => m.StartsWith("INVITE ", StringComparison.Ordinal));
        Assert.StartsWith("INVITE sip:+82212345678@127.0.0.1:", invite);
        Assert.Matches($@"(?m)^From: .*<sip:\{caller.CompanyE164}@", invite);
        Assert.Matches($@"(?m)^P-Asserted-Identity: <sip:\{caller.CompanyE164}@", invite);
        Assert.Single(invite.Split('\n'), l => l.StartsWith("P-Asserted-Identity", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain("Remote-Party-ID", invite, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("P-Preferred-Identity", invite, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(received, m => m.StartsWith("BYE ", StringComparison.Ordinal));
        foreach (var message in received) AssertNothingOfTheMember(message, caller);

        // The end report settles the hold: about a second spoken, nothing held.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        (long Seconds, long Held) balance;
        while ((balance = await caller.BalanceAsync()).Held != 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(0, balance.Held);
        Assert.InRange(balance.Seconds, 598, 600);
    }

    [Fact]
    public async Task A_spoofed_From_and_PAI_still_show_only_the_company_number()
    {
        var caller = await CallerAsync();
        await using var carrier = Sipp.Carrier(edge.TrunkPort);
        await using var app = Sipp.Member("member_call.xml", edge.EdgePort, caller.Sip.Username, caller.Sip.Password!,
            from: "+82212349999", display: "Bank of Korea", pai: "+82212349999", holdMs: 200);

        Assert.True(await app.ExitCodeAsync(Limit) == 0, Diagnostics(app, carrier));
        await carrier.ExitCodeAsync(Limit);
        var received = carrier.Received();
        Assert.True(received.Count > 0, Diagnostics(app, carrier));
        foreach (var message in received)
        {
            Assert.DoesNotContain("12349999", message);
            Assert.DoesNotContain("Bank of Korea", message);
            Assert.DoesNotContain(caller.Sip.Username, message);
        }
        Assert.Matches($@"(?m)^P-Asserted-Identity: <sip:\{caller.CompanyE164}@", received[0]);
    }

    [Fact]
    public async Task A_member_with_no_minutes_gets_402_and_the_carrier_nothing()
    {
        var caller = await CallerAsync(walletSeconds: 0);
        await using var carrier = Sipp.Carrier(edge.TrunkPort);
        await using var app = Sipp.Member("member_call.xml", edge.EdgePort, caller.Sip.Username, caller.Sip.Password!);

        Assert.True(await app.ExitCodeAsync(Limit) == 0, Diagnostics(app, carrier));
        Assert.Equal(402, app.FinalStatus());
        Assert.Empty(carrier.Received());
    }

    [Fact]
    public async Task A_call_beyond_the_members_limit_gets_403_with_a_reason_the_app_shows()
    {
        var caller = await CallerAsync(callsAtOnce: 1);
        await using var carrier = Sipp.Carrier(edge.TrunkPort);
        // Long enough for the second call's setup, well inside the fixture's granted time (the edge would cut it).
        await using var first = Sipp.Member("member_call.xml", edge.EdgePort, caller.Sip.Username, caller.Sip.Password!, holdMs: 2000);
        // The first call is up once the carrier has its INVITE.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (carrier.Received().Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.NotEmpty(carrier.Received());

        await using var second = Sipp.Member("member_call.xml", edge.EdgePort, caller.Sip.Username, caller.Sip.Password!);
        Assert.True(await second.ExitCodeAsync(Limit) == 0, Diagnostics(second, carrier));
        Assert.Equal(403, second.FinalStatus());
        Assert.Contains(second.Received(), m => m.StartsWith("SIP/2.0 403 Too many calls at once", StringComparison.Ordinal));
        Assert.True(await first.ExitCodeAsync(Limit) == 0, Diagnostics(first, carrier));
        Assert.Equal(200, first.FinalStatus());
    }

    [Theory]
    [InlineData("0607001234")]
    [InlineData("+12125550100")]
    public async Task A_barred_destination_gets_403_and_the_carrier_nothing(string dialled)
    {
        var caller = await CallerAsync();
        await using var carrier = Sipp.Carrier(edge.TrunkPort);
        await using var app = Sipp.Member("member_call.xml", edge.EdgePort, caller.Sip.Username, caller.Sip.Password!, dialled);

        Assert.True(await app.ExitCodeAsync(Limit) == 0, Diagnostics(app, carrier));
        Assert.Equal(403, app.FinalStatus());
        Assert.Empty(carrier.Received());
        Assert.Equal((600L, 0L), await caller.BalanceAsync());
    }

    [Fact]
    public async Task A_call_that_runs_into_its_granted_time_is_cut_on_both_legs_and_settled()
    {
        var caller = await CallerAsync();
        await using var carrier = Sipp.Carrier(edge.TrunkPort);
        await using var app = Sipp.Member("member_call_cut.xml", edge.EdgePort, caller.Sip.Username, caller.Sip.Password!);

        Assert.True(await app.ExitCodeAsync(Limit) == 0, Diagnostics(app, carrier));   // the member's app got its BYE
        Assert.True(await carrier.ExitCodeAsync(Limit) == 0, Diagnostics(app, carrier)); // the carrier got its BYE
        // Setup (two INVITEs, a few ms here) + granted seconds; the dialog timer ticks once a second.
        Assert.True(app.Elapsed < TimeSpan.FromSeconds(SipEdgeFixture.MaxCallSeconds + 2), $"cut after {app.Elapsed}");
        Assert.True(app.Elapsed > TimeSpan.FromSeconds(SipEdgeFixture.MaxCallSeconds - 1), $"cut after {app.Elapsed}");

        var received = carrier.Received();
        var bye = received.Single(m => m.StartsWith("BYE ", StringComparison.Ordinal));
        Assert.Matches($@"(?m)^From: .*<sip:\{caller.CompanyE164}@", bye);
        foreach (var message in received) AssertNothingOfTheMember(message, caller);
        Assert.Contains(app.Received(), m => m.StartsWith("BYE ", StringComparison.Ordinal));

        var deadline = DateTime.UtcNow.AddSeconds(5);
        (long Seconds, long Held) balance;
        while ((balance = await caller.BalanceAsync()).Held != 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(0, balance.Held);
        Assert.InRange(balance.Seconds, 600 - SipEdgeFixture.MaxCallSeconds, 600 - SipEdgeFixture.MaxCallSeconds + 1);
    }
}

/// <summary>The edge fails closed: without an answer from the control plane no call is routed.</summary>
public sealed class SipEdgeFailClosedTests
{
    /// <summary>The next question from the edge (its own rounds, {"keep"} and {"state"}, skipped).</summary>
    private static async Task<byte[]> ReadNetstringAsync(NetworkStream stream, TimeSpan limit)
    {
        using var wait = new CancellationTokenSource(limit);
        var received = new List<byte>();
        var chunk = new byte[4096];
        while (true)
        {
            var buffer = new System.Buffers.ReadOnlySequence<byte>(received.ToArray());
            while (EvapiAuthorizer.TryReadNetstring(ref buffer, out var payload))
            {
                using var message = JsonDocument.Parse(payload);
                if (!message.RootElement.TryGetProperty("keep", out _) && !message.RootElement.TryGetProperty("state", out _)) return payload;
                received.RemoveRange(0, received.Count - (int)buffer.Length);
                buffer = new System.Buffers.ReadOnlySequence<byte>(received.ToArray());
            }
            var n = await stream.ReadAsync(chunk, wait.Token);
            if (n == 0) throw new IOException("The edge closed the evapi connection.");
            received.AddRange(chunk[..n]);
        }
    }

    [Fact]
    public async Task With_the_control_plane_stopped_or_silent_a_call_is_refused_with_503_within_2_seconds_and_a_late_grant_changes_nothing()
    {
        SipEdgeFixture.RequireTools();
        int edgePort = Sipp.FreeUdpPort(), trunkPort = Sipp.FreeUdpPort();
        var app = await TestApp.StartAsync(SipEdgeFixture.Provider, SipEdgeFixture.Settings(edgePort, trunkPort, enabled: false), realServer: true);
        var appDisposed = false;
        var controlPlane = app.RootUri;
        await using var edge = await SipEdgeProcess.StartAsync(new SipEdgeSettings
        {
            Sip = new() { Port = edgePort, TrunkPort = trunkPort },
            ControlPlaneUrl = new Uri(controlPlane, "/telephony/v1").ToString(),
            EdgeSecret = TelephonyApi.EdgeSecret(app.Services.GetRequiredService<ServerSecrets>()),
            ConfigPath = SipEdgeFixture.ConfigPath,
            RuntimeDirectory = Path.Combine(app.DataDirectory, "sip-edge"),
            EvapiPort = SipEdgeProcess.FreeTcpPort(),
        }, NullLogger.Instance);
        try
        {
            await SipEdgeFixture.WarmUpAsync(app);
            var caller = await SipEdgeFixture.CallerAsync(app);
            // Registered while the control plane is up: the edge knows the member's HA1 for a short while.
            await using (var register = Sipp.Start("member_register.xml", [$"127.0.0.1:{edgePort}", "-m", "1", "-au", caller.Sip.Username, "-ap", caller.Sip.Password!,
                             "-key", "user", caller.Sip.Username, "-timeout", "10s", "-timeout_error"]))
                Assert.True(await register.ExitCodeAsync(TimeSpan.FromSeconds(20)) == 0, register.Log() + edge.RecentLog);

            // The control plane connected over evapi: a call goes through.
            using (var link = new CancellationTokenSource())
            {
                var answering = app.Services.GetRequiredService<EvapiAuthorizer>().RunAsync(edge.Settings.EvapiPort, link.Token);
                await using (var carrier = Sipp.Carrier(trunkPort))
                await using (var member = Sipp.Member("member_call.xml", edgePort, caller.Sip.Username, caller.Sip.Password!, holdMs: 100))
                {
                    Assert.True(await member.ExitCodeAsync(TimeSpan.FromSeconds(20)) == 0, member.Log() + edge.RecentLog);
                    Assert.Equal(200, member.FinalStatus());
                }
                await link.CancelAsync();
                await answering;
            }

            await app.DisposeAsync();
            appDisposed = true;

            // Stopped: the control plane's evapi link is gone and nothing listens on its HTTP port.
            await using (var carrier = Sipp.Carrier(trunkPort))
            await using (var member = Sipp.Member("member_call.xml", edgePort, caller.Sip.Username, caller.Sip.Password!))
            {
                Assert.True(await member.ExitCodeAsync(TimeSpan.FromSeconds(20)) == 0, member.Log() + edge.RecentLog);
                Assert.Equal(503, member.FinalStatus());
                Assert.True(member.Elapsed < TimeSpan.FromSeconds(2), $"refused after {member.Elapsed}");
                Assert.Empty(carrier.Received());
            }

            // Silent: a control plane is connected to the edge's evapi, reads the question and does not
            // answer in time. Its grant, once the member has had the 503, must change nothing.
            using (var silent = new TcpClient())
            {
                await silent.ConnectAsync(IPAddress.Loopback, edge.Settings.EvapiPort);
                var link = await EvapiLink.OpenAsync(silent.GetStream(), edge.Settings.EdgeSecret, CancellationToken.None);
                await Task.Delay(300); // the edge counts the connection
                await using var carrier = Sipp.Carrier(trunkPort);
                await using var member = Sipp.Member("member_call.xml", edgePort, caller.Sip.Username, caller.Sip.Password!);
                var question = await ReadNetstringAsync(silent.GetStream(), TimeSpan.FromSeconds(10));
                Assert.True(await member.ExitCodeAsync(TimeSpan.FromSeconds(20)) == 0, member.Log() + edge.RecentLog);
                Assert.Equal(503, member.FinalStatus());
                Assert.True(member.Elapsed < TimeSpan.FromSeconds(2), $"refused after {member.Elapsed}");

                using var asked = JsonDocument.Parse(question);
                var late = JsonSerializer.SerializeToUtf8Bytes(new
                {
                    index = asked.RootElement.GetProperty("index").GetInt64(), label = asked.RootElement.GetProperty("label").GetInt64(),
                    callId = asked.RootElement.GetProperty("callId").GetString(), code = 200, reason = "OK",
                    callerNumber = caller.CompanyE164, destination = "+82212345678", grantedSeconds = 60,
                });
                // In two reads, the second only its line break: the edge keeps the unfinished line
                // (evapi's own netstring reader lost an answer cut before its comma).
                var line = link.AnswerLine(late);
                await silent.GetStream().WriteAsync(line.AsMemory(0, line.Length - 1));
                await Task.Delay(200);
                await silent.GetStream().WriteAsync(line.AsMemory(line.Length - 1));
                await Task.Delay(1000);
                Assert.Empty(carrier.Received());
                Assert.True(edge.RecentLog.Contains("late authorization answer for transaction", StringComparison.Ordinal), edge.RecentLog);
            }
        }
        finally
        {
            if (!appDisposed) await app.DisposeAsync();
        }
    }
}
