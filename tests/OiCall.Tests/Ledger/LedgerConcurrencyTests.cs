using System.Net;
using Microsoft.EntityFrameworkCore;
using OiCall.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using OiCall.Web.Data;
using OiCall.Web.Features.Ledger;

namespace OiCall.Tests.Ledger;

/// <summary>Races that SQLite's single writer would hide: these run on PostgreSQL (the call path's on both, as each has a store of its own).</summary>
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

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Simultaneous_calls_never_hold_the_same_seconds_and_each_end_debits_once(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        var members = new List<MemberDto>();
        for (var i = 0; i < 4; i++) members.Add(await owner.AddMemberAsync(business.Id, $"직원{i}", $"010-4141-{i:D4}"));
        await owner.ChargeAsync(business.Id, (await app.IssueCouponsAsync(1, 10)).Single());
        foreach (var m in members) await (await owner.AllocateAsync(business.Id, m.Id, 150)).ShouldBe(HttpStatusCode.OK);

        // 20 calls from 4 members whose wallets total 600 s, each asking for 100 s.
        var holds = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => app.HoldCallAsync(business.Id, members[i % 4].Id, $"call-{i}", 100))));
        Assert.Equal(600, holds.Sum(h => h ?? 0));

        // The same Call-ID authorized 10 times at once is one hold; its end reported 20 times at once is one debit.
        var first = Array.FindIndex(holds, h => h is not null);
        var (heldCallId, heldMember) = ($"call-{first}", members[first % 4].Id);
        var twice = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => app.HoldCallAsync(business.Id, heldMember, heldCallId, 100))));
        Assert.All(twice, h => Assert.Equal(holds[first], h));
        // Another member's setup with the same Call-ID (a collision, or a forgery) gets nothing of that grant.
        var other = members.First(m => m.Id != heldMember);
        Assert.Null(await app.HoldCallAsync(business.Id, other.Id, heldCallId, 100));
        var ends = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => app.EndCallAsync(heldCallId, 42))));
        Assert.Equal(1, ends.Count(billed => billed is not null));

        await using var db = app.Db();
        Assert.Equal(42, await db.LedgerEntries.Where(e => e.Kind == TransferKind.CallSettle).SumAsync(e => e.Seconds));
        Assert.Equal(0, await db.LedgerAccounts.SumAsync(a => a.Balance));
        Assert.True(await db.LedgerAccounts.Where(a => a.Kind == LedgerAccountKind.MemberWallet || a.Kind == LedgerAccountKind.CallHold).AllAsync(a => a.Balance >= 0));
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task One_members_calls_starting_and_ending_at_once_never_deadlock_and_add_up(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        var member = await owner.AddMemberAsync(business.Id, "직원", "010-4242-0001");
        await owner.ChargeAsync(business.Id, (await app.IssueCouponsAsync(1, 100)).Single());
        await (await owner.AllocateAsync(business.Id, member.Id, 6000)).ShouldBe(HttpStatusCode.OK);

        // 8 lines of one member, each starting a call while the previous one ends: holds and ends of
        // the same wallet meet all the time, which once deadlocked when they took its rows in opposite orders.
        async Task<long> Line(int line)
        {
            long spoken = 0;
            string? previous = null;
            for (var i = 0; i < 15; i++)
            {
                var callId = $"line{line}-call{i}";
                var ending = previous is null ? Task.FromResult<long?>(0) : app.EndCallAsync(previous, 7);
                var hold = await app.HoldCallAsync(business.Id, member.Id, callId, 20);
                Assert.NotNull(await ending);
                if (previous is not null) spoken += 7;
                Assert.Equal(20, hold);
                previous = callId;
            }
            Assert.Equal(7, await app.EndCallAsync(previous!, 7));
            return spoken + 7;
        }

        var spokenInAll = (await Task.WhenAll(Enumerable.Range(0, 8).Select(line => Task.Run(() => Line(line))))).Sum();

        Assert.Equal(8 * 15 * 7, spokenInAll);
        await using var db = app.Db();
        Assert.Equal(6000 - spokenInAll, await db.LedgerAccounts.Where(a => a.Key == LedgerService.WalletKey(member.Id)).Select(a => a.Balance).SingleAsync());
        Assert.Equal(0, await db.LedgerAccounts.Where(a => a.Key == LedgerService.HoldKey(member.Id)).Select(a => a.Balance).SingleAsync());
        Assert.Equal(spokenInAll, await db.LedgerEntries.Where(e => e.Kind == TransferKind.CallSettle).SumAsync(e => e.Seconds));
        Assert.Equal(0, await db.LedgerAccounts.SumAsync(a => a.Balance));
    }
}
