using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Net.Http.Headers;

namespace OiCall.Web.Infrastructure;

/// <summary>
/// What the service needs in front of the internet: forwarded headers only from configured
/// proxies, Secure cookies and HSTS outside Development, and the response headers every page,
/// API answer and file carries.
/// </summary>
public static class WebSecurity
{
    /// <summary>
    /// Scripts, styles and images only from the service itself; nothing inline (the pages'
    /// scripts live in wwwroot), no plug-ins, no framing.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
        "manifest-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    // The API reader (a third-party page with its own inline start-up script) shows only the public
    // API description; it may run inline code, and still nothing from elsewhere.
    private const string ApiDocsPolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public static void AddWebSecurity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.Configure<ForwardedHeadersOptions>(options => ConfigureForwardedHeaders(options, configuration));

        if (!builder.Environment.IsDevelopment())
        {
            // Outside Development the service is reached over TLS (directly or through a proxy):
            // no cookie (session, antiforgery, language) ever travels in clear text.
            services.Configure<CookiePolicyOptions>(options => options.Secure = CookieSecurePolicy.Always);
            services.AddHsts(options =>
            {
                options.MaxAge = TimeSpan.FromDays(365);
                options.IncludeSubDomains = true;
            });
        }
    }

    /// <summary>First in the pipeline, so limits, audit and error pages see the client's address and the headers.</summary>
    public static void UseWebSecurity(this WebApplication app)
    {
        app.UseForwardedHeaders();
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
            app.UseCookiePolicy();
        }
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                AddHeaders(context);
                return Task.CompletedTask;
            });
            return next(context);
        });
    }

    private static void AddHeaders(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = context.Request.Path.StartsWithSegments("/api/docs") || context.Request.Path.StartsWithSegments("/scalar")
            ? ApiDocsPolicy
            : ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        // Pages, API answers and downloads are someone's own (balances, codes, passwords, coupons,
        // members' numbers): never kept by a browser or a proxy. Static files set their own caching.
        if (!headers.ContainsKey(HeaderNames.CacheControl))
        {
            headers.CacheControl = "no-store";
            headers.Pragma = "no-cache";
        }
    }

    private static void ConfigureForwardedHeaders(ForwardedHeadersOptions options, IConfiguration configuration)
    {
        options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
        // Trust nobody unless configured (the framework's default trusts loopback): anyone else's
        // X-Forwarded-For would let them choose the address that per-IP limits count.
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        // Behind a chain of configured proxies, walk back to the first address none of them is.
        options.ForwardLimit = null;
        foreach (var proxy in configuration.GetSection("ForwardedHeaders:KnownProxies").Get<string[]>() ?? [])
            options.KnownProxies.Add(IPAddress.TryParse(proxy, out var address)
                ? address
                : throw new InvalidOperationException($"ForwardedHeaders:KnownProxies: '{proxy}' is not an IP address."));
        foreach (var network in configuration.GetSection("ForwardedHeaders:KnownNetworks").Get<string[]>() ?? [])
            options.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(network, out var parsed)
                ? parsed
                : throw new InvalidOperationException($"ForwardedHeaders:KnownNetworks: '{network}' is not a network such as 10.0.0.0/8."));
    }
}
