using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using OiCall.Tests.Support;
using OiCall.Web.Data;

namespace OiCall.Tests.Ledger;

public sealed class ChargeAndDistributionTests
{
    private static async Task<(TestApp App, Person Owner, BusinessDto Business, MemberDto Member)> SetUpAsync(DatabaseProvider provider = DatabaseProvider.Sqlite)
    {
        var app = await TestApp.StartAsync(provider);
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        var member = await owner.AddMemberAsync(business.Id, "직원", "010-5656-7878");
        return (app, owner, business, member);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_coupon_charges_the_callable_time_once(DatabaseProvider provider)
    {
        var (app, owner, business, _) = await SetUpAsync(provider);
        await using var _a = app;
        var code = (await app.IssueCouponsAsync(1, 100)).Single();

        var charged = await owner.ChargeAsync(business.Id, code.ToLowerInvariant().Replace("-", " "));
        await charged.ShouldBe(HttpStatusCode.OK);
        var result = (await charged.Content.ReadFromJsonAsync<ChargeDto>(BusinessApi.Json))!;
        Assert.Equal((6000, 6000), (result.Seconds, result.CallableSeconds));
        Assert.StartsWith("통화시간 충전완료", result.Message);

        // A retry by the same business returns the first answer; the pool is unchanged.
        var retry = await owner.ChargeAsync(business.Id, code);
        await retry.ShouldBe(HttpStatusCode.OK);
        Assert.Equal(6000, (await owner.BalanceAsync(business.Id)).CallableSeconds);

        // Another business gets "used".
        var other = await app.PersonAsync("남");
        var otherBusiness = await other.CreateBusinessAsync("남의가게", "02-444-5555");
        await (await other.ChargeAsync(otherBusiness.Id, code)).ShouldBeProblem(HttpStatusCode.Conflict, "coupon_used");
    }

    [Fact]
    public async Task Expired_void_unknown_and_mistyped_codes_get_distinct_messages()
    {
        var (app, owner, business, _) = await SetUpAsync();
        await using var _a = app;
        var expiring = (await app.IssueCouponsAsync(1, 10, app.Clock.GetUtcNow().UtcDateTime.AddDays(1))).Single();
        var good = (await app.IssueCouponsAsync(1, 10)).Single();
        app.Clock.Advance(TimeSpan.FromDays(2));

        await (await owner.ChargeAsync(business.Id, expiring)).ShouldBeProblem(HttpStatusCode.Gone, "coupon_expired");
        var typo = good[..3] + (good[3] == 'A' ? 'B' : 'A') + good[4..];
        await (await owner.ChargeAsync(business.Id, typo)).ShouldBeProblem(HttpStatusCode.BadRequest, "coupon_mistyped");
        await (await owner.ChargeAsync(business.Id, "1234")).ShouldBeProblem(HttpStatusCode.BadRequest, "coupon_malformed");
        await (await owner.ChargeAsync(business.Id, Web.Features.Coupons.CouponCode.NewCode())).ShouldBeProblem(HttpStatusCode.NotFound, "coupon_unknown");

        await using (var db = app.Db())
        {
            var coupon = await db.Coupons.SingleAsync(c => c.ExpiresAt > app.Clock.GetUtcNow().UtcDateTime);
            await db.Coupons.Where(c => c.Id == coupon.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.State, Web.Features.Coupons.CouponState.Void));
        }
        await (await owner.ChargeAsync(business.Id, good)).ShouldBeProblem(HttpStatusCode.Gone, "coupon_void");
        Assert.Equal(0, (await owner.BalanceAsync(business.Id)).CallableSeconds);
    }

