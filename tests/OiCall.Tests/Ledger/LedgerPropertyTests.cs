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
/// Random sequences of charge / distribute / reclaim / hold / settle / expire / late end report, with
/// repeated idempotency keys, Call-IDs and coupons, checked after every step against the ledger rules.
/// </summary>
public sealed class LedgerPropertyTests
{
    public enum Op { Charge, Distribute, Reclaim, Hold, Settle, Expire, LateSettle }

    public sealed record Step(Op Op, int Member, int Amount, int Key);

    // Weighted so that holds are often made, funded and then reported late.
    private static Gen<Step> StepGen =>
        from op in Gen.Frequency(
            (2, Gen.Constant(Op.Charge)), (3, Gen.Constant(Op.Distribute)), (1, Gen.Constant(Op.Reclaim)), (3, Gen.Constant(Op.Hold)),
            (2, Gen.Constant(Op.Settle)), (1, Gen.Constant(Op.Expire)), (2, Gen.Constant(Op.LateSettle)))
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
        // Half the late reports are for the call held last, which is the likeliest to have expired unreported.
        string? lastCall = null;
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
                            await app.HoldCallAsync(businessId, member, $"call-{round}-{step.Key}", step.Amount);
                            lastCall = $"call-{round}-{step.Key}";
                            break;
                        case Op.Settle:
                            await app.EndCallAsync($"call-{round}-{step.Key}", step.Amount);
                            break;
                        case Op.Expire:
                            app.Clock.Advance(TimeSpan.FromMinutes(3));
                            await app.ExpireHoldsAsync();
                            break;
                        case Op.LateSettle:
                            await LateSettleAsync(app, step.Amount % 2 == 0 && lastCall is not null ? lastCall : $"call-{round}-{step.Key}", step.Amount, step);
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

    /// <summary>
    /// The end report comes after every hold ran out (the edge was lost): an expired hold was
    /// charged its grant and the report changes nothing; a hold settled before (or never made)
    /// changes nothing either.
    /// </summary>
    private static async Task LateSettleAsync(TestApp app, string callId, long spoken, Step step)
    {
        app.Clock.Advance(TimeSpan.FromSeconds(400) + CallHold.Grace + TimeSpan.FromSeconds(1));
        await app.ExpireHoldsAsync();
        var billed = await app.EndCallAsync(callId, spoken);
        Assert.True(billed is null, $"after {step}: a report after every hold ran out billed {billed}");
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
            var settles = entries.Where(e => e.IdempotencyKey == $"settle:{hold.CallId}").ToList();
            var releases = entries.Where(e => e.IdempotencyKey == $"release:{hold.CallId}").ToList();
            Assert.True(settles.Count <= 1 && releases.Count <= 1, $"after {step}: hold {hold.CallId} resolved more than once");
            Assert.True(hold.SettledSeconds <= hold.GrantedSeconds);
            var settled = settles.Sum(e => e.Seconds);
            var released = releases.Sum(e => e.Seconds);
            // Held: nothing moved yet. Expired (the edge lost): all of it charged. Settled: spoken to usage, the rest back.
            var expected = hold.State switch
            {
                HoldState.Held => (0L, 0L),
                HoldState.Expired => (hold.GrantedSeconds, 0L),
                _ => (hold.SettledSeconds, hold.GrantedSeconds - hold.SettledSeconds),
            };
            Assert.True((settled, released) == expected, $"after {step}: hold {hold.CallId} {hold.State} moved {(settled, released)}, expected {expected}");
            Assert.True(hold.State != HoldState.Expired || hold.SettledSeconds == hold.GrantedSeconds, $"after {step}: expired hold {hold.CallId} charged {hold.SettledSeconds} of {hold.GrantedSeconds}");
            Assert.All(settles, e => Assert.Equal(LedgerService.HoldKey(hold.MemberId), accounts.Single(a => a.Id == e.FromAccountId).Key));
        }
        // Statements count these kinds: each member's usage is exactly what its calls were billed.
        Assert.All(accounts.Where(a => a.Kind == LedgerAccountKind.Usage), a => Assert.Equal(
            holds.Where(h => h.MemberId == a.MemberId && h.State != HoldState.Held).Sum(h => h.SettledSeconds),
            entries.Where(e => e.ToAccountId == a.Id && e.Kind == TransferKind.CallSettle).Sum(e => e.Seconds)));
        Assert.All(accounts.Where(a => a.Kind == LedgerAccountKind.Usage), a => Assert.Equal(
            holds.Where(h => h.MemberId == a.MemberId && h.State != HoldState.Held).Sum(h => h.SettledSeconds), a.Balance));
        var held = holds.Where(h => h.State == HoldState.Held).GroupBy(h => h.MemberId).ToDictionary(g => g.Key, g => g.Sum(h => h.GrantedSeconds));
        Assert.All(accounts.Where(a => a.Kind == LedgerAccountKind.CallHold), a => Assert.Equal(held.GetValueOrDefault(a.MemberId!.Value), a.Balance));
    }
}
