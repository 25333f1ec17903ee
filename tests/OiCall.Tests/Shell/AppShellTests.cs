using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OiCall.Tests.Support;

namespace OiCall.Tests.Shell;

public sealed class AppShellTests
{
    [Fact]
    public async Task The_login_page_is_korean_first()
    {
        await using var app = await TestApp.StartAsync();
        var client = app.Client();
        client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("en-US");   // a browser set to English still opens in Korean

        var html = await client.GetStringAsync("/login");

        Assert.Contains("<html lang=\"ko\">", html);
        Assert.Contains("아이디 또는 휴대폰 번호", html);
        Assert.Contains("인증번호 받기", html);
        Assert.Contains("rel=\"manifest\"", html);
    }

    [Fact]
    public async Task English_can_be_chosen_and_is_remembered()
    {
        await using var app = await TestApp.StartAsync();
        var client = app.Client();

        var switched = await client.GetAsync("/culture/en?returnUrl=%2Flogin");
        Assert.Equal(HttpStatusCode.Redirect, switched.StatusCode);
        Assert.Equal("/login", switched.Headers.Location!.OriginalString);

        var html = await client.GetStringAsync("/login");
        Assert.Contains("<html lang=\"en\">", html);
        Assert.Contains("ID or mobile number", html);
    }

    [Fact]
    public async Task The_language_switch_does_not_redirect_off_site()
    {
        await using var app = await TestApp.StartAsync();
        var response = await app.Client().GetAsync("/culture/en?returnUrl=%2F%2Fevil.example");
        Assert.Equal("/", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Home_asks_for_login_first()
    {
        await using var app = await TestApp.StartAsync();
        var response = await app.Client().GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login", response.Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task The_web_login_form_signs_in_and_the_home_screen_greets_in_korean_then_logout_ends_it()
    {
        await using var app = await TestApp.StartAsync();
        await app.SignUpAsync("webuser", "이영희", "010-2468-1357");
        var browser = app.Client();

        await WebLogin.LogInAsync(app, browser, "webuser", "010-2468-1357");
        var home = await browser.GetStringAsync("/");
        Assert.Contains("안녕하세요, 이영희님", home);
        Assert.Contains("내 업체 등록", home);

        var settings = await browser.GetStringAsync("/settings");
        var logout = await WebLogin.PostFormAsync(browser, "/settings", settings, "logout", []);
        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        var after = await browser.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
    }

    [Fact]
    public async Task Pages_below_the_top_level_have_a_back_button_for_the_installed_app_and_the_code_screen_names_the_number()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장", "010-2323-4545");
        await owner.CreateBusinessAsync("가게");
        var browser = app.Client();

        // The code screen says where the code went (the typed number) and offers a resend after a countdown.
        var login = await browser.GetStringAsync("/login");
        var sent = await (await WebLogin.PostFormAsync(browser, "/login", login, "login-start", new() { ["Start.Identifier"] = "01023234545" })).Content.ReadAsStringAsync();
        Assert.Contains("010-2323-4545(으)로 보낸 인증번호 6자리를 입력하세요.", sent);
        Assert.Matches("data-countdown=\"30\">인증번호 다시 받기", sent);

        await WebLogin.LogInAsync(app, browser, owner.LoginId, owner.Phone);
        var css = await browser.GetStringAsync("/app.css");
        Assert.Contains("@media (display-mode: standalone) { .topbar .back { display: inline-flex; } }", css);
        Assert.Contains("data-back", await browser.GetStringAsync("/members/new"));
        Assert.Contains("data-back", await browser.GetStringAsync("/businesses"));
        Assert.DoesNotContain("data-back", await browser.GetStringAsync("/"));
        Assert.DoesNotContain("data-back", await browser.GetStringAsync("/settings"));
    }

    [Fact]
    public async Task A_form_post_without_its_antiforgery_token_is_refused()
    {
        await using var app = await TestApp.StartAsync();
        var response = await app.Client().PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login-start",
            ["Start.Identifier"] = "operator",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(app.Sms.Messages);
    }

    [Fact]
    public async Task A_wrong_code_on_the_web_form_shows_a_korean_message()
    {
        await using var app = await TestApp.StartAsync();
        var browser = app.Client();
        var page = await browser.GetStringAsync("/login");
        var sent = await (await WebLogin.PostFormAsync(browser, "/login", page, "login-start", new() { ["Start.Identifier"] = "operator" })).Content.ReadAsStringAsync();
        var wrong = app.LastCodeTo("010-9999-0000") == "000000" ? "111111" : "000000";

        var answer = await WebLogin.PostFormAsync(browser, "/login", sent, "login-verify", new()
        {
            ["Verify.ChallengeId"] = WebLogin.HiddenValue(sent, "Verify.ChallengeId"),
            ["Verify.Code"] = wrong,
        });

        await answer.ShouldBe(HttpStatusCode.OK);
        Assert.Contains("인증번호가 맞지 않거나 만료되었습니다", WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task The_pwa_manifest_and_service_worker_are_served()
    {
        await using var app = await TestApp.StartAsync();
        var client = app.Client();

        var manifest = await client.GetFromJsonAsync<JsonElement>("/manifest.webmanifest");
        Assert.Equal("오이콜", manifest.GetProperty("short_name").GetString());
        Assert.Equal("standalone", manifest.GetProperty("display").GetString());
        var icons = manifest.GetProperty("icons").EnumerateArray().ToList();
        Assert.Contains(icons, i => i.GetProperty("sizes").GetString() == "512x512");
        foreach (var icon in icons)
        {
            var png = await client.GetByteArrayAsync(icon.GetProperty("src").GetString());
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        }

        var worker = await client.GetAsync("/sw.js");
        await worker.ShouldBe(HttpStatusCode.OK);
        Assert.Contains("fetch", await worker.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Health_answers_healthy()
    {
        await using var app = await TestApp.StartAsync();
        Assert.Equal("Healthy", await app.Client().GetStringAsync("/health"));
    }

    [Fact]
    public async Task An_unknown_page_answers_404_with_a_korean_page_and_an_unknown_api_route_with_a_problem()
    {
        await using var app = await TestApp.StartAsync();
        var client = app.Client();

        var page = await client.GetAsync("/no/such/page");
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Contains("페이지를 찾을 수 없습니다", await page.Content.ReadAsStringAsync());

        await (await client.GetAsync("/api/v1/no-such-thing")).ShouldBeProblem(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task The_openapi_document_describes_the_account_api()
    {
        await using var app = await TestApp.StartAsync();
        var document = await app.Client().GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/api/v1/auth/otp", "/api/v1/auth/otp/verify", "/api/v1/accounts", "/api/v1/me", "/api/v1/auth/logout" })
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing from the OpenAPI document");
    }

    [Fact]
    public async Task The_dev_outbox_shows_sent_codes_in_development()
    {
        await using var app = await TestApp.StartAsync();
        await app.Client().SendLoginCodeAsync("operator");
        var html = await app.Client().GetStringAsync("/dev/outbox");
        Assert.Contains("인증번호 " + app.LastCodeTo("010-9999-0000"), html);
    }
}
