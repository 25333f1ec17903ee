using System.Net;
using OiCall.Tests.Support;
using OiCall.Web.Features.Coupons;

namespace OiCall.Tests.Ledger;

public sealed class OperatorCouponFormTests
{
    [Fact]
    public async Task The_operator_form_answers_with_the_codes_once_as_csv()
    {
        await using var app = await TestApp.StartAsync();
        var browser = app.Client();
        await WebLogin.LogInAsync(app, browser, "operator", "010-9999-0000");
        var page = await browser.GetStringAsync("/operator/coupons");

        var response = await browser.PostAsync("/operator/coupon-batches.csv", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = WebLogin.HiddenValue(page, "__RequestVerificationToken"),
            ["count"] = "3",
            ["minutesEach"] = "30",
            ["expiresOn"] = "2027-12-31",
            ["memo"] = "대리점 A",
        }));

        await response.ShouldBe(HttpStatusCode.OK);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("쿠폰번호,분,유효기간", lines[0]);
        Assert.Equal(3, lines.Length - 1);
        Assert.All(lines[1..], l => Assert.Equal(CodeReading.Valid, CouponCode.Read(l.Split(',')[0], out _)));

        // The codes work for a business.
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        await (await owner.ChargeAsync(business.Id, lines[1].Split(',')[0])).ShouldBe(HttpStatusCode.OK);
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
