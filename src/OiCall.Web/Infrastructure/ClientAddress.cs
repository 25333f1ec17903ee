using System.Net;
using System.Net.Sockets;

namespace OiCall.Web.Infrastructure;

public static class ClientAddress
{
    /// <summary>
    /// The caller's IP as text (rate limits and audit). Behind a proxy this is the client's address
    /// only when the proxy is configured (ForwardedHeaders:KnownProxies / KnownNetworks).
    /// </summary>
    public static string Of(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    /// <summary>
    /// What per-IP limits count by: an IPv4 address as itself, an IPv6 address as its /64 — one
    /// subscriber usually holds a whole /64, so counting single addresses would give them 2^64 tries.
    /// </summary>
    public static string LimitKey(string ip)
    {
        if (!IPAddress.TryParse(ip, out var address)) return ip;
        if (address.IsIPv4MappedToIPv6) return address.MapToIPv4().ToString();
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