    [Fact]
    public async Task Ten_failed_redemptions_in_an_hour_answer_429()
    {
        var (app, owner, business, _) = await SetUpAsync();
        await using var _a = app;
        var good = (await app.IssueCouponsAsync(1, 10)).Single();
        for (var i = 0; i < 10; i++)
            await (await owner.ChargeAsync(business.Id, Web.Features.Coupons.CouponCode.NewCode())).ShouldBeProblem(HttpStatusCode.NotFound, "coupon_unknown");

        var blocked = await owner.ChargeAsync(business.Id, good);
        await blocked.ShouldBeProblem(HttpStatusCode.TooManyRequests, "too_many_coupon_failures");
        Assert.NotNull(blocked.Headers.RetryAfter);

        app.Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        await (await owner.ChargeAsync(business.Id, good)).ShouldBe(HttpStatusCode.OK);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Distributing_and_reclaiming_move_minutes_between_pool_and_member(DatabaseProvider provider)
    {
        var (app, owner, business, member) = await SetUpAsync(provider);
        await using var _a = app;
        await owner.ChargeAsync(business.Id, (await app.IssueCouponsAsync(1, 60)).Single());

        var given = await owner.AllocateAsync(business.Id, member.Id, 30 * 60);
        await given.ShouldBe(HttpStatusCode.OK);
        var allocation = (await given.Content.ReadFromJsonAsync<AllocationDto>(BusinessApi.Json))!;
        Assert.Equal(("30분 분배되었습니다.", 1800L, 1800L), (allocation.Message, allocation.CallableSeconds, allocation.MemberSeconds));

        var taken = (await (await owner.AllocateAsync(business.Id, member.Id, -10 * 60)).Content.ReadFromJsonAsync<AllocationDto>(BusinessApi.Json))!;
        Assert.Equal(("10분 회수되었습니다.", 2400L, 1200L), (taken.Message, taken.CallableSeconds, taken.MemberSeconds));

        await (await owner.AllocateAsync(business.Id, member.Id, 41 * 60)).ShouldBeProblem(HttpStatusCode.Conflict, "insufficient_callable_time");
        await (await owner.AllocateAsync(business.Id, member.Id, -21 * 60)).ShouldBeProblem(HttpStatusCode.Conflict, "insufficient_member_time");
        await (await owner.AllocateAsync(business.Id, member.Id, 0)).ShouldBeProblem(HttpStatusCode.BadRequest, "invalid_amount");
        Assert.Equal((2400L, 1200L), ((await owner.BalanceAsync(business.Id)).CallableSeconds, (await owner.BalanceAsync(business.Id)).DistributedSeconds));
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_repeated_idempotency_key_changes_nothing(DatabaseProvider provider)
    {
        var (app, owner, business, member) = await SetUpAsync(provider);
        await using var _a = app;
        await owner.ChargeAsync(business.Id, (await app.IssueCouponsAsync(1, 60)).Single());

        var answers = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => owner.AllocateAsync(business.Id, member.Id, 600, "req-42")));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(3000, (await owner.BalanceAsync(business.Id)).CallableSeconds);
        await using var db = app.Db();
        Assert.Equal(1, await db.LedgerEntries.CountAsync(e => e.Kind == Web.Features.Ledger.TransferKind.Distribution));
    }

    [Fact]
    public async Task Bulk_distribution_gives_everyone_the_same_or_nobody_anything()
    {
        var (app, owner, business, member) = await SetUpAsync();
        await using var _a = app;
        var second = await owner.AddMemberAsync(business.Id, "둘째", "010-5656-0002");
        var third = await owner.AddMemberAsync(business.Id, "셋째", "010-5656-0003");
        await owner.ChargeAsync(business.Id, (await app.IssueCouponsAsync(1, 50)).Single());
        var ids = new[] { member.Id, second.Id, third.Id };

        await (await owner.Api.PostAsJsonAsync($"/api/v1/businesses/{business.Id}/allocations", new { memberIds = ids, seconds = 20 * 60 }))
            .ShouldBeProblem(HttpStatusCode.Conflict, "insufficient_callable_time");
        Assert.Equal(3000, (await owner.BalanceAsync(business.Id)).CallableSeconds);

        await (await owner.Api.PostAsJsonAsync($"/api/v1/businesses/{business.Id}/allocations", new { memberIds = ids, seconds = 10 * 60 })).ShouldBe(HttpStatusCode.OK);
        Assert.Equal((1200L, 1800L), ((await owner.BalanceAsync(business.Id)).CallableSeconds, (await owner.BalanceAsync(business.Id)).DistributedSeconds));
    }

