using System.Net;
using System.Net.Http.Json;
using OiCall.Tests.Support;
using OiCall.Web.Data;

namespace OiCall.Tests.Accounts;

public sealed class SessionTests
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Logout_ends_the_token_at_once(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        var token = await app.SignUpAsync("leaver", "퇴근", "010-8080-1212");
        var client = app.Client().WithToken(token.AccessToken);
        await (await client.GetAsync("/api/v1/me")).ShouldBe(HttpStatusCode.OK);

        await (await client.PostAsync("/api/v1/auth/logout", null)).ShouldBe(HttpStatusCode.NoContent);

        await (await client.GetAsync("/api/v1/me")).ShouldBeProblem(HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer not-a-real-token")]
    [InlineData("Bearer ")]
    [InlineData("Basic dXNlcjpwYXNz")]
    public async Task Me_without_a_valid_token_is_401_problem(string? authorization)
    {
        await using var app = await TestApp.StartAsync();
        var client = app.Client();
        if (authorization is not null) client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);

        var response = await client.GetAsync("/api/v1/me");

        await response.ShouldBeProblem(HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task A_token_expires_after_thirty_days()
    {
        await using var app = await TestApp.StartAsync();
        var token = await app.SignUpAsync("longtime", "오래", "010-8080-3434");
        var client = app.Client().WithToken(token.AccessToken);

        app.Clock.Advance(TimeSpan.FromDays(29));
        await (await client.GetAsync("/api/v1/me")).ShouldBe(HttpStatusCode.OK);
        app.Clock.Advance(TimeSpan.FromDays(2));
        await (await client.GetAsync("/api/v1/me")).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_api_does_not_accept_the_web_cookie()
    {
        await using var app = await TestApp.StartAsync();
        await app.SignUpAsync("cookieless", "쿠키", "010-8080-5656");
        var browser = app.Client();
        await WebLogin.LogInAsync(app, browser, "cookieless", "010-8080-5656");
        await (await browser.GetAsync("/")).ShouldBe(HttpStatusCode.OK);

        await (await browser.GetAsync("/api/v1/me")).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_configured_operator_exists_after_the_first_start_and_can_log_in()
    {
        await using var app = await TestApp.StartAsync();
        var token = await app.LogInAsync("operator", "010-9999-0000");
        Assert.True(token.Account.IsOperator);
        var me = await app.Client().WithToken(token.AccessToken).GetFromJsonAsync<Me>("/api/v1/me");
        Assert.True(me!.IsOperator);
    }
}
