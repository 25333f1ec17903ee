using System.Text;
using Microsoft.Playwright;
using OiCall.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace OiCall.BrowserTests;

public sealed class BusinessAndMembersTests
{
    private const string OneContact = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:최파일\r\nTEL;TYPE=CELL:010-5151-6262\r\nEND:VCARD\r\n";

    [Fact]
    public async Task An_admin_registers_a_business_adds_edits_promotes_deletes_members_and_switches_businesses_on_a_phone()
    {
        await using var app = await TestApp.StartAsync(realServer: true);
        await app.SignUpAsync("ownerkim", "김대표", "010-3131-4141");
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        await using var context = await Browser.PhoneAsync(browser, app.RootUri);
        var page = await context.NewPageAsync();

        await page.GotoAsync("/login");
        await page.GetByLabel("아이디 또는 휴대폰 번호").FillAsync("ownerkim");
        await page.GetByRole(AriaRole.Button, new() { Name = "인증번호 받기" }).ClickAsync();
        await page.GetByLabel("인증번호").FillAsync(await SignUpAndLoginTests.ReadCodeFromOutboxAsync(context, "010-3131-4141"));
        await page.GetByRole(AriaRole.Button, new() { Name = "확인" }).ClickAsync();

        // STEP 2: 내 업체 등록.
        await page.GetByRole(AriaRole.Link, new() { Name = "내 업체 등록" }).ClickAsync();
        await page.GetByLabel("업체 이름").FillAsync("오이상사");
        await page.GetByLabel("대표번호").FillAsync("0220380995");
        await page.GetByRole(AriaRole.Button, new() { Name = "등록" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "오이상사" })).ToBeVisibleAsync();
        await Expect(page.GetByText("02-2038-0995")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-state=Unverified]")).ToHaveTextAsync("미인증");

        // STEP 3: one member by hand…
        await page.GetByRole(AriaRole.Link, new() { Name = "+ 멤버 등록" }).ClickAsync();
        await page.GetByLabel("이름", new() { Exact = true }).FillAsync("이손님");
        await page.GetByLabel("휴대폰 번호").FillAsync("010-7272-8383");
        await page.GetByRole(AriaRole.Button, new() { Name = "등록", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("새로운 멤버가 등록되었습니다.");
        // Still on the form, empty, for the next person.
        await Expect(page.GetByLabel("이름", new() { Exact = true })).ToHaveValueAsync("");
        await page.GetByRole(AriaRole.Link, new() { Name = "‹ 멤버 목록" }).ClickAsync();
        await Expect(page.Locator(".member-name", new() { HasText = "이손님" })).ToBeVisibleAsync();

        // …and one from a .vcf file, previewed before it is added.
        await page.GetByRole(AriaRole.Link, new() { Name = "+ 멤버 등록" }).ClickAsync();
        await page.Locator("#contacts-file").SetInputFilesAsync(new FilePayload { Name = "contacts.vcf", MimeType = "text/vcard", Buffer = Encoding.UTF8.GetBytes(OneContact) });
        await page.GetByRole(AriaRole.Button, new() { Name = "파일 확인하기" }).ClickAsync();
        await Expect(page.Locator("tr[data-outcome=Add]")).ToContainTextAsync("최파일");
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("import-preview"), FullPage = true });
        await page.GetByRole(AriaRole.Button, new() { Name = "확인" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("새로운 멤버가 등록되었습니다.");
        await Expect(page.Locator(".member-name")).ToHaveCountAsync(3);
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("admin-home"), FullPage = true });

        // STEP 6: promote one to admin through 더보기 → 관리자로 지정.
        await page.Locator(".member-name", new() { HasText = "이손님" }).ClickAsync();
        await page.GetByLabel("더보기").ClickAsync();
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("member-more-menu") });
        await page.GetByRole(AriaRole.Button, new() { Name = "관리자로 지정" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("관리자로 지정되었습니다.");
        await Expect(page.Locator("[data-role=Admin]")).ToBeVisibleAsync();
        await page.GetByLabel("더보기").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "관리자 해제" })).ToBeVisibleAsync();

        // 편집: change the name.
        await page.GetByRole(AriaRole.Link, new() { Name = "편집" }).ClickAsync();
        await page.GetByLabel("이름").FillAsync("이과장");
        await page.GetByRole(AriaRole.Button, new() { Name = "확인" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "이과장" })).ToBeVisibleAsync();

        // 삭제: the member from the file.
        await page.GotoAsync("/");
        await page.Locator(".member-name", new() { HasText = "최파일" }).ClickAsync();
        await page.GetByLabel("더보기").ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "멤버 삭제" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "삭제" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("멤버가 삭제되었습니다.");
        await Expect(page.Locator(".member-name", new() { HasText = "최파일" })).ToHaveCountAsync(0);
        await Expect(page.Locator(".member-name")).ToHaveCountAsync(2);

        // STEP 7: add a second business and switch between the two.
        await page.GotoAsync("/settings");
        await page.GetByRole(AriaRole.Link, new() { Name = "내 업체 관리" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "+ 업체 추가" }).ClickAsync();
        await page.GetByLabel("업체 이름").FillAsync("오이물산");
        await page.GetByLabel("대표번호").FillAsync("1588-1234");
        await page.GetByRole(AriaRole.Button, new() { Name = "등록" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "오이물산" })).ToBeVisibleAsync();
        await Expect(page.Locator(".member-name")).ToHaveCountAsync(1);

        await page.GetByRole(AriaRole.Link, new() { Name = "업체 전환" }).ClickAsync();
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("my-businesses"), FullPage = true });
        await page.Locator("li[data-business='오이상사']").GetByRole(AriaRole.Button, new() { Name = "선택" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "오이상사" })).ToBeVisibleAsync();
        await Expect(page.Locator(".member-name")).ToHaveCountAsync(2);

        var scrollWidth = await page.EvaluateAsync<int>("document.documentElement.scrollWidth");
        Assert.True(scrollWidth <= 390, $"page is {scrollWidth}px wide on a 390px phone");
    }
}
