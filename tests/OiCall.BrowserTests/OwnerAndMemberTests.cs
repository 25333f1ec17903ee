using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OiCall.Tests.CallerNumbers;
using OiCall.Tests.Support;
using OiCall.Web.Features.Ledger;
using static Microsoft.Playwright.Assertions;

namespace OiCall.BrowserTests;

/// <summary>What a new owner and a new member run into on a phone, each seen through the browser.</summary>
public sealed class OwnerAndMemberTests
{
    [Fact]
    public async Task A_member_added_by_an_admin_logs_in_with_their_number_as_the_invite_says_without_signing_up()
    {
        await using var app = await TestApp.StartAsync(realServer: true);
        var owner = await app.PersonAsync("김대표");
        // Invites go out only once the business's main number is verified.
        var business = await owner.CreateVerifiedBusinessAsync(app, "오이상사", "010-4848-0001");
        await owner.AddMemberAsync(business.Id, "정멤버", "010-4848-5959");

        // The invite says where to go, what to type and that no sign-up is needed.
        var invite = app.Sms.Messages.First(m => m.To == "+821048485959").Text;
        Assert.Matches(@"https?://\S+/login 에서", invite);
        Assert.Contains("010-4848-5959", invite);
        Assert.Contains("회원가입 필요 없음", invite);

        var (playwright, browser, context, page) = await Browser.PhonePageAsync(app);
        using var _ = playwright;
        await using var __ = browser;
        await using var ___ = context;
        await page.GotoAsync("/login");
        await page.GetByLabel("아이디 또는 휴대폰 번호").FillAsync("010-4848-5959");
        await page.GetByRole(AriaRole.Button, new() { Name = "인증번호 받기" }).ClickAsync();
        await page.GetByLabel("인증번호", new() { Exact = true }).FillAsync(await SignUpAndLoginTests.ReadCodeFromOutboxAsync(context, "010-4848-5959"));
        await page.GetByRole(AriaRole.Button, new() { Name = "확인" }).ClickAsync();

        // In at once, as the member the admin named, in the admin's business.
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "오이상사" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "내 정보" })).ToBeVisibleAsync();
        await Expect(page.Locator("dd", new() { HasText = "정멤버" })).ToBeVisibleAsync();
        await using (var db = app.Db())
            Assert.NotNull(db.Members.Where(m => m.Name == "정멤버").Select(m => m.AccountId).Single());
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("member-first-login") });
    }

    [Fact]
    public async Task Deleting_a_member_returns_their_time_to_the_business_and_the_page_says_how_much_and_refuses_a_member_in_a_call()
    {
        await using var app = await TestApp.StartAsync(realServer: true);
        var owner = await app.PersonAsync("김대표", "010-3131-4141");
        var business = await owner.CreateBusinessAsync("오이상사");
        var leaving = await owner.AddMemberAsync(business.Id, "최퇴사", "010-5151-6262");
        var calling = await owner.AddMemberAsync(business.Id, "이통화", "010-7272-8383");
        await (await owner.ChargeAsync(business.Id, (await app.IssueCouponsAsync(1, 100))[0])).ShouldBe(HttpStatusCode.OK);
        await (await owner.AllocateAsync(business.Id, leaving.Id, 30 * 60)).ShouldBe(HttpStatusCode.OK);
        await (await owner.AllocateAsync(business.Id, calling.Id, 20 * 60)).ShouldBe(HttpStatusCode.OK);
        Assert.NotNull(await app.HoldCallAsync(business.Id, calling.Id, "call-in-progress", 600));

        var (playwright, browser, context, page) = await Browser.PhonePageAsync(app);
        using var _ = playwright;
        await using var __ = browser;
        await using var ___ = context;
        await Browser.LogInAsync(page, context, owner.LoginId, owner.Phone);

        await page.GotoAsync($"/members/{leaving.Id}/delete");
        await Expect(page.GetByTestId("returned-time")).ToContainTextAsync("30분 0초");
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("member-delete-returns-time") });
        await page.GetByRole(AriaRole.Button, new() { Name = "삭제" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("남은 시간(30분 0초)은 업체의 통화가능 시간으로 돌아갔습니다");
        // 100 charged − 20 still with the member in a call: the 30 came back.
        await Expect(page.Locator("[data-callable-seconds]")).ToHaveAttributeAsync("data-callable-seconds", (80 * 60).ToString());
        var history = await owner.Api.GetFromJsonAsync<HistoryPageDto>($"/api/v1/businesses/{business.Id}/history?tab=Distributions&memberId={leaving.Id}", BusinessApi.Json);
        Assert.Equal(("Reclaim", -1800L), (history!.Lines[0].Kind, history.Lines[0].Seconds));

        // A member whose time a call holds is not deleted: the page says why, and nothing moves.
        await page.GotoAsync($"/members/{calling.Id}/delete");
        await Expect(page.GetByTestId("member-in-call")).ToContainTextAsync("통화 중");
        await page.GetByRole(AriaRole.Button, new() { Name = "삭제" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert).Last).ToContainTextAsync("통화가 끝난 뒤 다시 삭제하세요");
        Assert.Contains(await owner.MembersAsync(business.Id), m => m.Id == calling.Id);
        Assert.Equal(80 * 60, (await owner.BalanceAsync(business.Id)).CallableSeconds);
    }

    [Fact]
    public async Task An_upload_over_ten_megabytes_shows_the_pages_message_beside_the_file_and_a_mistaken_document_is_removed()
    {
        await using var app = await TestApp.StartAsync(realServer: true);
        var owner = await app.PersonAsync("한사장", "010-6262-7272");
        var business = await owner.CreateBusinessAsync("발신상사");
        var number = await owner.RegisterNumberAsync(business.Id, "02-555-1234");
        var pdf = "%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"u8.ToArray();
        var huge = new byte[12 * 1024 * 1024];
        pdf.CopyTo(huge, 0);

        var (playwright, browser, context, page) = await Browser.PhonePageAsync(app);
        using var _ = playwright;
        await using var __ = browser;
        await using var ___ = context;
        await Browser.LogInAsync(page, context, owner.LoginId, owner.Phone);
        await page.GotoAsync($"/caller-numbers/{number.Id}");

        await page.GetByLabel("파일").SetInputFilesAsync(new FilePayload { Name = "스캔.pdf", MimeType = "application/pdf", Buffer = huge });
        await page.GetByRole(AriaRole.Button, new() { Name = "올리기" }).ClickAsync();
        await Expect(page.Locator("#upload-form [role=alert]")).ToContainTextAsync("10MB 이하");
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("upload-too-large"), FullPage = true });

        await page.GetByLabel("파일").SetInputFilesAsync(new FilePayload { Name = "엉뚱한서류.pdf", MimeType = "application/pdf", Buffer = pdf });
        await page.GetByRole(AriaRole.Button, new() { Name = "올리기" }).ClickAsync();
        await Expect(page.Locator(".documents li")).ToContainTextAsync("엉뚱한서류.pdf");
        await page.GetByRole(AriaRole.Button, new() { Name = "엉뚱한서류.pdf 삭제" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("서류를 삭제했습니다.");
        await Expect(page.Locator(".documents li")).ToHaveCountAsync(0);

        // Without the page's script the server answers the same: back to the page, the message beside the file.
        await using var noScript = await browser.NewContextAsync(new() { BaseURL = app.RootUri.ToString().TrimEnd('/'), JavaScriptEnabled = false, ViewportSize = new() { Width = 390, Height = 844 } });
        var plain = await noScript.NewPageAsync();
        await Browser.LogInAsync(plain, noScript, owner.LoginId, owner.Phone);
        await plain.GotoAsync($"/caller-numbers/{number.Id}");
        await plain.GetByLabel("파일").SetInputFilesAsync(new FilePayload { Name = "스캔.pdf", MimeType = "application/pdf", Buffer = huge });
        await plain.GetByRole(AriaRole.Button, new() { Name = "올리기" }).ClickAsync();
        await Expect(plain.Locator("#upload-form [role=alert]")).ToContainTextAsync("10MB 이하");
    }

    [Fact]
    public async Task CSV_download_after_filtering_all_members_saves_a_csv_in_seconds_and_the_filters_fit_a_phone()
    {
        await using var app = await TestApp.StartAsync(realServer: true);
        var owner = await app.PersonAsync("김대표");
        var business = await owner.CreateBusinessAsync("오이상사");
        var member = await owner.AddMemberAsync(business.Id, "이직원", "010-7272-8383");
        await (await owner.ChargeAsync(business.Id, (await app.IssueCouponsAsync(1, 100))[0])).ShouldBe(HttpStatusCode.OK);
        await (await owner.AllocateAsync(business.Id, member.Id, 15 * 60)).ShouldBe(HttpStatusCode.OK);

        var (playwright, browser, context, page) = await Browser.PhonePageAsync(app);
        using var _ = playwright;
        await using var __ = browser;
        await using var ___ = context;
        await Browser.LogInAsync(page, context, owner.LoginId, owner.Phone);
        await page.GotoAsync("/history?tab=Distributions");
        await page.GetByLabel("멤버").SelectOptionAsync(new SelectOptionValue { Label = "전체 멤버" });
        await page.GetByLabel("시작일").FillAsync("2026-11-01");
        await page.GetByRole(AriaRole.Button, new() { Name = "조회" }).ClickAsync();
        await Expect(page.Locator(".history li")).ToHaveCountAsync(1);

        // The filter row, the dates' labels and "+15분" all fit 390 px.
        Assert.True(await page.EvaluateAsync<int>("document.documentElement.scrollWidth") <= 390);
        var amount = await page.Locator(".history .amount").BoundingBoxAsync();
        Assert.True(amount!.Height < 30, $"the amount wraps ({amount.Height}px high)");
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("history-filters"), FullPage = true });

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "CSV 다운로드" }).ClickAsync());
        Assert.Equal("history-distributions.csv", download.SuggestedFilename);
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.Contains("시간(초)", csv);
        Assert.Contains(",\"이직원\",900,", csv);
    }

    [Fact]
    public async Task A_coupon_entered_again_says_this_business_used_it_and_when_instead_of_charged()
    {
        await using var app = await TestApp.StartAsync(realServer: true);
        var owner = await app.PersonAsync("김대표");
        await owner.CreateBusinessAsync("오이상사");
        var code = (await app.IssueCouponsAsync(1, 100)).Single();

        var (playwright, browser, context, page) = await Browser.PhonePageAsync(app);
        using var _ = playwright;
        await using var __ = browser;
        await using var ___ = context;
        await Browser.LogInAsync(page, context, owner.LoginId, owner.Phone);
        await page.GotoAsync("/charge");
        await Expect(page.GetByTestId("charge-business")).ToContainTextAsync("오이상사");
        await page.GetByLabel("쿠폰번호").FillAsync(code);
        await page.GetByRole(AriaRole.Button, new() { Name = "충전" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("통화시간 충전완료: 100분이 더해졌습니다.");

        await page.GotoAsync("/charge");
        await page.GetByLabel("쿠폰번호").FillAsync(code);
        await page.GetByRole(AriaRole.Button, new() { Name = "충전" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("이 업체에서 이미 사용한 쿠폰입니다 (2026-11-25 10:00에 100분 충전)");
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveCountAsync(0);
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("coupon-replay") });
        await page.GotoAsync("/");
        await Expect(page.Locator("[data-callable-seconds]")).ToHaveAttributeAsync("data-callable-seconds", "6000");
        // 업체 전환 is a target a thumb hits: 44 px at least.
        var switcher = await page.GetByRole(AriaRole.Link, new() { Name = "업체 전환" }).BoundingBoxAsync();
        Assert.True(switcher!.Height >= 44 && switcher.Width >= 44, $"업체 전환 is {switcher.Width}×{switcher.Height}");
    }

    [Fact]
    public async Task Without_the_contact_picker_the_pick_button_is_not_offered_and_the_file_import_is_explained()
    {
        await using var app = await TestApp.StartAsync(realServer: true);
        var owner = await app.PersonAsync("김대표");
        await owner.CreateBusinessAsync("오이상사");

        var (playwright, browser, context, page) = await Browser.PhonePageAsync(app);
        using var _ = playwright;
        await using var __ = browser;
        await using var ___ = context;
        await Browser.LogInAsync(page, context, owner.LoginId, owner.Phone);
        await page.GotoAsync("/members/new");

        // Headless Chromium has no navigator.contacts, like Safari and desktop browsers.
        Assert.False(await page.EvaluateAsync<bool>("'contacts' in navigator"));
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "연락처에서 선택하기" })).ToBeHiddenAsync();
        await Expect(page.Locator("#no-contact-picker")).ToBeVisibleAsync();
        await Expect(page.Locator("#no-contact-picker")).ToContainTextAsync("vCard(.vcf) 파일로 내보내");
    }

    [Fact]
    public async Task A_members_settings_list_only_what_they_may_open_and_an_admins_list_everything()
    {
        await using var app = await TestApp.StartAsync(realServer: true);
        var owner = await app.PersonAsync("김대표", "010-3131-4141");
        var business = await owner.CreateBusinessAsync("오이상사");
        await owner.AddMemberAsync(business.Id, "정멤버", "010-4848-5959");
        string[] adminOnly = ["발신번호 사전 등록", "상세 내역", "월별 사용 내역", "착신 설정", "잔여시간 알림 · 통화 기록"];

        var (playwright, browser, context, page) = await Browser.PhonePageAsync(app);
        using var _ = playwright;
        await using var __ = browser;
        await using var ___ = context;
        await Browser.LogInAsync(page, context, "010-4848-5959", "010-4848-5959");
        await page.GetByRole(AriaRole.Link, new() { Name = "설정", Exact = true }).ClickAsync();
        foreach (var name in adminOnly)
            await Expect(page.Locator(".menu a", new() { HasText = name })).ToHaveCountAsync(0);
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("member-settings") });
        // Every link a member is shown opens without 권한이 없습니다.
        var links = await page.Locator(".menu a.menu-item").EvaluateAllAsync<string[]>("links => links.map(l => l.getAttribute('href'))");
        Assert.Equal(["/businesses", "/calls"], links);
        foreach (var href in links)
        {
            await page.GotoAsync(href);
            await Expect(page.GetByText("권한이 없습니다")).ToHaveCountAsync(0);
        }

        await using var ownerContext = await Browser.PhoneAsync(browser, app.RootUri);
        var ownerPage = await ownerContext.NewPageAsync();
        await Browser.LogInAsync(ownerPage, ownerContext, owner.LoginId, owner.Phone);
        await ownerPage.GotoAsync("/settings");
        foreach (var name in adminOnly)
            await Expect(ownerPage.Locator(".menu a", new() { HasText = name })).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task After_a_distribution_a_failed_apply_shows_only_its_error_beside_the_slider()
    {
        await using var app = await TestApp.StartAsync(realServer: true);
        var owner = await app.PersonAsync("김대표");
        var business = await owner.CreateBusinessAsync("오이상사");
        var member = await owner.AddMemberAsync(business.Id, "이직원", "010-7272-8383");
        await (await owner.ChargeAsync(business.Id, (await app.IssueCouponsAsync(1, 100))[0])).ShouldBe(HttpStatusCode.OK);

        var (playwright, browser, context, page) = await Browser.PhonePageAsync(app);
        using var _ = playwright;
        await using var __ = browser;
        await using var ___ = context;
        await Browser.LogInAsync(page, context, owner.LoginId, owner.Phone);
        await page.GotoAsync($"/members/{member.Id}");
        for (var i = 0; i < 6; i++) await page.GetByRole(AriaRole.Button, new() { Name = "(+)" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "적용" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("30분 분배되었습니다.");

        // 적용 at 0: the error, and no old success beside it.
        await page.GetByRole(AriaRole.Button, new() { Name = "적용" }).ClickAsync();
        await Expect(page.Locator("#allocate-form [role=alert]")).ToHaveTextAsync("분배할 시간을 1분 이상 입력하세요.");
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveCountAsync(1);
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("allocate-error-beside-slider"), FullPage = true });
    }

    [Fact]
    public async Task The_first_approved_caller_number_is_the_default_at_once_and_until_then_the_member_reads_what_the_admin_must_do()
    {
        await using var app = await TestApp.StartAsync(realServer: true);
        var owner = await app.PersonAsync("김대표");
        var business = await owner.CreateBusinessAsync("오이상사");
        await owner.AddMemberAsync(business.Id, "정멤버", "010-4848-5959");

        var (playwright, browser, context, page) = await Browser.PhonePageAsync(app);
        using var _ = playwright;
        await using var __ = browser;
        await using var ___ = context;
        await Browser.LogInAsync(page, context, "010-4848-5959", "010-4848-5959");
        await Expect(page.Locator("[data-presented-number]")).ToContainTextAsync("관리자가 설정 → 발신번호 사전 등록에서 회사 번호를 등록하고 승인을 받아야 합니다");

        await app.ApprovedNumberAsync(owner, business.Id, "02-555-1234", "본사");
        Assert.Contains(app.Sms.Messages, m => m.Text.Contains("02-555-1234 승인되었습니다. 기본 발신번호로 지정되어"));

        // No admin step: the member's calls show it now.
        await page.ReloadAsync();
        await Expect(page.Locator("[data-presented-number]")).ToHaveTextAsync("통화할 때 02-555-1234 (본사)로 표시됩니다.");
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("member-home-caller-number"), FullPage = true });
    }
}
