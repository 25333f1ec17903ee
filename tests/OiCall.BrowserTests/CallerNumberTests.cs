using Microsoft.Playwright;
using OiCall.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace OiCall.BrowserTests;

public sealed class CallerNumberTests
{
    [Fact]
    public async Task An_admin_registers_a_number_with_a_PDF_the_operator_approves_and_the_admin_makes_it_the_default_on_a_phone()
    {
        await using var app = await TestApp.StartAsync(realServer: true);
        var owner = await app.PersonAsync("한사장", "010-6262-7272");
        await owner.CreateBusinessAsync("발신상사");
        var pdf = Path.Combine(Path.GetTempPath(), $"이용증명원-{Guid.NewGuid():N}.pdf");
        await File.WriteAllBytesAsync(pdf, "%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"u8.ToArray());
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;

        // The admin: 설정 → 발신번호 사전 등록 → number and name → 인증요청 → upload → 심사 요청.
        await using (var context = await Browser.PhoneAsync(browser, app.RootUri))
        {
            var page = await context.NewPageAsync();
            await Browser.LogInAsync(page, context, owner.Phone, owner.Phone);
            await page.GotoAsync("/settings");
            await page.GetByRole(AriaRole.Link, new() { Name = "발신번호 사전 등록" }).ClickAsync();
            await page.GetByLabel("전화번호").FillAsync("02-555-1234");
            await page.GetByLabel("번호 이름").FillAsync("본사");
            await page.GetByRole(AriaRole.Button, new() { Name = "인증요청" }).ClickAsync();
            await Expect(page.Locator("[data-state]")).ToHaveTextAsync("서류 필요");
            await Expect(page.GetByText("주민등록번호", new() { Exact = false })).ToBeVisibleAsync();

            await page.GetByLabel("파일").SetInputFilesAsync(pdf);
            await page.GetByRole(AriaRole.Button, new() { Name = "올리기" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("서류를 올렸습니다.");
            await Expect(page.Locator(".documents li")).ToContainTextAsync("통신서비스 이용증명원");
            await page.GetByRole(AriaRole.Button, new() { Name = "심사 요청" }).ClickAsync();
            await Expect(page.Locator("[data-state]")).ToHaveTextAsync("확인 중");
            await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("caller-number-in-review"), FullPage = true });
        }

        // The operator: 운영자 콘솔 → 심사 대기 → the number, its document beside the decision → 승인.
        await using (var context = await Browser.PhoneAsync(browser, app.RootUri))
        {
            var page = await context.NewPageAsync();
            await Browser.LogInAsync(page, context, "operator", "010-9999-0000");
            await page.GotoAsync("/operator");
            await page.GetByRole(AriaRole.Link, new() { Name = "심사 대기" }).ClickAsync();
            await page.GetByRole(AriaRole.Link, new() { Name = "02-555-1234" }).ClickAsync();
            await Expect(page.Locator(".documents li")).ToContainTextAsync("SHA-256");
            await page.GetByRole(AriaRole.Button, new() { Name = "승인" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("심사 결과를 저장");
        }
        Assert.Contains(app.Sms.Messages, m => m.Text.Contains("02-555-1234 승인"));

        // The admin again: 승인, and it becomes the default caller number.
        await using (var context = await Browser.PhoneAsync(browser, app.RootUri))
        {
            var page = await context.NewPageAsync();
            await Browser.LogInAsync(page, context, owner.Phone, owner.Phone);
            await page.GotoAsync("/caller-numbers");
            await Expect(page.Locator("[data-state]")).ToHaveTextAsync("인증완료");
            await page.GetByLabel("기본 발신번호").SelectOptionAsync(new SelectOptionValue { Label = "본사 (02-555-1234)" });
            await page.GetByRole(AriaRole.Button, new() { Name = "저장" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("기본 발신번호를 저장했습니다.");
            await Expect(page.Locator(".badge.admin")).ToHaveTextAsync("기본");
            await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("caller-number-default"), FullPage = true });
        }
        File.Delete(pdf);
    }
}
