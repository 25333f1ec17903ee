using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OiCall.Tests.Support;
using OiCall.Web.Features.Telephony;
using OiCall.Web.Infrastructure;
using OiCall.Web.Infrastructure.SipEdge;

namespace OiCall.SipTests;

/// <summary>
/// The authorization link between the edge and the control plane is a TCP port on 127.0.0.1 that
/// any local process can reach: whoever connects to it, or takes it first, learns nothing and
/// decides nothing unless it knows the edge secret.
/// </summary>
public sealed class EvapiLinkSipTests
{
    private const string Premium = "+82601234567";

    /// <summary>A local process on the edge's evapi port: keeps what it reads and answers every question it sees with a 4-hour grant to a premium number.</summary>
    private sealed class Rogue : IAsyncDisposable
    {
        private readonly TcpClient _client = new() { NoDelay = true };
        private readonly List<byte> _read = [];
        private readonly CancellationTokenSource _stop = new();
        private Task _reading = Task.CompletedTask;

        public static async Task<Rogue> ConnectAsync(int port)
        {
            var rogue = new Rogue();
            await rogue._client.ConnectAsync(IPAddress.Loopback, port);
            rogue._reading = rogue.ReadAsync();
            return rogue;
        }

        public Task SendAsync(string line) => _client.GetStream().WriteAsync(Encoding.UTF8.GetBytes(line + "\n")).AsTask();

        /// <summary>Every netstring read so far, as text.</summary>
        public List<string> Messages()
        {
            lock (_read)
            {
                var buffer = new ReadOnlySequence<byte>(_read.ToArray());
                var messages = new List<string>();
                while (EvapiAuthorizer.TryReadNetstring(ref buffer, out var payload)) messages.Add(Encoding.UTF8.GetString(payload));
                return messages;
            }
        }

