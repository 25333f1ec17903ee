using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using OiCall.Tests.Support;
using OiCall.Web.Data;

namespace OiCall.Tests.Security;

/// <summary>Behind a TLS proxy: forwarded headers from configured proxies only; Secure cookies and HSTS outside Development.</summary>
public sealed class ProxyTests
{
    private const string Proxy = "10.20.30.40";

    private static Dictionary<string, string?> BehindProxy(string? environment = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ForwardedHeaders:KnownProxies:0"] = Proxy,
            ["ForwardedHeaders:KnownNetworks:0"] = "10.99.0.0/16",
        };
        if (environment is not null) settings["environment"] = environment;
        return settings;
    }

    private static async Task<HttpResponseMessage> SendCodeAsync(HttpClient client, string identifier, string? forwardedFor, string? forwardedProto = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/otp") { Content = JsonContent.Create(new { identifier }) };
        if (forwardedFor is not null) request.Headers.Add("X-Forwarded-For", forwardedFor);
        if (forwardedProto is not null) request.Headers.Add("X-Forwarded-Proto", forwardedProto);
        return await client.SendAsync(request);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_client_that_is_no_configured_proxy_cannot_dodge_the_per_ip_limit_with_x_forwarded_for(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider, BehindProxy());
        var attacker = app.Client("198.51.100.9");
        for (var i = 0; i < 40; i++)
            await (await SendCodeAsync(attacker, $"victim{i}", $"203.0.113.{i + 1}")).ShouldBe(HttpStatusCode.Accepted);

        await (await SendCodeAsync(attacker, "victim99", "203.0.113.200")).ShouldBeProblem(HttpStatusCode.TooManyRequests, "too_many_code_requests");
        await using var db = app.Db();
        Assert.Equal(["198.51.100.9"], await db.OtpChallenges.Select(c => c.Ip).Distinct().ToListAsync());
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_configured_proxy_passes_on_the_clients_address(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider, BehindProxy());
        var proxy = app.Client(Proxy);

        await (await SendCodeAsync(proxy, "someone1", "203.0.113.77")).ShouldBe(HttpStatusCode.Accepted);
        // Through two configured proxies (a network of them in front): still the client.
        await (await SendCodeAsync(proxy, "someone2", "203.0.113.78, 10.99.3.4")).ShouldBe(HttpStatusCode.Accepted);
        // A client's own X-Forwarded-For entries before the proxy's are not believed.
        await (await SendCodeAsync(proxy, "someone3", "192.0.2.1, 203.0.113.79")).ShouldBe(HttpStatusCode.Accepted);

        await using var db = app.Db();
        var byIdentifier = await db.OtpChallenges.ToDictionaryAsync(c => c.RateKey, c => c.Ip);
        Assert.Equal("203.0.113.77", byIdentifier["id:someone1"]);
        Assert.Equal("203.0.113.78", byIdentifier["id:someone2"]);
        Assert.Equal("203.0.113.79", byIdentifier["id:someone3"]);
    }

    [Fact]
    public async Task Outside_development_cookies_are_secure_and_https_answers_carry_hsts()
    {
        await using var app = await TestApp.StartAsync(settings: BehindProxy("Production"));
        var browser = app.Client(Proxy);
        browser.DefaultRequestHeaders.Host = "oicall.example";

        using var request = new HttpRequestMessage(HttpMethod.Get, "/login");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-For", "203.0.113.5");
        var page = await browser.SendAsync(request);
        await page.ShouldBe(HttpStatusCode.OK);
        var cookies = page.Headers.GetValues("Set-Cookie").ToList();
        Assert.NotEmpty(cookies);
        Assert.All(cookies, c => Assert.Contains("secure", c, StringComparison.OrdinalIgnoreCase));
        Assert.Contains("max-age=31536000", page.Headers.GetValues("Strict-Transport-Security").Single());

        var language = await browser.GetAsync("/culture/en?returnUrl=%2F");
        Assert.Contains("secure", language.Headers.GetValues("Set-Cookie").Single(), StringComparison.OrdinalIgnoreCase);

        // Somebody who is not the proxy cannot claim https.
        var direct = app.Client("198.51.100.10");
        direct.DefaultRequestHeaders.Host = "oicall.example";
        using var claimed = new HttpRequestMessage(HttpMethod.Get, "/login");
        claimed.Headers.Add("X-Forwarded-Proto", "https");
        Assert.False((await direct.SendAsync(claimed)).Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task In_development_plain_http_keeps_working()
    {
        await using var app = await TestApp.StartAsync();
        var page = await app.Client().GetAsync("/login");
        Assert.DoesNotContain(page.Headers.GetValues("Set-Cookie"), c => c.Contains("secure", StringComparison.OrdinalIgnoreCase));
        Assert.False(page.Headers.Contains("Strict-Transport-Security"));
    }
}
