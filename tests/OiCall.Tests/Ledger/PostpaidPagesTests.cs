using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using OiCall.Tests.Support;
using OiCall.Web.Features.Ledger;

namespace OiCall.Tests.Ledger;

/// <summary>The web pages of 후불제: the operator sets the plan in the console, the admin reads and downloads the statement.</summary>
public sealed class PostpaidPagesTests
{
    [Fact]
    public async Task The_operator_sets_a_plan_in_the_console_and_both_sides_see_the_statement()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("콘솔상사");
        var member = await owner.AddMemberAsync(business.Id, "영업", "010-3131-4242");

        var console = app.Client();
        await WebLogin.LogInAsync(app, console, "operator", "010-9999-0000");
        var list = await console.GetStringAsync("/operator/businesses?q=콘솔");
        Assert.Contains("콘솔상사", list);
        Assert.DoesNotContain("콘솔상사", await console.GetStringAsync("/operator/businesses?q=없는업체"));

        var page = await console.GetStringAsync($"/operator/businesses/{business.Id}");
        var refused = await WebLogin.PostFormAsync(console, $"/operator/businesses/{business.Id}", page, "plan",
            new() { ["Form.Plan"] = "Postpaid", ["Form.MonthlyCreditMinutes"] = "" });
        Assert.Contains("월 한도를 1분 이상", await refused.Content.ReadAsStringAsync());
        var saved = await WebLogin.PostFormAsync(console, $"/operator/businesses/{business.Id}", page, "plan",
            new() { ["Form.Plan"] = "Postpaid", ["Form.MonthlyCreditMinutes"] = "120" });
        await saved.ShouldBe(HttpStatusCode.OK);
        Assert.Contains("요금제를 저장했습니다", await saved.Content.ReadAsStringAsync());

        // The admin distributes on credit; a call ends; the statement shows it on both sides.
        await (await owner.AllocateAsync(business.Id, member.Id, 30 * 60)).ShouldBe(HttpStatusCode.OK);
        await app.HoldCallAsync(business.Id, member.Id, "call-1", 600);
        await app.EndCallAsync("call-1", 125);
        var browser = app.Client();
        await WebLogin.LogInAsync(app, browser, owner.LoginId, owner.Phone);
        var home = await browser.GetStringAsync("/");
        Assert.Contains("후불제", home);
        Assert.Contains("data-callable-seconds=\"5400\"", home);
        var statement = await browser.GetStringAsync("/statements");
        Assert.Contains("2026년 11월", statement);
        Assert.Contains("data-member=\"영업\"", statement);
        Assert.Contains("2분 5초", statement);
        var csv = await browser.GetAsync("/statements/2026-11.csv");
        await csv.ShouldBe(HttpStatusCode.OK);
        Assert.Contains("\"영업\",010-3131-4242,1,125,3", await csv.Content.ReadAsStringAsync());
        Assert.Contains("2분 5초", await console.GetStringAsync($"/operator/businesses/{business.Id}?month=2026-11"));
        Assert.Contains("콘솔상사", await console.GetStringAsync("/operator/statements?month=2026-11"));

        // An admin cannot read the operator's pages, nor another business's statement through ?business=.
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync($"/operator/businesses/{business.Id}")).StatusCode);
        var outsider = await app.PersonAsync("남");
        await outsider.CreateBusinessAsync("남의가게", "02-444-5555");
        var outsiderBrowser = app.Client();
        await WebLogin.LogInAsync(app, outsiderBrowser, outsider.LoginId, outsider.Phone);
        var stolen = await outsiderBrowser.GetStringAsync($"/statements/2026-11.csv?business={business.Id}");
        Assert.DoesNotContain("영업", stolen);
    }
}
