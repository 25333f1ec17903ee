using System.Net;
using Microsoft.EntityFrameworkCore;
using OiCall.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using OiCall.Web.Data;
using OiCall.Web.Features.Ledger;

namespace OiCall.Tests.Ledger;

/// <summary>Races that SQLite's single writer would hide: these run on PostgreSQL.</summary>
public sealed class LedgerConcurrencyTests
{
    [Fact]
    public async Task A_hundred_simultaneous_redemptions_of_one_code_credit_once()
    {
        await using var app = await TestApp.StartAsync(DatabaseProvider.Postgres);
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        var code = (await app.IssueCouponsAsync(1, 100)).Single();

        var answers = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => owner.ChargeAsync(business.Id, code)));

        // Every answer is the one success (retries of the same business replay it); one credit only.
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(6000, (await owner.BalanceAsync(business.Id)).CallableSeconds);
        await using var db = app.Db();
        Assert.Equal(1, await db.LedgerEntries.CountAsync(e => e.Kind == TransferKind.CouponCharge));
    }

    [Fact]
    public async Task A_hundred_businesses_racing_for_one_code_one_wins()
    {
        await using var app = await TestApp.StartAsync(DatabaseProvider.Postgres);
        var code = (await app.IssueCouponsAsync(1, 100)).Single();
        var contenders = new List<(Person Owner, Guid Business)>();
        for (var i = 0; i < 20; i++)
        {
            var owner = await app.PersonAsync($"사장{i}");
            contenders.Add((owner, (await owner.CreateBusinessAsync($"가게{i}")).Id));
        }

        var answers = await Task.WhenAll(contenders.Select(c => c.Owner.ChargeAsync(c.Business, code)));

        Assert.Equal(1, answers.Count(a => a.StatusCode == HttpStatusCode.OK));
        Assert.Equal(19, answers.Count(a => a.StatusCode == HttpStatusCode.Conflict));
        await using var db = app.Db();
        Assert.Equal(6000, await db.LedgerAccounts.Where(a => a.Kind == LedgerAccountKind.BusinessPool).SumAsync(a => a.Balance));
    }

    [Fact]
    public async Task Fifty_simultaneous_distributions_beyond_the_pool_never_overdraw_and_add_up()
    {
        await using var app = await TestApp.StartAsync(DatabaseProvider.Postgres);
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        var members = new List<MemberDto>();
        for (var i = 0; i < 10; i++) members.Add(await owner.AddMemberAsync(business.Id, $"직원{i}", $"010-4040-{i:D4}"));
        await owner.ChargeAsync(business.Id, (await app.IssueCouponsAsync(1, 100)).Single());

        // 50 × 3 minutes = 150 minutes asked of a 100-minute pool.
        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => owner.AllocateAsync(business.Id, members[i % 10].Id, 180)));

        var succeeded = answers.Count(a => a.StatusCode == HttpStatusCode.OK);
        Assert.All(answers, a => Assert.Contains(a.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Conflict }));
        Assert.Equal(33, succeeded);
        var balance = await owner.BalanceAsync(business.Id);
        Assert.Equal((6000L - 33 * 180, 33L * 180), (balance.CallableSeconds, balance.DistributedSeconds));
        await using var db = app.Db();
        Assert.Equal(0, await db.LedgerAccounts.SumAsync(a => a.Balance));
    }

    [Fact]
    public async Task Simultaneous_calls_never_hold_the_same_seconds_and_each_end_debits_once()
    {
        await using var app = await TestApp.StartAsync(DatabaseProvider.Postgres);
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        var members = new List<MemberDto>();
        for (var i = 0; i < 4; i++) members.Add(await owner.AddMemberAsync(business.Id, $"직원{i}", $"010-4141-{i:D4}"));
        await owner.ChargeAsync(business.Id, (await app.IssueCouponsAsync(1, 10)).Single());
        foreach (var m in members) await (await owner.AllocateAsync(business.Id, m.Id, 150)).ShouldBe(HttpStatusCode.OK);

        // 20 calls from 4 members whose wallets total 600 s, each asking for 100 s.
        var holds = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
        {
            await using var scope = app.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<LedgerService>().HoldAsync(business.Id, members[i % 4].Id, $"call-{i}", 100);
        })));
        var granted = holds.Where(h => h is not null).Sum(h => h!.GrantedSeconds);
        Assert.Equal(600, granted);

        // The same Call-ID authorized 10 times at once is one hold; its end reported 20 times at once is one debit.
        var held = holds.First(h => h is not null)!;
        var twice = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(async () =>
        {
            await using var scope = app.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<LedgerService>().HoldAsync(business.Id, held.MemberId, held.CallId, 100);
        })));
        Assert.All(twice, h => Assert.Equal(held.GrantedSeconds, h?.GrantedSeconds));
        var ends = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            await using var scope = app.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<LedgerService>().SettleAsync(held.CallId, 42);
        })));
        Assert.Equal(1, ends.Count(settled => settled));

        await using var db = app.Db();
        Assert.Equal(42, await db.LedgerEntries.Where(e => e.Kind == TransferKind.CallSettle).SumAsync(e => e.Seconds));
        Assert.Equal(0, await db.LedgerAccounts.SumAsync(a => a.Balance));
        Assert.True(await db.LedgerAccounts.Where(a => a.Kind == LedgerAccountKind.MemberWallet || a.Kind == LedgerAccountKind.CallHold).AllAsync(a => a.Balance >= 0));
    }
}
