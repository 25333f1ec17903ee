using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.RegularExpressions;
using OiCall.Tests.Support;

namespace OiCall.Tests.Security;

/// <summary>Security headers and caching on every kind of answer, and pages that pass the Content-Security-Policy.</summary>
public sealed partial class ResponseHeaderTests(ITestOutputHelper output)
{
    private sealed record Site(TestApp App, Person Owner, HttpClient OwnerBrowser, HttpClient OperatorBrowser, HttpClient OperatorApi,
        Guid BusinessId, Guid MemberId, Guid NumberId);

    private static async Task<Site> SiteAsync(TestApp app)
    {
        var owner = await app.PersonAsync("사장", "010-6100-0001");
        var business = await owner.CreateBusinessAsync("헤더상사");
        var member = await owner.AddMemberAsync(business.Id, "직원", "010-6100-0002");
        var number = await OiCall.Tests.CallerNumbers.CallerNumberCalls.RegisterNumberAsync(owner, business.Id, "02-6100-0003");
        var ownerBrowser = app.Client();
        await WebLogin.LogInAsync(app, ownerBrowser, owner.LoginId, owner.Phone);
        var operatorBrowser = app.Client();
        await WebLogin.LogInAsync(app, operatorBrowser, "operator", "010-9999-0000");
        return new Site(app, owner, ownerBrowser, operatorBrowser, await app.OperatorAsync(), business.Id, member.Id, number.Id);
    }

    private static void AssertSecurityHeaders(HttpResponseMessage response, string what)
    {
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("object-src 'none'", csp);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.True(response.Headers.Contains("X-Frame-Options"), what);
    }

    private static void AssertNotStored(HttpResponseMessage response, string what) =>
        Assert.True(response.Headers.CacheControl?.NoStore == true, $"{what} must be Cache-Control: no-store, got '{response.Headers.CacheControl}'");

    [Fact]
    public async Task Every_kind_of_answer_carries_the_security_headers_and_personal_ones_are_never_stored()
    {
        await using var app = await TestApp.StartAsync();
        var site = await SiteAsync(app);
        var anonymous = app.Client();
        var batch = await site.OperatorApi.PostAsJsonAsync("/api/v1/operator/coupon-batches",
            new { count = 2, minutesEach = 10, expiresAt = app.Clock.GetUtcNow().UtcDateTime.AddDays(30), memo = "headers" });
        await batch.ShouldBe(HttpStatusCode.OK);

        var kinds = new (string Kind, HttpResponseMessage Response, bool Personal)[]
        {
            ("page", await site.OwnerBrowser.GetAsync("/"), true),
            ("login page (codes)", await anonymous.GetAsync("/login"), true),
            ("sign-up page (codes)", await anonymous.GetAsync("/signup"), true),
            ("member page (SIP password)", await site.OwnerBrowser.GetAsync($"/members/{site.MemberId}"), true),
            ("coupon page", await site.OperatorBrowser.GetAsync("/operator/coupons"), true),
            ("dev outbox (codes)", await anonymous.GetAsync("/dev/outbox"), true),
            ("API answer", await site.Owner.Api.GetAsync("/api/v1/me"), true),
            ("API answer with coupon codes", batch, true),
            ("API error", await site.Owner.Api.GetAsync($"/api/v1/businesses/{Guid.NewGuid()}/members"), true),
            ("error page", await anonymous.GetAsync("/no-such-page"), true),
            ("download", await site.OwnerBrowser.GetAsync("/history.csv?tab=charges"), true),
            ("static file", await anonymous.GetAsync("/app.css"), false),
            ("health", await anonymous.GetAsync("/health"), true),
        };

        foreach (var (kind, response, personal) in kinds)
        {
            output.WriteLine($"{kind}: {(int)response.StatusCode} {response.RequestMessage!.RequestUri!.PathAndQuery}");
            foreach (var header in response.Headers.Concat(response.Content.Headers).OrderBy(h => h.Key))
                output.WriteLine($"    {header.Key}: {string.Join(", ", header.Value)}");
            AssertSecurityHeaders(response, kind);
            if (personal) AssertNotStored(response, kind);
        }
        // Static files stay cacheable: they are the same for everyone.
        Assert.Equal(HttpStatusCode.OK, kinds.Single(k => k.Kind == "static file").Response.StatusCode);
        Assert.False(kinds.Single(k => k.Kind == "static file").Response.Headers.CacheControl?.NoStore == true);
        Assert.Equal(HttpStatusCode.NotFound, kinds.Single(k => k.Kind == "error page").Response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, kinds.Single(k => k.Kind == "download").Response.StatusCode);
    }

