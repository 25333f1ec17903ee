using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using OiCall.Web.Infrastructure;
using OiCall.Web.Infrastructure.SipEdge;

namespace OiCall.Web.Features.Telephony;

/// <summary>
/// A question from the edge: the suspended transaction (index, label) and what /calls/authorize
/// takes; or, with Slice, the next slice of a call in progress (what /calls/slice takes).
/// </summary>
public sealed record EdgeAuthorizationRequest(long Index, long Label, string? CallId, string? Username, string? Dialled, string? Source = null, int? Slice = null);

/// <summary>The answer, echoing the transaction so the edge resumes the right one.</summary>
public sealed record EdgeAuthorizationAnswer(long Index, long Label, string? CallId, int Code, string Reason, string? CallerNumber, string? Destination, long GrantedSeconds, long SessionSeconds);

/// <summary>The answer to a slice question, echoing the call and the slice: GrantedSeconds is the call's whole grant so far.</summary>
public sealed record EdgeSliceAnswer(string? CallId, int Slice, int Code, string Reason, long GrantedSeconds);

/// <summary>
/// The control plane's end of the edge's evapi socket: connects to 127.0.0.1:port (again and
/// again, with backoff, while the edge is away), reads netstring-framed JSON questions and answers
/// each with the same <see cref="CallSetup"/> the HTTP endpoint runs, in its own DI scope.
/// Questions are answered concurrently: one slow database call does not hold up the others.
/// Answers go back one per line, not as netstrings: Kamailio 5.6's evapi netstring reader drops a
/// read that ends inside a length prefix or before the comma and loses the framing after it, so
/// the edge reads raw and splits lines itself (deploy/kamailio/outbound.cfg).
/// Any local process can connect to that port, or take it before the edge does: both ends prove
/// they know the edge secret first (<see cref="EvapiLink"/>), and every answer is signed.
/// </summary>
public sealed class EvapiAuthorizer(IServiceScopeFactory scopes, TelephonyMetrics metrics, ServerSecrets secrets, EdgeLinks links, TimeProvider clock, ILogger<EvapiAuthorizer> logger)
{
    private const int MaxConcurrent = 64;
    private const int MaxMessage = 64 * 1024;
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(100), LastRetry = TimeSpan.FromSeconds(2);

    /// <summary>Serves the edge at 127.0.0.1:port until ct is cancelled, reconnecting whenever the connection drops.</summary>
    public Task RunAsync(int port, CancellationToken ct) => RunAsync("127.0.0.1", port, ct);

