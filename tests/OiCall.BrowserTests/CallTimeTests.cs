using Microsoft.Playwright;
using OiCall.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace OiCall.BrowserTests;

public sealed class CallTimeTests
{
    [Fact]
    public async Task An_admin_charges_a_coupon_distributes_thirty_minutes_reclaims_and_reads_both_history_tabs_on_a_phone()
    {
        await using var app = await TestApp.StartAsync(realServer: true);
        var owner = await app.PersonAsync("최사장", "010-6161-7171");
        var business = await owner.CreateBusinessAsync("오이상사");
        await owner.AddMemberAsync(business.Id, "정직원", "010-6161-8181");
        var code = (await app.IssueCouponsAsync(1, 120)).Single();
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        await using var context = await Browser.PhoneAsync(browser, app.RootUri);
        var page = await context.NewPageAsync();
        await Browser.LogInAsync(page, context, owner.Phone, owner.Phone);

        // STEP 4: 충전 → 쿠폰번호 → 통화시간 충전완료.
        await page.GetByRole(AriaRole.Link, new() { Name = "충전", Exact = true }).ClickAsync();
        await page.GetByLabel("쿠폰번호").FillAsync(code.ToLowerInvariant());
        await page.GetByRole(AriaRole.Button, new() { Name = "충전" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("통화시간 충전완료: 120분이 더해졌습니다.");
        await Expect(page.Locator("[data-callable-seconds]")).ToHaveTextAsync("120분");

        // STEP 5: choose the member, drag the slider to 25, press (+) once → 30 in the minutes box, 적용.
        await page.Locator(".member-name", new() { HasText = "정직원" }).ClickAsync();
        await page.Locator("#minutes").FillAsync("25");
        await page.GetByRole(AriaRole.Button, new() { Name = "(+)" }).ClickAsync();
        await Expect(page.Locator("#minutes-typed")).ToHaveValueAsync("30");
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("distribute"), FullPage = true });
        await page.GetByRole(AriaRole.Button, new() { Name = "적용" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("30분 분배되었습니다.");
        await Expect(page.Locator("[data-member-seconds]")).ToHaveTextAsync("30분");

        // Reclaim 10 with (−) twice from zero.
        await page.GetByRole(AriaRole.Button, new() { Name = "(−)" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "(−)" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "적용" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("10분 회수되었습니다.");
        await Expect(page.Locator("[data-member-seconds]")).ToHaveTextAsync("20분");

        // STEP 8: 상세 내역, both tabs.
        await page.GotoAsync("/settings");
        await page.GetByRole(AriaRole.Link, new() { Name = "상세 내역" }).ClickAsync();
        await Expect(page.Locator("li[data-kind=CouponCharge]")).ToContainTextAsync("+120분");
        await page.GetByRole(AriaRole.Link, new() { Name = "시간분배 내역" }).ClickAsync();
        await Expect(page.Locator("li[data-kind]")).ToHaveCountAsync(2);
        await Expect(page.Locator("li[data-kind=Reclaim]")).ToContainTextAsync("−10분");
        await Expect(page.Locator("li[data-kind=Distribution]")).ToContainTextAsync("+30분");
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("history"), FullPage = true });
    }
}
