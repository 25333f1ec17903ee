using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace OiCall.Web.Infrastructure.SipEdge;

/// <summary>
/// Kamailio's JSON-RPC (jsonrpcs) on the Unix datagram socket in the edge's run directory: only
/// this service's user can reach it, and nothing listens on the network for it.
/// </summary>
public static class EdgeRpc
{
    public const string SocketName = "kamailio_rpc.sock";
    private static readonly SemaphoreSlim OneAtATime = new(1, 1);

    /// <summary>The call's "result"; throws <see cref="EdgeRpcException"/> for an RPC error or no answer in time.</summary>
    public static async Task<JsonElement> CallAsync(string runtimeDirectory, string method, object[]? parameters = null, CancellationToken ct = default)
    {
        var client = Path.Combine(runtimeDirectory, $"rpc-{Guid.NewGuid():N}.sock");
        var request = JsonSerializer.SerializeToUtf8Bytes(new { jsonrpc = "2.0", method, @params = parameters ?? [], id = 1 });
        // One request in flight: replies carry no reliable correlation on a datagram socket.
        await OneAtATime.WaitAsync(ct);
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.Bind(new UnixDomainSocketEndPoint(client)); // the edge answers to the sender's address
            await socket.SendToAsync(request, SocketFlags.None, new UnixDomainSocketEndPoint(Path.Combine(runtimeDirectory, SocketName)), ct);
            var buffer = new byte[256 * 1024];
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            int length;
            try { length = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { throw new EdgeRpcException($"{method}: no answer from the SIP edge"); }
            using var answer = JsonDocument.Parse(buffer.AsMemory(0, length));
            if (answer.RootElement.TryGetProperty("error", out var error)) throw new EdgeRpcException($"{method}: {error}");
            return answer.RootElement.GetProperty("result").Clone();
        }
        catch (SocketException e)
        {
            throw new EdgeRpcException($"{method}: {e.Message}");
        }
        finally
        {
            OneAtATime.Release();
            File.Delete(client);
        }
    }
}

public sealed class EdgeRpcException(string message) : Exception(message);
