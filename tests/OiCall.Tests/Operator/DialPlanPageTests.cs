using System.Net;
using System.Text.RegularExpressions;
using OiCall.Tests.Support;

namespace OiCall.Tests.Operator;

/// <summary>The operator sees the dial plan as the calls follow it: each kind of number, its policy and the refusal a member's app gets.</summary>
public sealed class DialPlanPageTests
{
    [Fact]
    public async Task The_operator_console_shows_each_category_with_its_policy_and_refusal_in_Korean_first()
    {
        await using var app = await TestApp.StartAsync();
        var console = app.Client();
        await WebLogin.LogInAsync(app, console, "operator", "010-9999-0000");
        Assert.Contains("/operator/dial-plan", await console.GetStringAsync("/operator"));

        // Tags next to each other, as the table reads.
        var page = Regex.Replace(WebUtility.HtmlDecode(await console.GetStringAsync("/operator/dial-plan")), @">\s+<", "><");
        Assert.Contains("<h1>발신 번호 정책 (다이얼 플랜)</h1>", page);
        Assert.Contains("<tr data-category=\"PremiumRate\"><td>060</td><td>유료 정보번호", page);
        Assert.Contains("<td data-policy=\"WhenPremiumAllowed\">업체별 허용 (유료 정보번호)</td><td>403 Premium-rate numbers barred</td>", page);
        Assert.Contains("<td data-policy=\"WhenInternationalAllowed\">업체별 허용 (국제전화)</td><td>403 International calls barred</td>", page);
        Assert.Contains("001, 002, 005, 006, 008, 009, 0073, 00345, 00365, 00391, 00700", page);
        Assert.Contains("<tr data-category=\"Emergency\"><td>112, 119, 122</td>", page);
        Assert.Contains("<tr data-category=\"TollFree\"><td>080</td><td>수신자 부담 (무료)</td><td data-policy=\"Allowed\">허용</td><td>—</td>", page);
        Assert.Equal(12, page.Split("<tr data-category=").Length - 1);

        var stranger = await app.Client().GetAsync("/operator/dial-plan");
        Assert.NotEqual(HttpStatusCode.OK, stranger.StatusCode);
    }
}
