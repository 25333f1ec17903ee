using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OiCall.Web.Data;
using OiCall.Web.Features.Accounts;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Features.CallerNumbers;
using OiCall.Web.Features.Ledger;
using OiCall.Web.Features.Members;
using OiCall.Web.Features.Telephony;
using OiCall.Web.Infrastructure;

namespace OiCall.Bench;

/// <summary>A seeded business: its admin (who charges and distributes) and its members.</summary>
public sealed record SeededBusiness(Business Business, Member Admin, Guid[] MemberIds)
{
    /// <summary>The SIP username of member i (as the edge asks about it at call setup).</summary>
    public static string SipUsername(Guid memberId) => $"oc{memberId:N}"[..32];

    public Membership AdminMembership { get; } = new(Business, Admin);
    public Guid Id => Business.Id;
    public Guid AdminAccountId => Admin.AccountId!.Value;
}

public sealed record Dataset(Guid OperatorId, IReadOnlyList<SeededBusiness> Businesses, int Entries, int Charges, int Distributions, int Reclaims,
    DateTime FirstAt, DateTime LastAt)
{
    public SeededBusiness RandomBusiness(Random random) => Businesses[random.Next(Businesses.Count)];
}

/// <summary>
/// The fixed dataset: businesses with their members, admin accounts and ledger accounts, and a year
/// of coupon charges, distributions and reclaims. Everything but the entries goes through EF; the
/// entries are bulk loaded (<see cref="EntryBulkLoader"/>) because a million EF inserts take too long.
/// </summary>
public static class Seeder
{
    public static async Task<Dataset> SeedAsync(BenchHost host, BenchOptions options)
    {
        var total = Stopwatch.StartNew();
        var now = DateTime.UtcNow;
        var people = BuildPeople(options, now);
        await InsertAsync(host, people.Rows);
        Console.WriteLine($"  {people.Businesses.Count} businesses, {people.Businesses.Sum(b => b.MemberIds.Length):N0} members: {total.Elapsed.TotalSeconds:F1} s");

        var accounts = new SeedAccounts(people.Businesses);
        // A year of history that ends an hour ago, so what the benchmark adds is the newest.
        var historyEnd = now.AddHours(-1);
        var historyStart = historyEnd.AddDays(-365);
        var firstPass = new HistoryGenerator(accounts, options.Entries, historyStart, historyEnd);
        foreach (var _ in firstPass.Generate()) { }
        await InsertAsync(host, accounts.WithFinalBalances(firstPass));
        Console.WriteLine($"  {accounts.Count:N0} ledger accounts: {total.Elapsed.TotalSeconds:F1} s");

        var load = Stopwatch.StartNew();
        var secondPass = new HistoryGenerator(accounts, options.Entries, historyStart, historyEnd);
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            await EntryBulkLoader.LoadAsync(db, secondPass.Generate());
        }
        Console.WriteLine($"  {options.Entries:N0} ledger entries ({secondPass.Charges:N0} charges, {secondPass.Distributions:N0} distributions, {secondPass.Reclaims:N0} reclaims): {load.Elapsed.TotalSeconds:F1} s");

