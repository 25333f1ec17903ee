using System.Net;
using System.Net.Http.Json;
using OiCall.Tests.Support;

namespace OiCall.Tests.Ledger;

/// <summary>Each business chooses when the app warns that time is running out.</summary>
public sealed class LowBalanceWarningTests
{
    [Fact]
    public async Task Admins_set_the_thresholds_and_the_home_screen_follows_them()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        var member = await owner.AddMemberAsync(business.Id, "직원", "010-5656-7878");
        await owner.ChargeAsync(business.Id, (await app.IssueCouponsAsync(1, 90)).Single());
        await (await owner.AllocateAsync(business.Id, member.Id, 20 * 60)).ShouldBe(HttpStatusCode.OK);

        // Default: warn under 60 minutes of callable time; 70 are left.
        var balance = await owner.BalanceAsync(business.Id);
        Assert.Equal((3600L, false), (balance.LowBalanceWarningSeconds, balance.Low));
        var browser = app.Client();
        await WebLogin.LogInAsync(app, browser, owner.LoginId, owner.Phone);
        Assert.DoesNotContain("data-low-balance", await browser.GetStringAsync("/"));

        var set = await owner.Api.PutAsJsonAsync($"/api/v1/businesses/{business.Id}/low-balance-warnings", new { callableMinutes = 120, memberMinutes = 30 });
        await set.ShouldBe(HttpStatusCode.OK);
        balance = await owner.BalanceAsync(business.Id);
        Assert.Equal((7200L, true), (balance.LowBalanceWarningSeconds, balance.Low));
        var home = await browser.GetStringAsync("/");
        Assert.Contains("통화가능 시간이 얼마 남지 않았습니다", home);
        // The member has 20 minutes, under the member threshold of 30: their line is marked.
        Assert.Contains("member-time low\">20분", home);

        await (await owner.Api.PutAsJsonAsync($"/api/v1/businesses/{business.Id}/low-balance-warnings", new { callableMinutes = -1 }))
            .ShouldBeProblem(HttpStatusCode.BadRequest, "invalid_warning_threshold");
        Assert.Equal(7200, (await owner.BalanceAsync(business.Id)).LowBalanceWarningSeconds);

        // The same settings in the app (설정 → 잔여시간 알림).
        var page = await browser.GetStringAsync("/settings/warnings");
        Assert.Contains("value=\"120\"", page);
        var saved = await WebLogin.PostFormAsync(browser, "/settings/warnings", page, "warnings", new() { ["Form.CallableMinutes"] = "30", ["Form.MemberMinutes"] = "5" });
        Assert.Contains("저장했습니다", await saved.Content.ReadAsStringAsync());
        Assert.Equal((1800L, false), ((await owner.BalanceAsync(business.Id)).LowBalanceWarningSeconds, (await owner.BalanceAsync(business.Id)).Low));
        Assert.Contains("member-time\">20분", await browser.GetStringAsync("/"));
    }

    [Fact]
    public async Task At_zero_minutes_the_home_says_there_is_none_rather_than_little()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        await owner.CreateBusinessAsync("가게");
        var browser = app.Client();
        await WebLogin.LogInAsync(app, browser, owner.LoginId, owner.Phone);

        var home = await browser.GetStringAsync("/");

        Assert.Contains("통화가능 시간이 없습니다. 충전하세요.", home);
        Assert.DoesNotContain("얼마 남지 않았습니다", home);
    }
}
