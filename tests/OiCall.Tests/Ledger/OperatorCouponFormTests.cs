using System.Net;
using Microsoft.EntityFrameworkCore;
using OiCall.Web.Data;
using OiCall.Tests.Support;
using OiCall.Web.Features.Coupons;

namespace OiCall.Tests.Ledger;

public sealed class OperatorCouponFormTests
{
    private static FormUrlEncodedContent IssueForm(string page, string requestId) => new(new Dictionary<string, string>
    {
        ["_handler"] = "issue-coupons",
        ["__RequestVerificationToken"] = WebLogin.HiddenValue(page, "__RequestVerificationToken"),
        ["RequestId"] = requestId,
        ["Count"] = "3",
        ["MinutesEach"] = "30",
        ["ExpiresOn"] = "2027-12-31",
        ["Memo"] = "대리점 A",
    });

    private static List<string> CodesOn(string answer) =>
        [.. System.Text.RegularExpressions.Regex.Matches(answer, "<li><code>([^<]+)</code></li>").Select(m => m.Groups[1].Value)];

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task The_operator_form_shows_the_batch_with_its_csv_and_a_reload_or_second_click_issues_nothing_more(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        var browser = app.Client();
        await WebLogin.LogInAsync(app, browser, "operator", "010-9999-0000");
        var page = await browser.GetStringAsync("/operator/coupons");
        var requestId = WebLogin.HiddenValue(page, "RequestId");

        var response = await browser.PostAsync("/operator/coupons", IssueForm(page, requestId));

        await response.ShouldBe(HttpStatusCode.OK);
        var answer = await response.Content.ReadAsStringAsync();
        var codes = CodesOn(answer);
        Assert.Equal(3, codes.Count);
        Assert.All(codes, c => Assert.Equal(CodeReading.Valid, CouponCode.Read(c, out _)));
        Assert.Contains("쿠폰 3장을 발행했습니다.", answer);
        // The download is this answer's CSV, with every code on screen.
        var href = System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(answer, "download=\"coupons-[0-9a-f]{32}\\.csv\" href=\"([^\"]+)\"").Groups[1].Value);
        Assert.StartsWith("data:text/csv;charset=utf-8,", href);
        var lines = Uri.UnescapeDataString(href["data:text/csv;charset=utf-8,".Length..]).TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        string[] expected = ["쿠폰번호,분,유효기간", .. codes.Select(c => $"{c},30,2027-12-31")];
        Assert.Equal(expected, lines);

        // A reload (the browser sends the form again) and a second click at once: the same batch, nothing new.
        var again = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => browser.PostAsync("/operator/coupons", IssueForm(page, requestId))));
        foreach (var replay in again)
        {
            await replay.ShouldBe(HttpStatusCode.OK);
            var text = await replay.Content.ReadAsStringAsync();
            Assert.Equal(codes, CodesOn(text));
            Assert.Contains("이 배치는 이미 발행되었습니다", text);
        }
        await using (var db = app.Db())
            Assert.Equal((1, 3), (await db.CouponBatches.CountAsync(), await db.Coupons.CountAsync()));

        // A fresh form is a new batch.
        var next = await browser.GetStringAsync("/operator/coupons");
        Assert.NotEqual(requestId, WebLogin.HiddenValue(next, "RequestId"));

        // The codes work for a business.
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        await (await owner.ChargeAsync(business.Id, codes[0])).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_business_admin_cannot_issue_coupons()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장", "010-1414-2525");
        var browser = app.Client();
        await WebLogin.LogInAsync(app, browser, owner.LoginId, owner.Phone);

        var page = await browser.GetAsync("/operator/coupons");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/forbidden", page.Headers.Location!.PathAndQuery);

        var api = await owner.Api.PostAsync("/api/v1/operator/coupon-batches", System.Net.Http.Json.JsonContent.Create(new { count = 1, minutesEach = 10, expiresAt = DateTime.UtcNow.AddDays(1) }));
        await api.ShouldBeProblem(HttpStatusCode.Forbidden, "operator_only");
    }
}
