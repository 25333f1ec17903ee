using System.Net;
using OiCall.Tests.Support;
using OiCall.Web.Data;

namespace OiCall.Tests.Retention;

/// <summary>What people are told and shown about sealed call records.</summary>
public sealed class RetentionPagesTests
{
    [Fact]
    public async Task The_operator_sees_how_many_records_each_month_has_and_nothing_of_them()
    {
        var s = await RetentionTests.SetUpAsync(DatabaseProvider.Sqlite);
        await using var _ = s.App;
        await RetentionTests.CallAsync(s, "one");
        await RetentionTests.CallAsync(s, "two");

        var console = s.App.Client();
        await WebLogin.LogInAsync(s.App, console, "operator", "010-9999-0000");
        Assert.Contains("/operator/retention", await console.GetStringAsync("/operator"));
        var page = WebUtility.HtmlDecode(await console.GetStringAsync("/operator/retention"));
        Assert.Contains("<td>2026-11</td><td>4</td><td>2027-11-26 – 2027-11-26</td>", page);
        Assert.Contains("다음 삭제 작업", page);
        Assert.DoesNotContain("7778888", page);
        Assert.DoesNotContain("+8225551234", page);

        // Not for anyone else.
        var stranger = await s.App.Client().GetAsync("/operator/retention");
        Assert.NotEqual(HttpStatusCode.OK, stranger.StatusCode);
    }

    [Fact]
    public async Task The_privacy_page_says_what_is_kept_why_and_how_long_and_every_page_links_it()
    {
        await using var app = await TestApp.StartAsync(settings: new() { ["Retention:Months"] = "18" });
        var page = WebUtility.HtmlDecode(await app.Client().GetStringAsync("/privacy"));
        Assert.Contains("회사와 직원 누구도 통화 상대 번호를 볼 수 없고, 휴대폰에 통화 기록이 남지 않습니다.", page);
        Assert.Contains("통신비밀보호법 제15조의2", page);
        Assert.Contains("18개월", page);
        Assert.Contains("href=\"/privacy\"", await app.Client().GetStringAsync("/login"));
    }
}