    [Fact]
    public async Task History_shows_charges_and_distributions_with_who_and_balance_after_paged_newest_first()
    {
        var (app, owner, business, member) = await SetUpAsync();
        await using var _a = app;
        foreach (var code in await app.IssueCouponsAsync(3, 10)) await owner.ChargeAsync(business.Id, code);
        for (var i = 1; i <= 5; i++)
        {
            app.Clock.Advance(TimeSpan.FromMinutes(1));
            await owner.AllocateAsync(business.Id, member.Id, i % 2 == 0 ? -60 : 120);
        }
        var url = $"/api/v1/businesses/{business.Id}/history";

        var charges = (await owner.Api.GetFromJsonAsync<HistoryPageDto>($"{url}?tab=Charges", BusinessApi.Json))!;
        Assert.Equal([1800L, 1200, 600], charges.Lines.Select(l => l.CallableSecondsAfter));
        Assert.All(charges.Lines, l => Assert.Equal("사장", l.ActorName));

        var first = (await owner.Api.GetFromJsonAsync<HistoryPageDto>($"{url}?tab=Distributions&limit=2", BusinessApi.Json))!;
        Assert.Equal([120L, -60], first.Lines.Select(l => l.Seconds));
        Assert.Equal("직원", first.Lines[0].MemberName);
        Assert.Equal(240L, first.Lines[0].MemberSecondsAfter);
        var second = (await owner.Api.GetFromJsonAsync<HistoryPageDto>($"{url}?tab=Distributions&limit=2&before={first.NextBefore}", BusinessApi.Json))!;
        var third = (await owner.Api.GetFromJsonAsync<HistoryPageDto>($"{url}?tab=Distributions&limit=2&before={second.NextBefore}", BusinessApi.Json))!;
        Assert.Equal([120L, -60], second.Lines.Select(l => l.Seconds));
        Assert.Equal([120L], third.Lines.Select(l => l.Seconds));
        Assert.Null(third.NextBefore);

        var otherMember = (await owner.Api.GetFromJsonAsync<HistoryPageDto>($"{url}?tab=Distributions&memberId={Guid.NewGuid()}", BusinessApi.Json))!;
        Assert.Empty(otherMember.Lines);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task History_periods_are_Korean_calendar_days(DatabaseProvider provider)
    {
        var (app, owner, business, member) = await SetUpAsync(provider);
        await using var _a = app;
        await owner.ChargeAsync(business.Id, (await app.IssueCouponsAsync(1, 60)).Single());
        // 2026-11-25 10:00, 11-27 10:00 and 11-29 23:30 in Seoul (14:30 UTC).
        await owner.AllocateAsync(business.Id, member.Id, 60);
        app.Clock.Advance(TimeSpan.FromDays(2));
        await owner.AllocateAsync(business.Id, member.Id, 120);
        app.Clock.Advance(TimeSpan.FromDays(2) + TimeSpan.FromHours(13.5));
        await owner.AllocateAsync(business.Id, member.Id, 180);
        var url = $"/api/v1/businesses/{business.Id}/history?tab=Distributions";

        async Task<long[]> SecondsAsync(string query) =>
            (await owner.Api.GetFromJsonAsync<HistoryPageDto>(url + query, BusinessApi.Json))!.Lines.Select(l => l.Seconds).ToArray();
        Assert.Equal(new long[] { 120 }, await SecondsAsync("&from=2026-11-26&to=2026-11-28"));
        Assert.Equal(new long[] { 60 }, await SecondsAsync("&to=2026-11-25"));
        Assert.Equal(new long[] { 180 }, await SecondsAsync("&from=2026-11-29&to=2026-11-29"));
        Assert.Equal(new long[] { 180, 120 }, await SecondsAsync("&from=2026-11-26"));
        Assert.Empty(await SecondsAsync("&to=2026-11-24"));
    }

    [Fact]
    public async Task The_database_refuses_edits_of_ledger_entries_and_negative_wallets()
    {
        var (app, owner, business, member) = await SetUpAsync();
        await using var _a = app;
        await owner.ChargeAsync(business.Id, (await app.IssueCouponsAsync(1, 10)).Single());
        await using var db = app.Db();

        await Assert.ThrowsAnyAsync<Exception>(() => db.LedgerEntries.ExecuteUpdateAsync(s => s.SetProperty(e => e.Seconds, 999_999)));
        await Assert.ThrowsAnyAsync<Exception>(() => db.LedgerEntries.ExecuteDeleteAsync());
        await Assert.ThrowsAnyAsync<Exception>(() => db.LedgerAccounts.Where(a => a.Kind == Web.Features.Ledger.LedgerAccountKind.BusinessPool)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Balance, -1)));
        Assert.Equal(600, (await owner.BalanceAsync(business.Id)).CallableSeconds);
    }

    [Fact]
    public async Task Only_admins_move_time()
    {
        var (app, owner, business, member) = await SetUpAsync();
        await using var _a = app;
        var employee = await app.PersonAsync("직원2");
        var employeeMember = await owner.AddMemberAsync(business.Id, "직원2", employee.Phone);
        var code = (await app.IssueCouponsAsync(1, 10)).Single();

        await (await employee.ChargeAsync(business.Id, code)).ShouldBeProblem(HttpStatusCode.Forbidden, "admin_only");
        await (await employee.AllocateAsync(business.Id, employeeMember.Id, 60)).ShouldBeProblem(HttpStatusCode.Forbidden, "admin_only");
        var own = await employee.Api.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/v1/businesses/{business.Id}/members/{employeeMember.Id}/balance");
        Assert.Equal(0, own.GetProperty("seconds").GetInt64());
    }
}