        private async Task ReadAsync()
        {
            var chunk = new byte[4096];
            var answered = 0;
            try
            {
                while (true)
                {
                    var n = await _client.GetStream().ReadAsync(chunk, _stop.Token);
                    if (n == 0) return;
                    lock (_read) _read.AddRange(chunk[..n]);
                    foreach (var question in Messages().Skip(answered).ToList())
                    {
                        answered++;
                        using var asked = JsonDocument.Parse(question);
                        if (!asked.RootElement.TryGetProperty("callId", out var callId)) continue;
                        var forged = JsonSerializer.Serialize(new
                        {
                            index = asked.RootElement.GetProperty("index").GetInt64(), label = asked.RootElement.GetProperty("label").GetInt64(),
                            callId = callId.GetString(), code = 200, reason = "OK", callerNumber = "+82215880000", destination = Premium, grantedSeconds = 14400,
                        });
                        await SendAsync(forged);
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException) { }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _client.Dispose();
            await _reading;
            _stop.Dispose();
        }
    }

    [Fact]
    public async Task A_process_on_the_evapi_port_before_the_control_plane_reads_no_call_and_its_4_hour_premium_grant_is_not_applied()
    {
        SipEdgeFixture.RequireTools();
        int edgePort = Sipp.FreeUdpPort(), trunkPort = Sipp.FreeUdpPort();
        await using var app = await TestApp.StartAsync(SipEdgeFixture.Provider, SipEdgeFixture.Settings(edgePort, trunkPort, enabled: false, maxCallSeconds: 60), realServer: true);
        await using var edge = await SipEdgeProcess.StartAsync(new SipEdgeSettings
        {
            Sip = new() { Port = edgePort, TrunkPort = trunkPort, MaxCallSeconds = 60 },
            ControlPlaneUrl = new Uri(app.RootUri, "/telephony/v1").ToString(),
            EdgeSecret = TelephonyApi.EdgeSecret(app.Services.GetRequiredService<ServerSecrets>()),
            ConfigPath = SipEdgeFixture.ConfigPath,
            RuntimeDirectory = Path.Combine(app.DataDirectory, "sip-edge"),
            EvapiPort = SipEdgeProcess.FreeTcpPort(),
        }, NullLogger.Instance);
        await SipEdgeFixture.WarmUpAsync(app);
        var caller = await SipEdgeFixture.CallerAsync(app);

        // One rogue listens quietly; another claims to be the control plane and answers blindly.
        await using var listener = await Rogue.ConnectAsync(edge.Settings.EvapiPort);
        await using var pretender = await Rogue.ConnectAsync(edge.Settings.EvapiPort);
        await pretender.SendAsync($"{{\"hello\":\"{new string('0', 64)}\",\"challenge\":\"{new string('a', 64)}\"}}");
        await pretender.SendAsync($"{{\"index\":1,\"label\":1,\"callId\":\"x\",\"code\":200,\"reason\":\"OK\",\"callerNumber\":\"+82215880000\",\"destination\":\"{Premium}\",\"grantedSeconds\":14400}}");
        await Task.Delay(300);

        // Then the real control plane connects.
        using var link = new CancellationTokenSource();
        var answering = app.Services.GetRequiredService<EvapiAuthorizer>().RunAsync(edge.Settings.EvapiPort, link.Token);
        try
        {
            await Task.Delay(1000);
            await using var carrier = Sipp.Carrier(trunkPort);
            await using var member = Sipp.Member("member_call.xml", edgePort, caller.Sip.Username, caller.Sip.Password!, holdMs: 100);
            Assert.True(await member.ExitCodeAsync(TimeSpan.FromSeconds(20)) == 0, member.Log() + carrier.Log() + edge.RecentLog);
            Assert.True(member.FinalStatus() == 200, member.Log() + edge.RecentLog);
            var callId = member.Messages().First().CallId;

            // The carrier got the number the member dialled, from the company number, as the control plane decided.
            var invite = Assert.Single(carrier.Received(), m => m.StartsWith("INVITE ", StringComparison.Ordinal));
            Assert.StartsWith("INVITE sip:+82212345678@", invite);
            Assert.DoesNotContain(Premium, invite);
            await using (var db = app.Db())
                Assert.Equal(60, (await db.CallRecords.SingleAsync(r => r.CallId == callId)).GrantedSeconds);

            // Neither read anything of the call (the edge's challenge at most), and the pretender,
            // which could not prove the secret, got no proof either.
            foreach (var message in listener.Messages().Concat(pretender.Messages()))
            {
                Assert.DoesNotContain(callId, message);
                Assert.DoesNotContain(caller.Sip.Username, message);
                Assert.DoesNotContain("0212345678", message);
                Assert.DoesNotContain("proof", message);
            }
        }
        finally
        {
            await link.CancelAsync();
            await answering;
        }
    }

    [Fact]
    public async Task The_control_plane_answers_nothing_to_a_process_that_took_the_edge_s_port()
    {
        SipEdgeFixture.RequireTools();
        await using var app = await TestApp.StartAsync(SipEdgeFixture.Provider, SipEdgeFixture.Settings(Sipp.FreeUdpPort(), Sipp.FreeUdpPort(), enabled: false, maxCallSeconds: 60), realServer: true);
        var caller = await SipEdgeFixture.CallerAsync(app);
        using var impostor = new TcpListener(IPAddress.Loopback, 0);
        impostor.Start();
        var port = ((IPEndPoint)impostor.LocalEndpoint).Port;

        using var link = new CancellationTokenSource();
        var answering = app.Services.GetRequiredService<EvapiAuthorizer>().RunAsync(port, link.Token);
        var received = new List<byte>();
        try
        {
            using var connection = await impostor.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(10));
            var stream = connection.GetStream();
            static byte[] Netstring(string json) => Encoding.UTF8.GetBytes($"{Encoding.UTF8.GetByteCount(json)}:{json},");
            // The edge's greeting, a made-up proof, and a question for a real member.
            await stream.WriteAsync(Netstring($"{{\"challenge\":\"{Guid.NewGuid()}\"}}"));
            await Task.Delay(300);
            await stream.WriteAsync(Netstring($"{{\"proof\":\"{new string('0', 64)}\"}}"));
            await stream.WriteAsync(Netstring($"{{\"index\":7,\"label\":7,\"callId\":\"taken-port\",\"username\":\"{caller.Sip.Username}\",\"dialled\":\"0212345678\"}}"));

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            var chunk = new byte[4096];
            try
            {
                int n;
                while ((n = await stream.ReadAsync(chunk, wait.Token)) > 0) received.AddRange(chunk[..n]);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException) { }
        }
        finally
        {
            await link.CancelAsync();
            await answering;
        }

        // No answer to the question, and no time held for it.
        Assert.DoesNotContain("taken-port", Encoding.UTF8.GetString([.. received]));
        await using var db = app.Db();
        Assert.False(await db.CallRecords.AnyAsync(r => r.CallId == "taken-port"));
        Assert.False(await db.CallHolds.AnyAsync(h => h.CallId == "taken-port"));
    }
}
