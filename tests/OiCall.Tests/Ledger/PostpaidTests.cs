using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OiCall.Tests.Support;
using OiCall.Web.Data;
using OiCall.Web.Features.Ledger;

namespace OiCall.Tests.Ledger;

public sealed record StatementLineDto(Guid MemberId, string MemberName, string Phone, int Calls, long Seconds, long BilledMinutes);
public sealed record StatementDto(Guid BusinessId, string BusinessName, string Plan, string Month, bool Closed, List<StatementLineDto> Members,
    int TotalCalls, long TotalSeconds, long TotalBilledMinutes, long MonthlyCreditSeconds, long CreditRestoredSeconds);

/// <summary>후불제: the operator opens a monthly credit line, admins distribute on it, usage becomes a monthly statement.</summary>
public sealed class PostpaidTests
{
    private static Task<HttpResponseMessage> SetPlanAsync(HttpClient operatorApi, Guid businessId, string plan, long? minutes) =>
        operatorApi.PutAsJsonAsync($"/api/v1/operator/businesses/{businessId}/plan", new { plan, monthlyCreditMinutes = minutes });

    private static async Task<(TestApp App, HttpClient Operator, Person Owner, BusinessDto Business, MemberDto Member)> SetUpAsync(DatabaseProvider provider = DatabaseProvider.Sqlite)
    {
        var app = await TestApp.StartAsync(provider);
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("후불상사");
        var member = await owner.AddMemberAsync(business.Id, "영업", "010-3131-4242");
        return (app, await app.OperatorAsync(), owner, business, member);
    }