    [Fact]
    public async Task Every_page_passes_the_content_security_policy()
    {
        await using var app = await TestApp.StartAsync();
        var site = await SiteAsync(app);
        var routes = typeof(Program).Assembly.GetTypes()
            .SelectMany(t => t.GetCustomAttributes<Microsoft.AspNetCore.Components.RouteAttribute>())
            .Select(r => r.Template).Distinct().Order().ToList();
        Assert.True(routes.Count > 20, $"only {routes.Count} pages found");

        var pages = new List<(string Url, string Html)>();
        foreach (var template in routes)
        {
            var url = template.Replace("{BusinessId:guid}", site.BusinessId.ToString())
                .Replace("{MemberId:guid}", site.MemberId.ToString())
                .Replace("{NumberId:guid}", site.NumberId.ToString());
            Assert.DoesNotContain("{", url);
            foreach (var browser in new[] { site.OwnerBrowser, site.OperatorBrowser, app.Client() })
            {
                var response = await browser.GetAsync(url);
                Assert.True((int)response.StatusCode < 500, $"{url}: {(int)response.StatusCode}");
                AssertSecurityHeaders(response, url);
                if (response.Content.Headers.ContentType?.MediaType == "text/html") pages.Add((url, await response.Content.ReadAsStringAsync()));
            }
        }
        // The one page that shows a password, with its QR code, right after issuing it.
        var memberPage = await site.OwnerBrowser.GetStringAsync($"/members/{site.MemberId}");
        var issued = await WebLogin.PostFormAsync(site.OwnerBrowser, $"/members/{site.MemberId}", memberPage, "sip-password", []);
        await issued.ShouldBe(HttpStatusCode.OK);
        AssertNotStored(issued, "the page showing a SIP password");
        var issuedHtml = await issued.Content.ReadAsStringAsync();
        Assert.Contains("<svg", issuedHtml);
        pages.Add(("SIP password", issuedHtml));
        var offline = await app.Client().GetAsync("/offline.html");
        AssertSecurityHeaders(offline, "offline page");
        pages.Add(("/offline.html", await offline.Content.ReadAsStringAsync()));

        output.WriteLine($"{pages.Count} pages checked");
        foreach (var (url, html) in pages)
        {
            Assert.False(InlineScript().IsMatch(html), $"{url} has an inline <script>: {InlineScript().Match(html).Value}");
            Assert.False(EventHandler().IsMatch(html), $"{url} has an inline event handler: {EventHandler().Match(html).Value}");
            Assert.False(StyleAttribute().IsMatch(html), $"{url} has inline style: {StyleAttribute().Match(html).Value}");
            Assert.DoesNotContain("javascript:", html, StringComparison.OrdinalIgnoreCase);
            foreach (Match source in ScriptSource().Matches(html))
                Assert.False(source.Groups[1].Value.Contains("//"), $"{url} loads a script from elsewhere: {source.Value}");
        }
    }

    [GeneratedRegex(@"<script(?![^>]*\ssrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex(@"<[a-z][^>]*\son[a-z]+\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex EventHandler();

    [GeneratedRegex(@"<style\b|<[a-z][^>]*\sstyle\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex StyleAttribute();

    [GeneratedRegex(@"<script[^>]*\ssrc=""([^""]*)""", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptSource();
}