    /// <summary>Serves the edge whose evapi listens at host:port until ct is cancelled, reconnecting whenever the connection drops.</summary>
    public async Task RunAsync(string host, int port, CancellationToken ct)
    {
        var address = $"{host}:{port}";
        links.Expect(address);
        var retry = FirstRetry;
        while (!ct.IsCancellationRequested)
        {
            var authenticated = false;
            try
            {
                using var client = new TcpClient { NoDelay = true };
                await client.ConnectAsync(host, port, ct);
                var stream = client.GetStream();
                var link = await EvapiLink.OpenAsync(stream, TelephonyApi.EdgeSecret(secrets), ct);
                authenticated = true;
                links.Connected(address);
                logger.LogInformation("Answering the SIP edge's authorizations on {Address}", address);
                retry = FirstRetry;
                await ServeAsync(stream, link, address, ct);
                logger.LogWarning("The SIP edge closed the authorization connection");
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (EvapiLink.NotTheEdgeException e)
            {
                logger.LogWarning("Not answering {Address}: {Error}", address, e.Message);
            }
            catch (Exception e) when (e is SocketException or IOException or InvalidDataException)
            {
                logger.LogDebug("SIP edge authorization connection: {Error}", e.Message);
            }
            finally
            {
                if (authenticated) links.Disconnected(address);
            }
            try { await Task.Delay(retry, ct); }
            catch (OperationCanceledException) { return; }
            retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, LastRetry.Ticks));
        }
    }

    private async Task ServeAsync(Stream stream, EvapiLink link, string address, CancellationToken ct)
    {
        var keeps = new List<string>();
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var answers = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        var writing = WriteAsync(stream, answers.Reader, connection.Token);
        using var slots = new SemaphoreSlim(MaxConcurrent);
        var reader = PipeReader.Create(stream);
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(connection.Token);
                var buffer = read.Buffer;
                while (TryReadNetstring(ref buffer, out var payload))
                {
                    using var message = JsonDocument.Parse(payload);
                    if (EdgeReport(message.RootElement, address, keeps)) continue;
                    var request = message.RootElement.Deserialize<EdgeAuthorizationRequest>(JsonSerializerOptions.Web);
                    if (request is null) continue;
                    var received = Stopwatch.GetTimestamp();
                    await slots.WaitAsync(connection.Token);
                    _ = request.Slice is { } slice
                        ? AnswerSliceAsync(request.CallId, slice, link, answers.Writer, slots, connection.Token)
                        : AnswerAsync(request, received, link, answers.Writer, slots, connection.Token);
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted) return;
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("The edge sent something that is not an authorization question.", e);
        }
        finally
        {
            answers.Writer.TryComplete();
            await connection.CancelAsync();
            try { await writing; } catch (Exception e) when (e is OperationCanceledException or IOException or SocketException) { }
            await reader.CompleteAsync();
        }
    }

    /// <summary>
    /// The edge's own round (state.cfg): {"keep":Call-ID} for each call it still has, then
    /// {"state":{…}}, which keeps those calls' holds and records the edge's state. False for anything else.
    /// </summary>
    private bool EdgeReport(JsonElement message, string address, List<string> keeps)
    {
        if (message.ValueKind != JsonValueKind.Object) return false;
        if (message.TryGetProperty("keep", out var keep))
        {
            if (keep.ValueKind == JsonValueKind.String && keep.GetString() is { } callId && SipLimits.IsCallId(callId) && keeps.Count < 1000) keeps.Add(callId);
            return true;
        }
        if (!message.TryGetProperty("state", out var state)) return false;
        int Number(string name) => state.TryGetProperty(name, out var n) && n.TryGetInt32(out var value) ? value : 0;
        var upSince = state.TryGetProperty("upSince", out var up) && up.TryGetInt64(out var seconds) ? DateTime.UnixEpoch.AddSeconds(seconds) : DateTime.UnixEpoch;
        links.Reported(address, upSince, Number("calls"), Number("spooled"), Number("parked"));
        if (keeps.Count > 0)
        {
            _ = KeepHoldsAsync([.. keeps]);
            keeps.Clear();
        }
        return true;
    }

    private async Task KeepHoldsAsync(IReadOnlyCollection<string> callIds)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var kept = await scope.ServiceProvider.GetRequiredService<Ledger.LedgerService>().KeepHoldsAsync(callIds, clock.GetUtcNow().UtcDateTime, CancellationToken.None);
            if (kept > 0) logger.LogInformation("Kept {Kept} holds of calls the SIP edge still has", kept);
        }
        catch (Exception e)
        {
            // The next round (seconds later) tries again.
            logger.LogWarning(e, "Holds of calls the SIP edge still has were not kept");
        }
    }

    private async Task AnswerAsync(EdgeAuthorizationRequest request, long received, EvapiLink link, ChannelWriter<byte[]> answers, SemaphoreSlim slots, CancellationToken ct)
    {
        try
        {
            CallDecision decision;
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                decision = await scope.ServiceProvider.GetRequiredService<CallSetup>().AuthorizeAsync(request.CallId, request.Username, request.Dialled, request.Source, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // As the HTTP endpoint's error would: the edge refuses the call (fail closed).
                logger.LogError(e, "Authorization of call {CallId} failed", request.CallId);
                decision = CallDecision.Refuse(503, "Service Unavailable");
            }
            var answer = new EdgeAuthorizationAnswer(request.Index, request.Label, request.CallId, decision.Code, decision.Reason,
                decision.CallerNumber, decision.Destination, decision.GrantedSeconds, decision.SessionSeconds);
            answers.TryWrite(link.AnswerLine(JsonSerializer.SerializeToUtf8Bytes(answer, JsonSerializerOptions.Web)));
            metrics.Authorized(received, decision.Code);
        }
        catch (OperationCanceledException) { }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>The next slice of a call: held by <see cref="CallSlices"/>, answered signed like an authorization. A failure refuses it (the call ends at its slice).</summary>
    private async Task AnswerSliceAsync(string? callId, int slice, EvapiLink link, ChannelWriter<byte[]> answers, SemaphoreSlim slots, CancellationToken ct)
    {
        try
        {
            SliceDecision decision;
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                decision = await scope.ServiceProvider.GetRequiredService<CallSlices>().ExtendAsync(callId, slice, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Slice {Slice} of call {CallId} failed", slice, callId);
                decision = SliceDecision.Refuse(503, "Service Unavailable");
            }
            var answer = new EdgeSliceAnswer(callId, slice, decision.Code, decision.Reason, decision.GrantedSeconds);
            answers.TryWrite(link.AnswerLine(JsonSerializer.SerializeToUtf8Bytes(answer, JsonSerializerOptions.Web)));
        }
        catch (OperationCanceledException) { }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>Writes answers as they come (any number may reach the edge in one read: it splits lines).</summary>
    private static async Task WriteAsync(Stream stream, ChannelReader<byte[]> answers, CancellationToken ct)
    {
        while (await answers.WaitToReadAsync(ct))
        {
            while (answers.TryRead(out var answer)) await stream.WriteAsync(answer, ct);
            await stream.FlushAsync(ct);
        }
    }

    /// <summary>One "length:payload," from the buffer, or false when it is not complete yet.</summary>
    public static bool TryReadNetstring(ref ReadOnlySequence<byte> buffer, out byte[] payload)
    {
        payload = [];
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> digits, (byte)':')) return buffer.Length <= 12 ? false : throw new InvalidDataException("Netstring length too long.");
        if (!int.TryParse(Encoding.ASCII.GetString(digits), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length) || length > MaxMessage)
            throw new InvalidDataException("Bad netstring length.");
        if (reader.Remaining < length + 1) return false;
        payload = reader.Sequence.Slice(reader.Position, length).ToArray();
        reader.Advance(length);
        if (!reader.TryRead(out var comma) || comma != (byte)',') throw new InvalidDataException("Netstring without its comma.");
        buffer = buffer.Slice(reader.Position);
        return true;
    }
}