        var analyze = Stopwatch.StartNew();
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Database.SetCommandTimeout(TimeSpan.FromMinutes(10));
            // Statistics (and, on PostgreSQL, the visibility map) as autovacuum would leave them after a bulk load,
            // then a checkpoint, so the load's writes are not flushed to disk during the first measurement.
            if (host.Provider == DatabaseProvider.Postgres)
            {
                await db.Database.ExecuteSqlRawAsync("VACUUM ANALYZE");
                await db.Database.ExecuteSqlRawAsync("CHECKPOINT");
            }
            else
            {
                await db.Database.ExecuteSqlRawAsync("ANALYZE");
                await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE)");
            }
        }
        Console.WriteLine($"  analyze and checkpoint: {analyze.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"seeded in {total.Elapsed.TotalSeconds:F1} s");

        return new Dataset(people.OperatorId, people.Businesses, options.Entries, secondPass.Charges, secondPass.Distributions, secondPass.Reclaims,
            historyStart, historyEnd);
    }

    /// <summary>How many accounts' balances differ from the sum of their entries (0 for a sound ledger).</summary>
    public static async Task<int> UnbalancedAccountsAsync(BenchHost host)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(10));
        return await db.Database.SqlQueryRaw<int>("""
            SELECT COUNT(*) AS "Value"
            FROM "LedgerAccounts" a
            LEFT JOIN (
                SELECT "AccountId", SUM("Amount") AS "Total" FROM (
                    SELECT "ToAccountId" AS "AccountId", "Seconds" AS "Amount" FROM "LedgerEntries"
                    UNION ALL
                    SELECT "FromAccountId", -"Seconds" FROM "LedgerEntries") AS flows
                GROUP BY "AccountId") AS sums ON sums."AccountId" = a."Id"
            WHERE a."Balance" <> COALESCE(sums."Total", 0)
            """).SingleAsync();
    }

    private sealed record People(Guid OperatorId, List<SeededBusiness> Businesses, List<object> Rows);

    private static People BuildPeople(BenchOptions options, DateTime now)
    {
        var rows = new List<object>();
        var operatorAccount = new Account { LoginId = "bench-operator", Name = "운영자", Phone = "+821000000000", IsOperator = true, CreatedAt = now };
        rows.Add(operatorAccount);
        var businesses = new List<SeededBusiness>();
        for (var b = 0; b < options.Businesses; b++)
        {
            var number = (b + 1).ToString("D3", CultureInfo.InvariantCulture);
            var adminAccount = new Account { LoginId = $"bench-admin-{number}", Name = $"관리자 {number}", Phone = $"+82109999{number}0", CreatedAt = now };
            var business = new Business { Name = $"벤치 업체 {number}", MainNumber = $"+82215{number}000", CreatedAt = now, CreatedBy = adminAccount.Id };
            rows.Add(adminAccount);
            rows.Add(business);
            var members = new Member[options.MembersPerBusiness];
            for (var m = 0; m < members.Length; m++)
            {
                members[m] = new Member
                {
                    BusinessId = business.Id,
                    Name = $"멤버 {number}-{m + 1:D4}",
                    Phone = $"+8210{b + 1:D3}{m:D5}",
                    Role = m == 0 ? MemberRole.Admin : MemberRole.Member,
                    AccountId = m == 0 ? adminAccount.Id : null,
                    CreatedAt = now,
                };
                rows.Add(members[m]);
            }
            // What a call's authorization reads: an approved company number the members present, and each member's SIP account.
            var callerNumber = CallerNumber.Register(business.Id, KoreanPhone.Parse(business.MainNumber)!.Value, "대표번호", adminAccount.Id, now);
            callerNumber.Apply(CallerNumberEvent.DocumentsSubmitted, now);
            callerNumber.Apply(CallerNumberEvent.OperatorApproved, now, operatorAccount.Id);
            business.DefaultCallerNumberId = callerNumber.Id;
            business.MaxCallsPerMember = 100;
            rows.Add(callerNumber);
            rows.AddRange(members.Select(m => new SipCredential
            {
                MemberId = m.Id, BusinessId = business.Id, Username = SeededBusiness.SipUsername(m.Id), Ha1 = new string('0', 32), Realm = "bench", IssuedAt = now,
            }));
            businesses.Add(new SeededBusiness(business, members[0], [.. members.Select(x => x.Id)]));
        }
        return new People(operatorAccount.Id, businesses, rows);
    }

    /// <summary>Inserts through EF in chunks, a fresh context each, so the change tracker stays small.</summary>
    private static async Task InsertAsync(BenchHost host, IEnumerable<object> rows)
    {
        foreach (var chunk in rows.Chunk(2_000))
        {
            await using var scope = host.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.AddRange(chunk);
            await db.SaveChangesAsync();
        }
    }
}

/// <summary>Every ledger account of the dataset, by position, so the generator works on arrays.</summary>
public sealed class SeedAccounts
{
    public SeedAccounts(IReadOnlyList<SeededBusiness> businesses)
    {
        Businesses = businesses;
        MembersPerBusiness = businesses[0].MemberIds.Length;
        CouponSource = new LedgerAccount { Key = LedgerService.CouponSourceKey, Kind = LedgerAccountKind.CouponSource };
        Pools = [.. businesses.Select(b => new LedgerAccount { Key = LedgerService.PoolKey(b.Id), Kind = LedgerAccountKind.BusinessPool, BusinessId = b.Id })];
        Wallets = [.. businesses.SelectMany(b => b.MemberIds.Select(m =>
            new LedgerAccount { Key = LedgerService.WalletKey(m), Kind = LedgerAccountKind.MemberWallet, BusinessId = b.Id, MemberId = m }))];
        // Hold and usage accounts exist once a member has called; create them now so the benchmark measures the steady state.
        Holds = [.. businesses.SelectMany(b => b.MemberIds.Select(m =>
            new LedgerAccount { Key = LedgerService.HoldKey(m), Kind = LedgerAccountKind.CallHold, BusinessId = b.Id, MemberId = m }))];
        Usages = [.. businesses.SelectMany(b => b.MemberIds.Select(m =>
            new LedgerAccount { Key = LedgerService.UsageKey(m), Kind = LedgerAccountKind.Usage, BusinessId = b.Id, MemberId = m }))];
    }

    public IReadOnlyList<SeededBusiness> Businesses { get; }
    public int MembersPerBusiness { get; }
    public LedgerAccount CouponSource { get; }
    public LedgerAccount[] Pools { get; }
    /// <summary>Index: business × members per business + member.</summary>
    public LedgerAccount[] Wallets { get; }
    public LedgerAccount[] Holds { get; }
    public LedgerAccount[] Usages { get; }
    public int Count => 1 + Pools.Length + Wallets.Length + Holds.Length + Usages.Length;

