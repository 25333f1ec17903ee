using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using OiCall.Web.Infrastructure.SipEdge;

namespace OiCall.Web.Features.Telephony;

/// <summary>A question from the edge: the suspended transaction (index, label) and what /calls/authorize takes.</summary>
public sealed record EdgeAuthorizationRequest(long Index, long Label, string? CallId, string? Username, string? Dialled, string? Source = null);

/// <summary>The answer, echoing the transaction so the edge resumes the right one.</summary>
public sealed record EdgeAuthorizationAnswer(long Index, long Label, string? CallId, int Code, string Reason, string? CallerNumber, string? Destination, long GrantedSeconds);

/// <summary>
/// The control plane's end of the edge's evapi socket: connects to 127.0.0.1:port (again and
/// again, with backoff, while the edge is away), reads netstring-framed JSON questions and answers
/// each with the same <see cref="CallSetup"/> the HTTP endpoint runs, in its own DI scope.
/// Questions are answered concurrently: one slow database call does not hold up the others.
/// Answers go back one JSON object per line, not as netstrings: Kamailio 5.6's evapi netstring
/// reader drops a read that ends inside a length prefix or before the comma and loses the framing
/// after it, so the edge reads raw and splits lines itself (deploy/kamailio/kamailio.cfg).
/// </summary>
public sealed class EvapiAuthorizer(IServiceScopeFactory scopes, TelephonyMetrics metrics, ILogger<EvapiAuthorizer> logger)
{
    private const int MaxConcurrent = 64;
    private const int MaxMessage = 64 * 1024;
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(100), LastRetry = TimeSpan.FromSeconds(2);

    /// <summary>Serves the edge at 127.0.0.1:port until ct is cancelled, reconnecting whenever the connection drops.</summary>
    public async Task RunAsync(int port, CancellationToken ct)
    {
        var retry = FirstRetry;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var client = new TcpClient { NoDelay = true };
                await client.ConnectAsync(IPAddress.Loopback, port, ct);
                logger.LogInformation("Answering the SIP edge's authorizations on 127.0.0.1:{Port}", port);
                retry = FirstRetry;
                await ServeAsync(client.GetStream(), ct);
                logger.LogWarning("The SIP edge closed the authorization connection");
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e) when (e is SocketException or IOException or InvalidDataException)
            {
                logger.LogDebug("SIP edge authorization connection: {Error}", e.Message);
            }
            try { await Task.Delay(retry, ct); }
            catch (OperationCanceledException) { return; }
            retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, LastRetry.Ticks));
        }
    }

    private async Task ServeAsync(Stream stream, CancellationToken ct)
    {
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
                    var request = JsonSerializer.Deserialize<EdgeAuthorizationRequest>(payload, JsonSerializerOptions.Web);
                    if (request is null) continue;
                    var received = Stopwatch.GetTimestamp();
                    await slots.WaitAsync(connection.Token);
                    _ = AnswerAsync(request, received, answers.Writer, slots, connection.Token);
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

    private async Task AnswerAsync(EdgeAuthorizationRequest request, long received, ChannelWriter<byte[]> answers, SemaphoreSlim slots, CancellationToken ct)
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
                decision.CallerNumber, decision.Destination, decision.GrantedSeconds);
            answers.TryWrite(AnswerLine(JsonSerializer.SerializeToUtf8Bytes(answer, JsonSerializerOptions.Web)));
            metrics.Authorized(received, decision.Code);
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

    /// <summary>An answer as the edge reads it: compact JSON (it has no raw line breaks) and "\n".</summary>
    public static byte[] AnswerLine(ReadOnlySpan<byte> json)
    {
        if (json.IndexOfAny((byte)'\n', (byte)'\r') >= 0) throw new ArgumentException("An answer must be one line.", nameof(json));
        var framed = new byte[json.Length + 1];
        json.CopyTo(framed);
        framed[^1] = (byte)'\n';
        return framed;
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

/// <summary>Runs the <see cref="EvapiAuthorizer"/> against this app's own SIP edge once it has started.</summary>
public sealed class EdgeAuthorizationLink(SipEdgeHost host, EvapiAuthorizer authorizer) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await host.Ready.WaitAsync(stoppingToken);
        if (host.Edge is { } edge) await authorizer.RunAsync(edge.Settings.EvapiPort, stoppingToken);
    }
}
