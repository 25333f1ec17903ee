namespace OiCall.Web.Infrastructure;

public static class ClientAddress
{
    /// <summary>The caller's IP as text (rate limits and audit). Behind a proxy, configure forwarded headers.</summary>
    public static string Of(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
