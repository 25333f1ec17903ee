using System.Net;
using Microsoft.Playwright;
using OiCall.Tests.CallerNumbers;
using OiCall.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace OiCall.BrowserTests;

/// <summary>The small things an owner notices on a phone: the slider's zero, typed minutes, coupon batches, wording, names in the import preview.</summary>
public sealed class PolishTests
{
    [Fact]
    public async Task The_slider_marks_where_zero_is_and_takes_minutes_typed_as_well_as_dragged()
    {
        await using var app = await TestApp.StartAsync(realServer: true);
        var owner = await app.PersonAsync("김대표");
        var business = await owner.CreateBusinessAsync("오이상사");
        var member = await owner.AddMemberAsync(business.Id, "이직원", "010-7272-8383");
        await (await owner.ChargeAsync(business.Id, (await app.IssueCouponsAsync(1, 130))[0])).ShouldBe(HttpStatusCode.OK);
        // The member holds 30, the pool 100: the slider runs −30 … +100, so zero is well left of the middle.
        await (await owner.AllocateAsync(business.Id, member.Id, 30 * 60)).ShouldBe(HttpStatusCode.OK);

        var (playwright, browser, context, page) = await Browser.PhonePageAsync(app);
        using var _ = playwright;
        await using var __ = browser;
        await using var ___ = context;
        await Browser.LogInAsync(page, context, owner.LoginId, owner.Phone);
        await page.GotoAsync($"/members/{member.Id}");

        var range = page.Locator("#minutes");
        var mark = page.Locator(".zero-mark");
        await Expect(mark).ToBeVisibleAsync();
        await Expect(mark).ToHaveTextAsync("0");
        var track = (await range.BoundingBoxAsync())!;
        var zero = (await mark.BoundingBoxAsync())!;
        var zeroX = zero.X + zero.Width / 2;
        Assert.InRange(zeroX, track.X + track.Width * 0.1, track.X + track.Width * 0.4);
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("slider-zero-mark"), FullPage = true });

        // Dragged away, then pressed where the mark is: the slider stands at zero.
        await range.FillAsync("60");
        await Expect(page.Locator("#minutes-typed")).ToHaveValueAsync("60");
        await page.Mouse.ClickAsync(zeroX, track.Y + track.Height / 2);
        Assert.InRange(int.Parse(await range.InputValueAsync()), -1, 1);

        // Typed: the slider follows, and 적용 gives exactly that.
        await page.Locator("#minutes-typed").FillAsync("17");
        await Expect(range).ToHaveValueAsync("17");
        await page.GetByRole(AriaRole.Button, new() { Name = "(+)" }).ClickAsync();
        await Expect(page.Locator("#minutes-typed")).ToHaveValueAsync("22");
        await page.GetByRole(AriaRole.Button, new() { Name = "적용" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("22분 분배되었습니다.");
        await Expect(page.Locator("[data-member-seconds]")).ToHaveTextAsync("52분");

        // A typed negative number reclaims.
        await page.Locator("#minutes-typed").FillAsync("-7");
        await Expect(range).ToHaveValueAsync("-7");
        await page.GetByRole(AriaRole.Button, new() { Name = "적용" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("7분 회수되었습니다.");
        await Expect(page.Locator("[data-member-seconds]")).ToHaveTextAsync("45분");
    }

    [Fact]
    public async Task An_operator_sees_the_batch_on_screen_downloads_it_and_a_reload_or_second_click_issues_nothing_more()
    {
        await using var app = await TestApp.StartAsync(realServer: true);
        var (playwright, browser, context, page) = await Browser.PhonePageAsync(app);
        using var _ = playwright;
        await using var __ = browser;
        await using var ___ = context;
        await Browser.LogInAsync(page, context, "operator", "010-9999-0000");
        await page.GotoAsync("/operator/coupons");
        await page.GetByLabel("수량").FillAsync("4");
        await page.GetByLabel("쿠폰당 분").FillAsync("30");
        await page.GetByLabel("메모").FillAsync("대리점 B");
        // A double tap: the second press finds the button already quiet.
        await page.GetByRole(AriaRole.Button, new() { Name = "발행" }).DblClickAsync();

        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("쿠폰 4장을 발행했습니다.");
        var codes = await page.Locator(".coupon-codes code").AllTextContentsAsync();
        Assert.Equal(4, codes.Count);
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("coupon-batch-on-screen"), FullPage = true });

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "CSV 다운로드" }).ClickAsync());
        Assert.Matches("^coupons-[0-9a-f]{32}\\.csv$", download.SuggestedFilename);
        var file = await File.ReadAllTextAsync((await download.PathAsync())!);
        var lines = file.TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("쿠폰번호,분,유효기간", lines[0]);
        Assert.Equal(codes.Select(c => (c, "30")), lines[1..].Select(l => (l.Split(',')[0], l.Split(',')[1])));

        // A reload sends the form again: the same batch shows, and no second one exists.
        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("이 배치는 이미 발행되었습니다");
        Assert.Equal(codes, await page.Locator(".coupon-codes code").AllTextContentsAsync());
        await using var db = app.Db();
        Assert.Equal(1, db.CouponBatches.Count());
        Assert.Equal(4, db.Coupons.Count());
    }

    [Fact]
    public async Task A_pasted_name_space_number_list_previews_with_whole_names_and_says_which_field_was_unreadable()
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

        await page.Locator("#pasted").FillAsync("남궁민수사장님 01012345678\n황보혜정실장님, 010-2345-6789\n제갈공명팀장 02-12\n선우용녀\n");
        await page.GetByRole(AriaRole.Button, new() { Name = "확인하기", Exact = true }).ClickAsync();

        var rows = page.Locator("table.preview tbody tr");
        await Expect(rows).ToHaveCountAsync(4);
        await Expect(rows.Nth(0)).ToHaveAttributeAsync("data-outcome", "Add");
        await Expect(rows.Nth(1)).ToHaveAttributeAsync("data-outcome", "Add");
        await Expect(rows.Nth(2).Locator("td").Nth(2)).ToHaveTextAsync("건너뜀: 번호를 읽을 수 없음 (02-12)");
        await Expect(rows.Nth(3).Locator("td").Nth(2)).ToHaveTextAsync("건너뜀: 번호가 없음");
        // Each name sits on one line at 390 px: its cell is one line high.
        foreach (var name in await page.Locator("table.preview td.name").AllAsync())
        {
            var lines = await name.EvaluateAsync<int>("cell => { const r = document.createRange(); r.selectNodeContents(cell); return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }");
            Assert.Equal(1, lines);
        }
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("import-preview-names"), FullPage = true });
    }

    [Fact]
    public async Task Deleting_the_default_caller_number_makes_another_approved_one_the_default_and_the_last_says_none_is_left()
    {
        await using var app = await TestApp.StartAsync(realServer: true);
        var owner = await app.PersonAsync("김대표");
        var business = await owner.CreateBusinessAsync("오이상사");
        var first = await app.ApprovedNumberAsync(owner, business.Id, "02-555-1234", "본사");
        await app.ApprovedNumberAsync(owner, business.Id, "02-555-5678", "영업팀");
        var (playwright, browser, context, page) = await Browser.PhonePageAsync(app);
        using var _ = playwright;
        await using var __ = browser;
        await using var ___ = context;
        await Browser.LogInAsync(page, context, owner.LoginId, owner.Phone);

        await page.GotoAsync($"/caller-numbers/{first.Id}");
        await page.Locator("summary", new() { HasText = "삭제" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "삭제 확인" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("발신번호가 삭제되었습니다. 승인된 다른 번호가 기본 발신번호가 되었습니다.");
        var item = page.Locator("a.item", new() { HasText = "영업팀" });
        await Expect(item.Locator(".badge.admin")).ToHaveTextAsync("기본");
        await Expect(item.Locator("[data-state]")).ToHaveTextAsync("인증완료");

        await item.ClickAsync();
        await page.Locator("summary", new() { HasText = "삭제" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "삭제 확인" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("승인된 발신번호가 남아 있지 않아 멤버는 통화할 수 없습니다");
        await page.ScreenshotAsync(new() { Path = Browser.ScreenshotPath("caller-number-default-deleted"), FullPage = true });
    }
}