/// <summary>
/// One authenticated evapi connection, HMAC-SHA256 keyed with the edge secret (the edge's side is
/// route[HMAC] in deploy/kamailio/outbound.cfg, which takes the key's pads from <see cref="Pads"/>):
/// the edge sends {"challenge":Ne}; this side answers {"hello":HMAC("control-plane:"+Ne),"challenge":Nc}
/// in one line; the edge proves itself with {"proof":HMAC("edge:"+Nc)}. Every answer is then the line
/// HMAC(Ne+":"+json) + " " + json, so an answer counts only on this connection.
/// </summary>
public sealed class EvapiLink
{
    private const int HandshakeLimit = 512;
    private readonly byte[] _key;
    private readonly string _edgeChallenge;

    private EvapiLink(byte[] key, string edgeChallenge)
    {
        _key = key;
        _edgeChallenge = edgeChallenge;
    }

    /// <summary>The edge did not prove it knows the secret: something else holds its port.</summary>
    public sealed class NotTheEdgeException(string message) : Exception(message);

    /// <summary>Runs the handshake on a fresh connection; throws <see cref="NotTheEdgeException"/> when the other side is not the edge.</summary>
    public static async Task<EvapiLink> OpenAsync(Stream stream, string secret, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromSeconds(5));
        var key = Encoding.UTF8.GetBytes(secret);
        var greeting = await ReadAsync(stream, limit.Token);
        var edgeChallenge = greeting.TryGetProperty("challenge", out var c) && c.GetString() is { Length: >= 16 and <= 128 } text
            ? text : throw new NotTheEdgeException("the first message is not the edge's challenge");
        var ownChallenge = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var hello = JsonSerializer.SerializeToUtf8Bytes(new { hello = Mac(key, "control-plane:" + edgeChallenge), challenge = ownChallenge });
        await stream.WriteAsync(Line(hello), limit.Token);
        await stream.FlushAsync(limit.Token);
        var proof = await ReadAsync(stream, limit.Token);
        var expected = Encoding.ASCII.GetBytes(Mac(key, "edge:" + ownChallenge));
        if (!proof.TryGetProperty("proof", out var p) || p.GetString() is not { } sent
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(sent), expected))
            throw new NotTheEdgeException("the other side did not prove it knows the edge secret");
        return new EvapiLink(key, edgeChallenge);
    }

    /// <summary>An answer as the edge reads it: its signature, a space, the compact JSON (it has no raw line breaks) and "\n".</summary>
    public byte[] AnswerLine(ReadOnlySpan<byte> json)
    {
        var signature = Encoding.ASCII.GetBytes(Mac(_key, _edgeChallenge + ":" + Encoding.UTF8.GetString(json)) + " ");
        return Line([.. signature, .. json]);
    }

    /// <summary>HMAC-SHA256 of the text, in lowercase hex, as route[HMAC] computes it.</summary>
    public static string Mac(byte[] key, string text) => Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(text)));

    /// <summary>
    /// The HMAC key's inner and outer pads in hex (the key, hashed first when longer than SHA-256's
    /// 64-byte block, zero-filled to the block and XORed with 0x36 and 0x5c), which the edge
    /// needs: Kamailio 5.6 has SHA-256 but no HMAC.
    /// </summary>
    public static (string Inner, string Outer) Pads(string secret)
    {
        var key = Encoding.UTF8.GetBytes(secret);
        var block = new byte[64];
        (key.Length > 64 ? SHA256.HashData(key) : key).CopyTo(block, 0);
        return (Convert.ToHexStringLower(block.Select(b => (byte)(b ^ 0x36)).ToArray()), Convert.ToHexStringLower(block.Select(b => (byte)(b ^ 0x5c)).ToArray()));
    }

    private static byte[] Line(ReadOnlySpan<byte> json)
    {
        if (json.IndexOfAny((byte)'\n', (byte)'\r') >= 0) throw new ArgumentException("A line must be one line.", nameof(json));
        return [.. json, (byte)'\n'];
    }

    /// <summary>One netstring of the handshake, read byte by byte so nothing after it is consumed.</summary>
    private static async Task<JsonElement> ReadAsync(Stream stream, CancellationToken ct)
    {
        var received = new List<byte>();
        var one = new byte[1];
        while (received.Count < HandshakeLimit)
        {
            if (await stream.ReadAsync(one, ct) == 0) throw new IOException("The edge closed the connection during the handshake.");
            received.Add(one[0]);
            var buffer = new ReadOnlySequence<byte>(received.ToArray());
            if (!EvapiAuthorizer.TryReadNetstring(ref buffer, out var payload)) continue;
            try
            {
                using var document = JsonDocument.Parse(payload);
                return document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.Clone() : throw new NotTheEdgeException("not a handshake message");
            }
            catch (JsonException)
            {
                throw new NotTheEdgeException("not a handshake message");
            }
        }
        throw new NotTheEdgeException("handshake message too long");
    }
}

/// <summary>
/// Runs the <see cref="EvapiAuthorizer"/> against each edge this service answers: those of Sip:Edges
/// (running on their own) and the development edge once it has started.
/// </summary>
public sealed class EdgeAuthorizationLink(SipEdgeHost host, EvapiAuthorizer authorizer, Microsoft.Extensions.Options.IOptions<SipOptions> sip) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var links = sip.Value.Edges.Select(address => EvapiAddress(address) is var (host, port)
            ? authorizer.RunAsync(host, port, stoppingToken)
            : throw new InvalidOperationException($"Sip:Edges: \"{address}\" is not host:port.")).ToList();
        await host.Ready.WaitAsync(stoppingToken);
        if (host.Edge is { } edge) links.Add(authorizer.RunAsync(edge.Settings.EvapiPort, stoppingToken));
        await Task.WhenAll(links);
    }

    /// <summary>"host:port" (an IPv6 host in brackets), or null.</summary>
    public static (string Host, int Port)? EvapiAddress(string address)
    {
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535) return null;
        return (address[..colon].Trim('[', ']'), port);
    }
}