    /// <summary>A call as the SIP edge will make it: hold at authorization, settle at its end.</summary>
    private static async Task CallAsync(TestApp app, Guid businessId, Guid memberId, long spokenSeconds)
    {
        var callId = Guid.NewGuid().ToString("N");
        Assert.NotNull(await app.HoldCallAsync(businessId, memberId, callId, 3600));
        Assert.NotNull(await app.EndCallAsync(callId, spokenSeconds));
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Admins_distribute_without_coupons_up_to_the_monthly_credit(DatabaseProvider provider)
    {
        var (app, operatorApi, owner, business, member) = await SetUpAsync(provider);
        await using var _ = app;
        await (await owner.AllocateAsync(business.Id, member.Id, 600)).ShouldBeProblem(HttpStatusCode.Conflict, "insufficient_callable_time");

        await (await SetPlanAsync(operatorApi, business.Id, "Postpaid", 100)).ShouldBe(HttpStatusCode.OK);
        var balance = await owner.BalanceAsync(business.Id);
        Assert.Equal(("Postpaid", 6000L, 6000L, 0L), (balance.Plan, balance.CallableSeconds, balance.CreditLimitSeconds, balance.CreditUsedSeconds));

        await (await owner.AllocateAsync(business.Id, member.Id, 60 * 60)).ShouldBe(HttpStatusCode.OK);
        await (await owner.AllocateAsync(business.Id, member.Id, 50 * 60)).ShouldBeProblem(HttpStatusCode.Conflict, "credit_limit_exceeded");
        await (await owner.AllocateAsync(business.Id, member.Id, 40 * 60)).ShouldBe(HttpStatusCode.OK);
        balance = await owner.BalanceAsync(business.Id);
        Assert.Equal((0L, 6000L, 6000L), (balance.CallableSeconds, balance.CreditUsedSeconds, balance.DistributedSeconds));
        Assert.True(balance.Low);

        // Lowering the line below what is out is refused; reclaiming makes room again.
        await (await SetPlanAsync(operatorApi, business.Id, "Postpaid", 50)).ShouldBeProblem(HttpStatusCode.Conflict, "credit_limit_below_drawn");
        await (await owner.AllocateAsync(business.Id, member.Id, -70 * 60)).ShouldBe(HttpStatusCode.OK);
        await (await SetPlanAsync(operatorApi, business.Id, "Postpaid", 50)).ShouldBe(HttpStatusCode.OK);
        balance = await owner.BalanceAsync(business.Id);
        Assert.Equal((3000L, 1800L, 1200L), (balance.CreditLimitSeconds, balance.CreditUsedSeconds, balance.CallableSeconds));
    }

    [Fact]
    public async Task Prepaid_time_already_bought_is_spent_first_and_credit_is_repaid_first()
    {
        var (app, operatorApi, owner, business, member) = await SetUpAsync();
        await using var _ = app;
        await owner.ChargeAsync(business.Id, (await app.IssueCouponsAsync(1, 10)).Single());
        await (await SetPlanAsync(operatorApi, business.Id, "Postpaid", 30)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(2400, (await owner.BalanceAsync(business.Id)).CallableSeconds);

        await (await owner.AllocateAsync(business.Id, member.Id, 20 * 60)).ShouldBe(HttpStatusCode.OK);
        var balance = await owner.BalanceAsync(business.Id);
        Assert.Equal((0L, 600L, 1200L), (balance.PrepaidSeconds, balance.CreditUsedSeconds, balance.CallableSeconds));

        await (await owner.AllocateAsync(business.Id, member.Id, -15 * 60)).ShouldBe(HttpStatusCode.OK);
        balance = await owner.BalanceAsync(business.Id);
        Assert.Equal((300L, 0L, 2100L), (balance.PrepaidSeconds, balance.CreditUsedSeconds, balance.CallableSeconds));

        // Back to prepaid: the credit line is closed to new distributions, the bought time stays.
        await (await SetPlanAsync(operatorApi, business.Id, "Prepaid", null)).ShouldBe(HttpStatusCode.OK);
        balance = await owner.BalanceAsync(business.Id);
        Assert.Equal(("Prepaid", 300L), (balance.Plan, balance.CallableSeconds));
        await (await owner.AllocateAsync(business.Id, member.Id, 10 * 60)).ShouldBeProblem(HttpStatusCode.Conflict, "insufficient_callable_time");
    }

    [Fact]
    public async Task Plan_changes_are_checked_and_left_to_operators()
    {
        var (app, operatorApi, owner, business, _) = await SetUpAsync();
        await using var _a = app;
        await (await SetPlanAsync(operatorApi, business.Id, "Postpaid", null)).ShouldBeProblem(HttpStatusCode.BadRequest, "invalid_credit_limit");
        await (await SetPlanAsync(operatorApi, business.Id, "Postpaid", -5)).ShouldBeProblem(HttpStatusCode.BadRequest, "invalid_credit_limit");
        await (await operatorApi.PutAsJsonAsync($"/api/v1/operator/businesses/{business.Id}/plan", new { plan = "Free" })).ShouldBe(HttpStatusCode.BadRequest);
        await (await SetPlanAsync(operatorApi, Guid.NewGuid(), "Postpaid", 10)).ShouldBeProblem(HttpStatusCode.NotFound, "business_not_found");
        await (await SetPlanAsync(owner.Api, business.Id, "Postpaid", 100000)).ShouldBe(HttpStatusCode.Forbidden);
        Assert.Equal("Prepaid", (await owner.BalanceAsync(business.Id)).Plan);

        await (await SetPlanAsync(operatorApi, business.Id, "Postpaid", 10)).ShouldBe(HttpStatusCode.OK);
        await using var db = app.Db();
        Assert.Equal(1, await db.AuditEntries.CountAsync(e => e.Action == "business.plan_changed" && e.BusinessId == business.Id));
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Usage_becomes_a_monthly_statement_per_member_and_in_total(DatabaseProvider provider)
    {
        var (app, operatorApi, owner, business, member) = await SetUpAsync(provider);
        await using var _ = app;
        var second = await owner.AddMemberAsync(business.Id, "상담", "010-3131-5353");
        await (await SetPlanAsync(operatorApi, business.Id, "Postpaid", 300)).ShouldBe(HttpStatusCode.OK);
        await (await owner.AllocateAsync(business.Id, member.Id, 100 * 60)).ShouldBe(HttpStatusCode.OK);
        await (await owner.AllocateAsync(business.Id, second.Id, 100 * 60)).ShouldBe(HttpStatusCode.OK);

        // 2026-11-25 10:00 in Seoul: two calls and one; then a call in December (Seoul time) that is not November's.
        await CallAsync(app, business.Id, member.Id, 90);
        await CallAsync(app, business.Id, member.Id, 30);
        await CallAsync(app, business.Id, second.Id, 61);
        app.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 30, 15, 30, 0, TimeSpan.Zero)); // 2026-12-01 00:30 KST
        await CallAsync(app, business.Id, second.Id, 45);

        var statement = (await owner.Api.GetFromJsonAsync<StatementDto>($"/api/v1/businesses/{business.Id}/statements/2026-11", BusinessApi.Json))!;
        Assert.Equal(("2026-11", "Postpaid", true), (statement.Month, statement.Plan, statement.Closed));
        Assert.Equal([("영업", 2, 120L, 2L), ("상담", 1, 61L, 2L)], statement.Members.Select(m => (m.MemberName, m.Calls, m.Seconds, m.BilledMinutes)));
        Assert.Equal((3, 181L, 4L), (statement.TotalCalls, statement.TotalSeconds, statement.TotalBilledMinutes));

        var december = (await operatorApi.GetFromJsonAsync<StatementDto>($"/api/v1/operator/businesses/{business.Id}/statements/2026-12", BusinessApi.Json))!;
        Assert.Equal((false, 45L), (december.Closed, december.TotalSeconds));

        var csv = await owner.Api.GetAsync($"/api/v1/businesses/{business.Id}/statements/2026-11.csv");
        await csv.ShouldBe(HttpStatusCode.OK);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var text = Encoding.UTF8.GetString(await csv.Content.ReadAsByteArrayAsync());
        Assert.Contains("\"영업\",010-3131-4242,2,120,2", text);
        Assert.Contains("합계,,3,181,4", text);
        Assert.Equal(await (await operatorApi.GetAsync($"/api/v1/operator/businesses/{business.Id}/statements/2026-11.csv")).Content.ReadAsStringAsync(),
            await csv.Content.ReadAsStringAsync());

        var all = (await operatorApi.GetFromJsonAsync<List<StatementTotalDto>>("/api/v1/operator/statements/2026-11", BusinessApi.Json))!;
        Assert.Contains(all, t => t.BusinessId == business.Id && t.Seconds == 181 && t.Calls == 3);

        await (await owner.Api.GetAsync($"/api/v1/businesses/{business.Id}/statements/11-2026")).ShouldBeProblem(HttpStatusCode.BadRequest, "invalid_month");
        await (await owner.Api.GetAsync("/api/v1/operator/statements/2026-11")).ShouldBe(HttpStatusCode.Forbidden);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_closed_month_is_billed_once_and_gives_the_credit_line_room_again(DatabaseProvider provider)
    {
        var (app, operatorApi, owner, business, member) = await SetUpAsync(provider);
        await using var _ = app;
        await (await SetPlanAsync(operatorApi, business.Id, "Postpaid", 60)).ShouldBe(HttpStatusCode.OK);
        await (await owner.AllocateAsync(business.Id, member.Id, 60 * 60)).ShouldBe(HttpStatusCode.OK);
        await CallAsync(app, business.Id, member.Id, 25 * 60);
        await RunHousekeepingAsync(app);
        Assert.Equal(3600, (await owner.BalanceAsync(business.Id)).CreditUsedSeconds); // November is still open

        app.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        await RunHousekeepingAsync(app);
        await RunHousekeepingAsync(app);
        var balance = await owner.BalanceAsync(business.Id);
        Assert.Equal((35L * 60, 25L * 60), (balance.CreditUsedSeconds, balance.CallableSeconds));
        var statement = (await owner.Api.GetFromJsonAsync<StatementDto>($"/api/v1/businesses/{business.Id}/statements/2026-11", BusinessApi.Json))!;
        Assert.Equal(25 * 60, statement.CreditRestoredSeconds);
        await using var db = app.Db();
        Assert.Equal(1, await db.LedgerEntries.CountAsync(e => e.Kind == TransferKind.PostpaidUsage));
        Assert.Equal(0, await db.LedgerAccounts.SumAsync(a => a.Balance));
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task The_database_refuses_a_credit_line_beyond_its_limit(DatabaseProvider provider)
    {
        var (app, operatorApi, owner, business, member) = await SetUpAsync(provider);
        await using var _ = app;
        await (await SetPlanAsync(operatorApi, business.Id, "Postpaid", 10)).ShouldBe(HttpStatusCode.OK);
        await (await owner.AllocateAsync(business.Id, member.Id, 600)).ShouldBe(HttpStatusCode.OK);
        await using var db = app.Db();
        var key = LedgerService.CreditKey(business.Id);
        await Assert.ThrowsAnyAsync<Exception>(() => db.LedgerAccounts.Where(a => a.Key == key).ExecuteUpdateAsync(s => s.SetProperty(a => a.Balance, a => a.Balance - 1)));
        Assert.Equal(-600, await db.LedgerAccounts.Where(a => a.Key == key).Select(a => a.Balance).SingleAsync());
    }

    private static Task RunHousekeepingAsync(TestApp app) =>
        LedgerHousekeeping.RunOnceAsync(app.Services.GetRequiredService<IServiceScopeFactory>(), CancellationToken.None);
}

public sealed record StatementTotalDto(Guid BusinessId, string BusinessName, string Plan, int Calls, long Seconds);
