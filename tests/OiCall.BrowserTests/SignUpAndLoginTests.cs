using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OiCall.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace OiCall.BrowserTests;

public sealed partial class SignUpAndLoginTests
{
    [Fact]
    public async Task A_new_user_signs_up_on_a_phone_reads_the_code_logs_in_and_sees_the_korean_home()
    {
        await using var app = await TestApp.StartAsync(realServer: true);
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        await using var context = await Browser.PhoneAsync(browser, app.RootUri);
        var page = await context.NewPageAsync();

        // Sign up (회원가입) and verify the phone (전화인증).
        await page.GotoAsync("/signup");
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "ko");
        await page.GetByLabel("아이디").FillAsync("parkmanager");
        await page.GetByLabel("이름").FillAsync("박과장");
        await page.GetByLabel("휴대폰 번호").FillAsync("010-2222-3333");
        await page.GetByRole(AriaRole.Button, new() { Name = "인증번호 받기" }).ClickAsync();
        await page.GetByLabel("인증번호").FillAsync(await ReadCodeFromOutboxAsync(context, "010-2222-3333"));
        await page.GetByRole(AriaRole.Button, new() { Name = "가입 완료" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "안녕하세요, 박과장님" })).ToBeVisibleAsync();

        // Log out from settings (설정), then log in again with the ID and a new code.
        await page.GetByRole(AriaRole.Link, new() { Name = "설정", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "로그아웃" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "로그인" })).ToBeVisibleAsync();
        await page.GetByLabel("아이디 또는 휴대폰 번호").FillAsync("parkmanager");
        await page.GetByRole(AriaRole.Button, new() { Name = "인증번호 받기" }).ClickAsync();
        await page.GetByLabel("인증번호").FillAsync(await ReadCodeFromOutboxAsync(context, "010-2222-3333"));
        await page.GetByRole(AriaRole.Button, new() { Name = "확인" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "안녕하세요, 박과장님" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "내 업체 등록" })).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("home-phone") });

        // The page fits the phone: nothing wider than the viewport.
        var scrollWidth = await page.EvaluateAsync<int>("document.documentElement.scrollWidth");
        Assert.True(scrollWidth <= 390, $"page is {scrollWidth}px wide on a 390px phone");

        // Installable: the manifest is served and the service worker takes control.
        var manifest = await page.APIRequest.GetAsync("/manifest.webmanifest");
        Assert.Equal(200, manifest.Status);
        Assert.Contains("오이콜", await manifest.TextAsync());
        var scope = await page.EvaluateAsync<string>("navigator.serviceWorker.ready.then(r => r.scope)");
        Assert.EndsWith("/", scope);
    }

    [Fact]
    public async Task A_wrong_code_shows_a_korean_error_and_keeps_the_user_on_the_code_step()
    {
        await using var app = await TestApp.StartAsync(realServer: true);
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        await using var context = await Browser.PhoneAsync(browser, app.RootUri);
        var page = await context.NewPageAsync();

        await page.GotoAsync("/login");
        await page.GetByLabel("아이디 또는 휴대폰 번호").FillAsync("operator");
        await page.GetByRole(AriaRole.Button, new() { Name = "인증번호 받기" }).ClickAsync();
        var right = await ReadCodeFromOutboxAsync(context, "010-9999-0000");
        await page.GetByLabel("인증번호").FillAsync(right == "000000" ? "111111" : "000000");
        await page.GetByRole(AriaRole.Button, new() { Name = "확인" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("인증번호가 맞지 않거나 만료되었습니다");
        await page.GetByLabel("인증번호").FillAsync(right);
        await page.GetByRole(AriaRole.Button, new() { Name = "확인" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "안녕하세요, 운영자님" })).ToBeVisibleAsync();
    }

    /// <summary>Reads the newest code for a number from the dev outbox page, as a developer would.</summary>
    internal static async Task<string> ReadCodeFromOutboxAsync(IBrowserContext context, string phone)
    {
        var outbox = await context.NewPageAsync();
        await outbox.GotoAsync("/dev/outbox");
        var text = await outbox.Locator($"li[data-to='+82{phone.Replace("-", "")[1..]}'] .sms-text").First.InnerTextAsync();
        await outbox.CloseAsync();
        return CodePattern().Match(text).Groups[1].Value;
    }

    [GeneratedRegex(@"인증번호 (\d{6})")]
    private static partial Regex CodePattern();
}
