using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OiCall.Tests.Support;
using OiCall.Web.Data;
using OiCall.Web.Features.Ledger;

namespace OiCall.Tests.Members;

/// <summary>A member's first login and a member's deletion, as the API answers them.</summary>
public sealed class MemberLifecycleTests
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_member_added_by_an_admin_logs_in_with_their_number_and_the_first_code_makes_their_account(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("오이상사");
        var added = await owner.AddMemberAsync(business.Id, "이직원", "010-8181-9292");

        var token = await app.LogInAsync("010-8181-9292", "010-8181-9292");

        Assert.Equal(("이직원", "+821081819292"), (token.Account.Name, token.Account.Phone));
        var employee = app.Client().WithToken(token.AccessToken);
        var me = await employee.GetFromJsonAsync<MemberDto>($"/api/v1/businesses/{business.Id}/members/me", BusinessApi.Json);
        Assert.Equal(added.Id, me!.Id);
        // Logging in again finds the same account: one account per number.
        var again = await app.LogInAsync("010-8181-9292", "010-8181-9292");
        Assert.Equal(token.Account.Id, again.Account.Id);
    }

    [Fact]
    public async Task A_number_that_is_nobodys_member_still_gets_no_code_and_a_deleted_members_number_neither()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("오이상사");
        var gone = await owner.AddMemberAsync(business.Id, "퇴사자", "010-7171-8282");
        await (await owner.Api.DeleteAsync($"/api/v1/businesses/{business.Id}/members/{gone.Id}")).ShouldBe(HttpStatusCode.NoContent);
        var texts = app.Sms.Messages.Count;

        await (await app.Client().SendLoginCodeAsync("010-7171-8282")).ShouldBe(HttpStatusCode.Accepted);
        await (await app.Client().SendLoginCodeAsync("010-6161-7272")).ShouldBe(HttpStatusCode.Accepted);

        Assert.Equal(texts, app.Sms.Messages.Count);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Deleting_a_member_returns_their_free_time_to_the_pool_with_a_reclaim_entry_and_a_member_in_a_call_is_refused(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("오이상사");
        var leaving = await owner.AddMemberAsync(business.Id, "퇴사자", "010-7171-8282");
        var calling = await owner.AddMemberAsync(business.Id, "통화중", "010-7373-8484");
        await (await owner.ChargeAsync(business.Id, (await app.IssueCouponsAsync(1, 100))[0])).ShouldBe(HttpStatusCode.OK);
        await (await owner.AllocateAsync(business.Id, leaving.Id, 30 * 60 + 15)).ShouldBe(HttpStatusCode.OK);
        await (await owner.AllocateAsync(business.Id, calling.Id, 20 * 60)).ShouldBe(HttpStatusCode.OK);
        Assert.NotNull(await app.HoldCallAsync(business.Id, calling.Id, "call-1", 300));

        await (await owner.Api.DeleteAsync($"/api/v1/businesses/{business.Id}/members/{leaving.Id}")).ShouldBe(HttpStatusCode.NoContent);

        Assert.Equal(100 * 60 - 20 * 60, (await owner.BalanceAsync(business.Id)).CallableSeconds);
        var history = await owner.Api.GetFromJsonAsync<HistoryPageDto>($"/api/v1/businesses/{business.Id}/history?tab=Distributions&memberId={leaving.Id}", BusinessApi.Json);
        Assert.Equal(("Reclaim", -(30L * 60 + 15)), (history!.Lines[0].Kind, history.Lines[0].Seconds));
        await using (var db = app.Db())
            Assert.Equal(0, await db.LedgerAccounts.Where(a => a.Key == LedgerService.WalletKey(leaving.Id)).Select(a => a.Balance).SingleAsync());

        await (await owner.Api.DeleteAsync($"/api/v1/businesses/{business.Id}/members/{calling.Id}")).ShouldBeProblem(HttpStatusCode.Conflict, "member_in_call");
        Assert.Contains(await owner.MembersAsync(business.Id), m => m.Id == calling.Id);
        Assert.Equal(80 * 60, (await owner.BalanceAsync(business.Id)).CallableSeconds);

        // Once the call ends, the member goes and their time with them: 15 minutes left after 5 spoken.
        Assert.Equal(300, await app.EndCallAsync("call-1", 300));
        await (await owner.Api.DeleteAsync($"/api/v1/businesses/{business.Id}/members/{calling.Id}")).ShouldBe(HttpStatusCode.NoContent);
        Assert.Equal(95 * 60, (await owner.BalanceAsync(business.Id)).CallableSeconds);
    }

    [Fact]
    public async Task Deleting_a_business_states_the_call_time_it_holds_in_its_pool_and_its_members_wallets()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("오이상사");
        var member = await owner.AddMemberAsync(business.Id, "직원", "010-7171-8282");
        await (await owner.ChargeAsync(business.Id, (await app.IssueCouponsAsync(1, 100))[0])).ShouldBe(HttpStatusCode.OK);
        await (await owner.AllocateAsync(business.Id, member.Id, 30 * 60)).ShouldBe(HttpStatusCode.OK);

        var preview = await owner.Api.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/v1/businesses/{business.Id}/deletion");

        Assert.Equal(100 * 60, preview.GetProperty("callableSeconds").GetInt64());
        Assert.Contains("남은 통화시간 100분", preview.GetProperty("message").GetString());
    }
}
