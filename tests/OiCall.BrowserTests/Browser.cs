using Microsoft.Playwright;

namespace OiCall.BrowserTests;

/// <summary>Debian's Chromium driven by Playwright, at a phone-sized viewport; never a downloaded browser.</summary>
public static class Browser
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] Flags =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        // Only this machine is reachable; keep Chromium from looking up outside names.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ];

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        if (!File.Exists(ChromiumPath))
            Assert.Fail($"{ChromiumPath} is missing: apt-get install chromium fonts-noto-cjk (.ci/run does this).");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = Flags,
        });
        return (playwright, browser);
    }

    /// <summary>An iPhone-14-sized page (390×844) speaking English, to prove the app still opens in Korean.</summary>
    public static Task<IBrowserContext> PhoneAsync(IBrowser browser, Uri root) => browser.NewContextAsync(new BrowserNewContextOptions
    {
        BaseURL = root.ToString().TrimEnd('/'),
        ViewportSize = new ViewportSize { Width = 390, Height = 844 },
        DeviceScaleFactor = 2,
        IsMobile = true,
        HasTouch = true,
        Locale = "en-US",
    });

    /// <summary>Logs in through the login page, reading the code from the dev outbox.</summary>
    /// <summary>A fresh Chromium with one phone-sized page on the app; the caller disposes all four.</summary>
    public static async Task<(IPlaywright, IBrowser, IBrowserContext, IPage)> PhonePageAsync(OiCall.Tests.Support.TestApp app)
    {
        var (playwright, browser) = await LaunchAsync();
        var context = await PhoneAsync(browser, app.RootUri);
        return (playwright, browser, context, await context.NewPageAsync());
    }

    public static async Task LogInAsync(IPage page, IBrowserContext context, string identifier, string phone)
    {
        await page.GotoAsync("/login");
        await page.GetByLabel("아이디 또는 휴대폰 번호").FillAsync(identifier);
        await page.GetByRole(AriaRole.Button, new() { Name = "인증번호 받기" }).ClickAsync();
        await page.GetByLabel("인증번호").FillAsync(await SignUpAndLoginTests.ReadCodeFromOutboxAsync(context, phone));
        await page.GetByRole(AriaRole.Button, new() { Name = "확인" }).ClickAsync();
    }

    /// <summary>Screenshots land next to the test output, for a person to look at.</summary>
    public static string ScreenshotPath(string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name + ".png");
    }
}