    public IEnumerable<LedgerAccount> WithFinalBalances(HistoryGenerator generator)
    {
        CouponSource.Balance = generator.CouponSourceBalance;
        for (var i = 0; i < Pools.Length; i++) Pools[i].Balance = generator.PoolBalances[i];
        for (var i = 0; i < Wallets.Length; i++) Wallets[i].Balance = generator.WalletBalances[i];
        return [CouponSource, .. Pools, .. Wallets, .. Holds, .. Usages];
    }
}

/// <summary>
/// A year of ledger history in time order: distributions of 10–120 minutes (80 %), reclaims of up to
/// 30 minutes (15 %, when the wallet has them), and a coupon charge whenever a pool runs short; the
/// last entries top every pool up so the benchmark never runs dry. Deterministic for the seed, so a
/// first pass gives the final balances and a second pass streams the very same amounts.
/// </summary>
public sealed class HistoryGenerator(SeedAccounts accounts, int total, DateTime start, DateTime end)
{
    private static readonly long[] CouponMinutes = [100, 300, 500, 1_000, 3_000];
    public const long TopUpSeconds = 100_000_000;
    private const int Seed = 20_261_125;

    public long CouponSourceBalance { get; private set; }
    public long[] PoolBalances { get; } = new long[accounts.Pools.Length];
    public long[] WalletBalances { get; } = new long[accounts.Wallets.Length];
    public int Charges { get; private set; }
    public int Distributions { get; private set; }
    public int Reclaims { get; private set; }

    public IEnumerable<LedgerEntry> Generate()
    {
        var random = new Random(Seed);
        var businesses = accounts.Businesses.Count;
        var ticksPerEntry = (end - start).Ticks / total;
        for (var i = 0; i < total; i++)
        {
            var at = start.AddTicks(ticksPerEntry * i);
            if (i >= total - businesses)
            {
                yield return Charge(i - (total - businesses), TopUpSeconds, at);
                continue;
            }
            var b = random.Next(businesses);
            var w = b * accounts.MembersPerBusiness + random.Next(accounts.MembersPerBusiness);
            if (random.NextDouble() < 0.15)
            {
                var reclaim = random.Next(1, 31) * 60L;
                if (WalletBalances[w] >= reclaim)
                {
                    yield return Move(TransferKind.Reclaim, b, w, reclaim, at);
                    continue;
                }
            }
            var seconds = random.Next(10, 121) * 60L;
            yield return PoolBalances[b] >= seconds
                ? Move(TransferKind.Distribution, b, w, seconds, at)
                : Charge(b, CouponMinutes[random.Next(CouponMinutes.Length)] * 60, at);
        }
    }

    private LedgerEntry Charge(int b, long seconds, DateTime at)
    {
        Charges++;
        CouponSourceBalance -= seconds;
        PoolBalances[b] += seconds;
        var couponId = Guid.NewGuid();
        return new LedgerEntry
        {
            At = at, Kind = TransferKind.CouponCharge, FromAccountId = accounts.CouponSource.Id, ToAccountId = accounts.Pools[b].Id, Seconds = seconds,
            FromBalanceAfter = CouponSourceBalance, ToBalanceAfter = PoolBalances[b], BusinessId = accounts.Businesses[b].Id,
            ActorAccountId = accounts.Businesses[b].AdminAccountId, IdempotencyKey = $"coupon:{couponId:N}", CouponId = couponId,
        };
    }

    /// <summary>Pool → wallet for a distribution, wallet → pool for a reclaim; keys like the API's Idempotency-Key.</summary>
    private LedgerEntry Move(TransferKind kind, int b, int w, long seconds, DateTime at)
    {
        var business = accounts.Businesses[b];
        var distribution = kind == TransferKind.Distribution;
        if (distribution) Distributions++; else Reclaims++;
        var delta = distribution ? seconds : -seconds;
        PoolBalances[b] -= delta;
        WalletBalances[w] += delta;
        return new LedgerEntry
        {
            At = at, Kind = kind,
            FromAccountId = distribution ? accounts.Pools[b].Id : accounts.Wallets[w].Id,
            ToAccountId = distribution ? accounts.Wallets[w].Id : accounts.Pools[b].Id,
            Seconds = seconds,
            FromBalanceAfter = distribution ? PoolBalances[b] : WalletBalances[w],
            ToBalanceAfter = distribution ? WalletBalances[w] : PoolBalances[b],
            BusinessId = business.Id, MemberId = accounts.Wallets[w].MemberId, ActorAccountId = business.AdminAccountId,
            IdempotencyKey = Workloads.RequestKey(business.AdminAccountId),
        };
    }
}
