using FsCheck;
using FsCheck.Fluent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OiCall.Tests.Support;
using OiCall.Web.Data;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Features.Coupons;
using OiCall.Web.Features.Ledger;
using OiCall.Web.Features.Members;
using OiCall.Web.Infrastructure;

namespace OiCall.Tests.Ledger;

/// <summary>
/// Random sequences of charge / distribute / reclaim / hold / settle / expire, with repeated
/// idempotency keys, Call-IDs and coupons, checked after every step against the ledger rules.
/// </summary>
public sealed class LedgerPropertyTests
{
    public enum Op { Charge, Distribute, Reclaim, Hold, Settle, Expire }

    public sealed record Step(Op Op, int Member, int Amount, int Key);

    private static Gen<Step> StepGen =>
        from op in Gen.Elements(Enum.GetValues<Op>())
        from member in Gen.Choose(0, 2)
        from amount in Gen.Choose(1, 400)
        from key in Gen.Choose(0, 5)
        select new Step(op, member, amount, key);

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Ledger_rules_hold_after_every_step_of_random_sequences(DatabaseProvider provider)
    {
        var sequences = Gen.Sample(Gen.ListOf(StepGen).Where(l => l.Count is > 5 and < 40), 12);
        await using var app = await TestApp.StartAsync(provider);
        var owner = await app.PersonAsync("사장");
        var round = 0;
        foreach (var steps in sequences)
        {
            round++;
            var business = await owner.CreateBusinessAsync($"가게{round}", $"02-{100 + round}-0000");
            var members = new List<Guid>();
            // Coupons of its own per round: a repeated code is this business's retry, which must replay.
            var codes = await app.IssueCouponsAsync(6, 5);
            for (var m = 0; m < 3; m++) members.Add((await owner.AddMemberAsync(business.Id, $"멤버{m}", $"010-{round + 10:D2}{m:D2}-{round * 7 % 10000:D4}")).Id);
            await RunAsync(app, owner, business.Id, members, codes, steps, round);
        }
    }

    private static async Task RunAsync(TestApp app, Person owner, Guid businessId, List<Guid> members, List<string> codes, IReadOnlyList<Step> steps, int round)
    {
        foreach (var step in steps)
        {
            await using (var scope = app.Services.CreateAsyncScope())
            {
                var ledger = scope.ServiceProvider.GetRequiredService<LedgerService>();
                var member = members[step.Member];
                try
                {
                    switch (step.Op)
                    {
                        case Op.Charge:
                            var access = scope.ServiceProvider.GetRequiredService<BusinessAccess>();
                            var admin = await access.AdminAsync(businessId, OwnerPrincipal(owner));
                            await scope.ServiceProvider.GetRequiredService<CouponRules>().RedeemAsync(admin, codes[step.Key % codes.Count], "127.0.0.1");
                            break;
                        case Op.Distribute:
                            await ledger.DistributeAsync(businessId, member, step.Amount, owner.AccountId, $"p{round}-d{step.Key}");
                            break;
                        case Op.Reclaim:
                            await ledger.ReclaimAsync(businessId, member, step.Amount, owner.AccountId, $"p{round}-r{step.Key}");
                            break;
                        case Op.Hold:
                            await ledger.HoldAsync(businessId, member, $"call-{round}-{step.Key}", step.Amount);
                            break;
                        case Op.Settle:
                            await ledger.SettleAsync($"call-{round}-{step.Key}", step.Amount);
                            break;
                        case Op.Expire:
                            app.Clock.Advance(TimeSpan.FromMinutes(3));
                            await ledger.ExpireHoldsAsync();
                            break;
                    }
                }
                catch (AppProblem e) when (e.Error.Status == 409)
                {
                    // Refused for lack of time: allowed, and must change nothing (checked below).
                }
            }
            await AssertLedgerRulesAsync(app, step);
        }
    }

    private static System.Security.Claims.ClaimsPrincipal OwnerPrincipal(Person owner) =>
        new(new System.Security.Claims.ClaimsIdentity([new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, owner.AccountId.ToString())], "test"));

    private static async Task AssertLedgerRulesAsync(TestApp app, Step step)
    {
        await using var db = app.Db();
        var accounts = await db.LedgerAccounts.AsNoTracking().ToListAsync();
        var entries = await db.LedgerEntries.AsNoTracking().ToListAsync();

        Assert.True(accounts.Sum(a => a.Balance) == 0, $"after {step}: balances sum to {accounts.Sum(a => a.Balance)}");
        Assert.All(accounts.Where(a => a.Kind is LedgerAccountKind.BusinessPool or LedgerAccountKind.MemberWallet or LedgerAccountKind.CallHold),
            a => Assert.True(a.Balance >= 0, $"after {step}: {a.Key} is {a.Balance}"));
        foreach (var account in accounts)
        {
            var fromEntries = entries.Where(e => e.ToAccountId == account.Id).Sum(e => e.Seconds) - entries.Where(e => e.FromAccountId == account.Id).Sum(e => e.Seconds);
            Assert.True(fromEntries == account.Balance, $"after {step}: {account.Key} balance {account.Balance} but entries say {fromEntries}");
        }
        var holds = await db.CallHolds.AsNoTracking().ToListAsync();
        foreach (var hold in holds)
        {
            var settles = entries.Count(e => e.IdempotencyKey == $"settle:{hold.CallId}");
            var releases = entries.Count(e => e.IdempotencyKey == $"release:{hold.CallId}");
            Assert.True(settles <= 1 && releases <= 1, $"after {step}: hold {hold.CallId} resolved more than once");
            if (hold.State == HoldState.Held) Assert.Equal(0, settles + releases);
            Assert.True(hold.SettledSeconds <= hold.GrantedSeconds);
        }
        var held = holds.Where(h => h.State == HoldState.Held).GroupBy(h => h.MemberId).ToDictionary(g => g.Key, g => g.Sum(h => h.GrantedSeconds));
        Assert.All(accounts.Where(a => a.Kind == LedgerAccountKind.CallHold), a => Assert.Equal(held.GetValueOrDefault(a.MemberId!.Value), a.Balance));
    }
}
