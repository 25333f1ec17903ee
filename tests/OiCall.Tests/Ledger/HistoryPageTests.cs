using OiCall.Tests.Support;

namespace OiCall.Tests.Ledger;

/// <summary>상세 내역 as a page: what its filters say about themselves.</summary>
public sealed class HistoryPageTests
{
    [Fact]
    public async Task A_reversed_date_range_explains_itself_and_the_date_fields_have_labels()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        await owner.CreateBusinessAsync("오이상사");
        var browser = app.Client();
        await WebLogin.LogInAsync(app, browser, owner.LoginId, owner.Phone);

        var reversed = await browser.GetStringAsync("/history?tab=Distributions&member=&from=2026-11-20&to=2026-11-01");

        Assert.Contains("시작일이 종료일보다 늦습니다", reversed);
        Assert.DoesNotContain("내역이 없습니다", reversed);
        Assert.Matches("<label[^>]*>\\s*<span>시작일</span>\\s*<input type=\"date\" name=\"from\"", reversed);
        Assert.Matches("<label[^>]*>\\s*<span>종료일</span>\\s*<input type=\"date\" name=\"to\"", reversed);

        var forward = await browser.GetStringAsync("/history?tab=Distributions&member=&from=2026-11-01&to=2026-11-20");
        Assert.DoesNotContain("시작일이 종료일보다 늦습니다", forward);
    }
}
