using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OiCall.Tests.Support;

namespace OiCall.Tests.Ledger;

public sealed class CouponReplayTests
{
    [Fact]
    public async Task A_coupon_this_business_used_before_answers_the_first_charge_with_outcome_already_charged_here_and_says_when()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("오이상사");
        var code = (await app.IssueCouponsAsync(1, 100)).Single();

        var first = await (await owner.ChargeAsync(business.Id, code)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("charged", first.GetProperty("outcome").GetString());
        app.Clock.Advance(TimeSpan.FromHours(3));

        var again = await owner.ChargeAsync(business.Id, code);

        await again.ShouldBe(HttpStatusCode.OK);
        var replay = await again.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("already_charged_here", replay.GetProperty("outcome").GetString());
        Assert.Equal(first.GetProperty("chargedAt").GetDateTime(), replay.GetProperty("chargedAt").GetDateTime());
        // 01:00 UTC is 10:00 in Seoul.
        Assert.Equal("이 업체에서 이미 사용한 쿠폰입니다 (2026-11-25 10:00에 100분 충전). 이번에는 통화시간이 추가되지 않았습니다.", replay.GetProperty("message").GetString());
        Assert.DoesNotContain("충전완료", replay.GetProperty("message").GetString());
        Assert.Equal(6000, (await owner.BalanceAsync(business.Id)).CallableSeconds);
    }
}
