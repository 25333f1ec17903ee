using Microsoft.EntityFrameworkCore;
using OiCall.Web.Data;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Features.Telephony;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Ledger;

/// <summary>A member's time: free to use or reclaim, and held by calls in progress.</summary>
public sealed record WalletBalance(long FreeSeconds, long HeldSeconds);

/// <summary>
/// 통화가능 시간: what admins may still distribute — the prepaid pool, plus (postpaid only) what is
/// left of the monthly credit line.
/// </summary>
public sealed record CallableTime(BillingPlan Plan, long PrepaidSeconds, long CreditLimitSeconds, long CreditUsedSeconds)
{
    public long CreditLeftSeconds => Plan == BillingPlan.Postpaid ? Math.Max(0, CreditLimitSeconds - CreditUsedSeconds) : 0;
    public long TotalSeconds => PrepaidSeconds + CreditLeftSeconds;
}

/// <summary>
/// The one place call time moves. Every operation is one database transaction of one or more
/// transfers; balances change only with their entries; the database refuses overdrafts; a repeated
/// idempotency key returns the first result and changes nothing. Calls' holds and ends go through
/// <see cref="ICallStore"/>: on SQLite it runs this service's call transfers (the …InTransactionAsync
/// methods), on PostgreSQL the same transfers as batched SQL.
/// </summary>
public sealed class LedgerService(AppDbContext db, TimeProvider clock, LedgerAccountKeys knownAccounts)
{
    public const string CouponSourceKey = "coupons";
    /// <summary>
    /// Time a member spoke. One account per member, not per business: a settle locks the row until
    /// its commit reaches the disk, and one row per business made all its calls' ends queue there.
    /// </summary>
    public static string UsageKey(Guid memberId) => $"usage:{memberId:N}";
    public static string PoolKey(Guid businessId) => $"pool:{businessId:N}";
    public static string WalletKey(Guid memberId) => $"wallet:{memberId:N}";
    public static string HoldKey(Guid memberId) => $"hold:{memberId:N}";
    public static string CreditKey(Guid businessId) => $"credit:{businessId:N}";
    public const string PostpaidBillingKey = "postpaid-billing";
    /// <summary>The idempotency key of a coupon's one charge entry: also how a retry finds it (through the unique index).</summary>
    public static string CouponChargeKey(Guid couponId) => $"coupon:{couponId:N}";
    /// <summary>The idempotency keys of a call's entries, one of each per Call-ID: its hold, its settle (in time or late) and its release.</summary>
    public static string CallHoldEntryKey(string callId) => CallEntryKey("hold", callId);
    public static string CallSettleEntryKey(string callId) => CallEntryKey("settle", callId);
    public static string HoldReleaseEntryKey(string callId) => CallEntryKey("release", callId);
    /// <summary>The key of the hold that extends a call to its slice <paramref name="slice"/> (2, 3, …; slice 1 is <see cref="CallHoldEntryKey"/>).</summary>
    public static string CallSliceEntryKey(string callId, int slice) => slice <= 1 ? CallHoldEntryKey(callId) : $"{CallHoldEntryKey(callId)}#{slice}";

    /// <summary>
    /// "kind:Call-ID", readable for the usual Call-ID; one longer than 64 characters (up to
    /// <see cref="SipLimits.MaxCallIdLength"/>) stands as "#" and its SHA-256 in hex, so no key outgrows its column.
    /// The two forms never meet: the hashed one is 65 characters long.
    /// </summary>
    private static string CallEntryKey(string kind, string callId) =>
        $"{kind}:{(callId.Length <= 64 ? callId : "#" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(callId))))}";

    public async Task<CallableTime> CallableAsync(Guid businessId, CancellationToken ct = default)
    {
        var plan = await db.Businesses.IgnoreQueryFilters().Where(b => b.Id == businessId).Select(b => b.Plan).SingleAsync(ct);
        var keys = new[] { PoolKey(businessId), CreditKey(businessId) };
        var accounts = await db.LedgerAccounts.AsNoTracking().Where(a => keys.Contains(a.Key)).ToDictionaryAsync(a => a.Key, ct);
        var credit = accounts.GetValueOrDefault(keys[1]);
        return new CallableTime(plan, accounts.GetValueOrDefault(keys[0])?.Balance ?? 0, credit?.CreditLimit ?? 0, -(credit?.Balance ?? 0));
    }

    public async Task<WalletBalance> WalletAsync(Guid memberId, CancellationToken ct = default)
    {
        var keys = new[] { WalletKey(memberId), HoldKey(memberId) };
        var balances = await db.LedgerAccounts.Where(a => keys.Contains(a.Key)).ToDictionaryAsync(a => a.Key, a => a.Balance, ct);
        return new WalletBalance(balances.GetValueOrDefault(keys[0]), balances.GetValueOrDefault(keys[1]));
    }

    /// <summary>Seconds of a business's members held by calls in progress.</summary>
    public Task<long> HeldOfBusinessAsync(Guid businessId, CancellationToken ct = default) =>
        db.LedgerAccounts.Where(a => a.BusinessId == businessId && a.Kind == LedgerAccountKind.CallHold).SumAsync(a => a.Balance, ct);

    /// <summary>Free seconds of every member of a business, for lists.</summary>
    public Task<Dictionary<Guid, long>> WalletsOfBusinessAsync(Guid businessId, CancellationToken ct = default) =>
        db.LedgerAccounts.Where(a => a.BusinessId == businessId && a.Kind == LedgerAccountKind.MemberWallet && a.MemberId != null)
            .ToDictionaryAsync(a => a.MemberId!.Value, a => a.Balance, ct);

    /// <summary>시간분배: pool → wallet; a postpaid business draws on its credit line for what the pool lacks.</summary>
    public async Task<LedgerEntry> DistributeAsync(Guid businessId, Guid memberId, long seconds, Guid actor, string? idempotencyKey, CancellationToken ct = default)
    {
        var postpaid = await IsPostpaidAsync(businessId, ct);
        return (await RunManyAsync(idempotencyKey, [Pool(businessId), Credit(businessId), Wallet(businessId, memberId)],
            keys => MoveToWalletAsync(businessId, memberId, seconds, postpaid, actor, keys, ct), ct))[0];
    }

    /// <summary>회수: wallet → pool, only from the free part (held time is in the hold account); credit drawn is repaid first.</summary>
    public async Task<LedgerEntry> ReclaimAsync(Guid businessId, Guid memberId, long seconds, Guid actor, string? idempotencyKey, CancellationToken ct = default)
    {
        if (seconds <= 0) throw new AppProblem(LedgerErrors.InvalidAmount, "seconds");
        return (await RunManyAsync(idempotencyKey, [Pool(businessId), Credit(businessId), Wallet(businessId, memberId)], async keys =>
        {
            var pool = await AccountAsync(PoolKey(businessId), ct);
            var credit = await AccountAsync(CreditKey(businessId), ct);
            var wallet = await AccountAsync(WalletKey(memberId), ct);
            var toCredit = Math.Min(seconds, Math.Max(0, -credit.Balance));
            var entries = new List<LedgerEntry>();
            if (toCredit > 0)
                entries.Add(await TransferAsync(TransferKind.Reclaim, wallet, credit, toCredit, businessId, memberId, actor, keys.Next(), null, LedgerErrors.WalletTooSmall, ct));
            if (seconds - toCredit > 0)
                entries.Add(await TransferAsync(TransferKind.Reclaim, wallet, pool, seconds - toCredit, businessId, memberId, actor, keys.Next(), null, LedgerErrors.WalletTooSmall, ct));
            return entries;
        }, ct))[0];
    }

    /// <summary>
    /// An admin's allocation, by its sign: positive seconds distribute to the member (시간분배),
    /// negative ones reclaim from the member (회수).
    /// </summary>
    public Task<LedgerEntry> AllocateAsync(Guid businessId, Guid memberId, long seconds, Guid actor, string? idempotencyKey, CancellationToken ct = default) => seconds switch
    {
        > 0 => DistributeAsync(businessId, memberId, seconds, actor, idempotencyKey, ct),
        < 0 and > long.MinValue => ReclaimAsync(businessId, memberId, -seconds, actor, idempotencyKey, ct),
        _ => throw new AppProblem(LedgerErrors.InvalidAmount, "seconds"),
    };

    /// <summary>The same seconds to several members in one transaction: all of them, or none.</summary>
    public async Task<IReadOnlyList<LedgerEntry>> DistributeToManyAsync(Guid businessId, IReadOnlyList<Guid> memberIds, long seconds, Guid actor, string? idempotencyKey, CancellationToken ct = default)
    {
        if (memberIds.Count == 0) throw new AppProblem(LedgerErrors.NoMembers);
        var distinct = memberIds.Distinct().ToList();
        var postpaid = await IsPostpaidAsync(businessId, ct);
        return await RunManyAsync(idempotencyKey, [Pool(businessId), Credit(businessId), .. distinct.Select(m => Wallet(businessId, m))], async keys =>
        {
            var entries = new List<LedgerEntry>();
            foreach (var memberId in distinct)
                entries.AddRange(await MoveToWalletAsync(businessId, memberId, seconds, postpaid, actor, keys, ct));
            return entries;
        }, ct);
    }

    private async Task<List<LedgerEntry>> MoveToWalletAsync(Guid businessId, Guid memberId, long seconds, bool postpaid, Guid actor, RunKeys keys, CancellationToken ct)
    {
        if (seconds <= 0) throw new AppProblem(LedgerErrors.InvalidAmount, "seconds");
        var pool = await AccountAsync(PoolKey(businessId), ct);
        var wallet = await AccountAsync(WalletKey(memberId), ct);
        if (!postpaid)
            return [await TransferAsync(TransferKind.Distribution, pool, wallet, seconds, businessId, memberId, actor, keys.Next(), null, LedgerErrors.PoolTooSmall, ct)];

        // Prepaid time already bought goes first; the credit line covers the rest.
        var credit = await AccountAsync(CreditKey(businessId), ct);
        var fromPool = Math.Clamp(pool.Balance, 0, seconds);
        var entries = new List<LedgerEntry>();
        if (fromPool > 0)
            entries.Add(await TransferAsync(TransferKind.Distribution, pool, wallet, fromPool, businessId, memberId, actor, keys.Next(), null, LedgerErrors.PoolTooSmall, ct));
        if (seconds - fromPool > 0)
            entries.Add(await TransferAsync(TransferKind.Distribution, credit, wallet, seconds - fromPool, businessId, memberId, actor, keys.Next(), null, LedgerErrors.CreditTooSmall, ct));
        return entries;
    }

    /// <summary>
    /// The idempotency keys of one operation's transfers: the first carries the request's key, the
    /// others "key#1", "key#2", … so a repeat can find the whole run.
    /// </summary>
    private sealed class RunKeys(string? idempotencyKey)
    {
        private int count;
        public string? Next() => idempotencyKey is null ? null : count++ == 0 ? idempotencyKey : $"{idempotencyKey}#{count - 1}";
    }

    private Task<bool> IsPostpaidAsync(Guid businessId, CancellationToken ct) =>
        db.Businesses.IgnoreQueryFilters().AnyAsync(b => b.Id == businessId && b.Plan == BillingPlan.Postpaid, ct);

    /// <summary>
    /// The operator sets a postpaid credit line. Lowering it below what is drawn is refused (the
    /// database would refuse it too): reclaim first.
    /// </summary>
    internal async Task SetCreditLimitAsync(Guid businessId, long limitSeconds, CancellationToken ct)
    {
        var changed = await db.LedgerAccounts.Where(a => a.Key == CreditKey(businessId) && a.Balance >= -limitSeconds)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.CreditLimit, limitSeconds), ct);
        if (changed == 0) throw new AppProblem(LedgerErrors.CreditBelowDrawn, "monthlyCreditMinutes");
    }

    /// <summary>
    /// 후불 청구: a closed month's usage is billed, which gives the credit line that much room again
    /// (never more than is drawn). Once per business and month.
    /// </summary>
    internal async Task<LedgerEntry?> BillMonthAsync(Guid businessId, string key, long usedSeconds, CancellationToken ct)
    {
        if (await db.LedgerEntries.AsNoTracking().SingleOrDefaultAsync(e => e.IdempotencyKey == key, ct) is { } billed) return billed;
        var credit = await db.LedgerAccounts.AsNoTracking().SingleOrDefaultAsync(a => a.Key == CreditKey(businessId), ct);
        var amount = Math.Min(usedSeconds, -(credit?.Balance ?? 0));
        if (credit is null || amount <= 0) return null;
        return (await RunManyAsync(key, [PostpaidBilling], async _ =>
        {
            var billing = await AccountAsync(PostpaidBillingKey, ct);
            var current = await AccountAsync(CreditKey(businessId), ct);
            var repay = Math.Min(amount, -current.Balance);
            return repay <= 0 ? [] : [await TransferAsync(TransferKind.PostpaidUsage, billing, current, repay, businessId, null, null, key, null, null, ct)];
        }, ct)).FirstOrDefault();
    }

    /// <summary>쿠폰 충전, inside the coupon's own transaction: coupon source → pool.</summary>
    internal async Task<LedgerEntry> ChargeInTransactionAsync(Guid businessId, Guid couponId, long seconds, Guid actor, CancellationToken ct)
    {
        var source = await AccountAsync(CouponSourceKey, ct);
        var pool = await AccountAsync(PoolKey(businessId), ct);
        return await TransferAsync(TransferKind.CouponCharge, source, pool, seconds, businessId, null, actor, CouponChargeKey(couponId), couponId, null, ct);
    }

    /// <summary>Every account a call's hold and its end touch, created before either's transaction begins.</summary>
    internal Task EnsureCallAccountsAsync(Guid businessId, Guid memberId, CancellationToken ct) =>
        EnsureAsync(ct, Wallet(businessId, memberId), Hold(businessId, memberId), Usage(businessId, memberId));

    /// <summary>
    /// What an earlier hold of this Call-ID granted this member: a repeated setup keeps its grant.
    /// Null when there is none, or when the Call-ID is another member's (a collision holds nothing).
    /// </summary>
    internal Task<long?> EarlierGrantAsync(string callId, Guid memberId, CancellationToken ct) =>
        db.CallHolds.Where(h => h.CallId == callId && h.MemberId == memberId).Select(h => (long?)h.GrantedSeconds).SingleOrDefaultAsync(ct);

    /// <summary>Holds whose call never reported its end and whose <see cref="CallHold.ExpiresAt"/> has come: due to be charged their grant.</summary>
    internal Task<List<string>> HoldsDueAsync(DateTime now, CancellationToken ct) =>
        db.CallHolds.AsNoTracking().Where(h => h.State == HoldState.Held && h.ExpiresAt <= now).OrderBy(h => h.ExpiresAt).Select(h => h.CallId).ToListAsync(ct);

    /// <summary>
    /// A call's hold, inside the caller's transaction: up to <paramref name="wantedSeconds"/> of the
    /// member's free time, wallet → hold. Returns the seconds granted; 0 when nothing is free or the
    /// Call-ID was held before.
    /// </summary>
    internal async Task<long> HoldInTransactionAsync(Guid businessId, Guid memberId, string callId, long wantedSeconds, DateTime now, CancellationToken ct)
    {
        if (await db.CallHolds.AsNoTracking().AnyAsync(h => h.CallId == callId, ct)) return 0;
        var wallet = await AccountAsync(WalletKey(memberId), ct);
        var hold = await AccountAsync(HoldKey(memberId), ct);
        var granted = Math.Min(wallet.Balance, wantedSeconds);
        if (granted <= 0) return 0;
        await TransferAsync(TransferKind.CallHold, wallet, hold, granted, businessId, memberId, null, CallHoldEntryKey(callId), null, LedgerErrors.WalletTooSmall, ct);
        db.CallHolds.Add(new CallHold
        {
            CallId = callId, BusinessId = businessId, MemberId = memberId, GrantedSeconds = granted,
            CreatedAt = now, ExpiresAt = CallHold.ExpiryOf(now, granted),
        });
        await db.SaveChangesAsync(ct);
        return granted;
    }

    /// <summary>
    /// The next slice of a call in progress, inside the caller's transaction: up to
    /// <paramref name="wantedSeconds"/> more of the member's free time, wallet → hold, under the
    /// slice's own key; the hold's grant and expiry grow with it. Returns the seconds added, 0 when
    /// nothing is free. Throws <see cref="SliceGoneException"/> when the hold is no longer held (its
    /// end or expiry came first): the transaction must be rolled back. The wallet is locked first,
    /// then the hold account, then the hold's row, in the order a hold and an end take them.
    /// </summary>
    internal async Task<long> ExtendHoldInTransactionAsync(CallHold hold, int slice, long wantedSeconds, CancellationToken ct)
    {
        await LockAsync(WalletKey(hold.MemberId), ct);
        var wallet = await AccountAsync(WalletKey(hold.MemberId), ct);
        var added = Math.Min(wallet.Balance, wantedSeconds);
        if (added <= 0) return 0;
        await TransferAsync(TransferKind.CallHold, wallet, await AccountAsync(HoldKey(hold.MemberId), ct), added, hold.BusinessId, hold.MemberId, null,
            CallSliceEntryKey(hold.CallId, slice), null, LedgerErrors.WalletTooSmall, ct);
        var grown = await db.CallHolds.Where(h => h.Id == hold.Id && h.State == HoldState.Held)
            .ExecuteUpdateAsync(s => s.SetProperty(h => h.GrantedSeconds, h => h.GrantedSeconds + added)
                .SetProperty(h => h.ExpiresAt, h => h.ExpiresAt.AddSeconds(added)), ct);
        if (grown == 0) throw new SliceGoneException();
        return added;
    }

    /// <summary>
    /// Reconciliation with an edge: holds of calls it says it still has (a live dialog, or an end
    /// waiting in its spool) are not due to expire while it keeps saying so (every few seconds); each
    /// is settled by its end when that comes. Moves no time. Returns how many holds were kept.
    /// </summary>
    public Task<int> KeepHoldsAsync(IReadOnlyCollection<string> callIds, DateTime now, CancellationToken ct)
    {
        var until = now + CallHold.Grace;
        return db.CallHolds.Where(h => h.State == HoldState.Held && callIds.Contains(h.CallId) && h.ExpiresAt < until)
            .ExecuteUpdateAsync(s => s.SetProperty(h => h.ExpiresAt, until), ct);
    }

    /// <summary>The call's hold was settled or expired while its next slice was being held.</summary>
    internal sealed class SliceGoneException : Exception;

    /// <summary>
    /// A call's end inside the caller's transaction, exactly once per Call-ID: returns the seconds
    /// billed, or null for a repeat, a call never held, or one whose hold expired (its edge was
    /// lost, and it was charged its grant then). The spoken seconds (never more than granted) are
    /// settled and the rest released.
    /// </summary>
    internal Task<long?> SettleInTransactionAsync(string callId, long spokenSeconds, DateTime now, CancellationToken ct) =>
        ResolveAsync(callId, HoldState.Settled, spokenSeconds, now, ct);

    /// <summary>
    /// A hold whose end never came, inside the caller's transaction: its edge was lost, so every
    /// granted second may have been spoken and all of it is charged (the slices make that at most
    /// one slice more than was spoken). Returns the seconds charged, or null when it was no longer held.
    /// </summary>
    internal Task<long?> ExpireInTransactionAsync(string callId, DateTime now, CancellationToken ct) =>
        ResolveAsync(callId, HoldState.Expired, long.MaxValue, now, ct);

    /// <summary>Moves a hold out of Held; returns the seconds settled (all granted ones for an expiry), or null when it was not Held.</summary>
    private async Task<long?> ResolveAsync(string callId, HoldState outcome, long spokenSeconds, DateTime now, CancellationToken ct)
    {
        var hold = await db.CallHolds.AsNoTracking().SingleOrDefaultAsync(h => h.CallId == callId, ct);
        if (hold is null) return null;
        // The wallet before the hold account, in the order a hold takes them (two orders can deadlock),
        // and before the hold's row is read again: a slice held meanwhile is in the grant settled here.
        await LockAsync(WalletKey(hold.MemberId), ct);
        hold = await db.CallHolds.AsNoTracking().SingleAsync(h => h.Id == hold.Id, ct);
        var spoken = Math.Clamp(spokenSeconds, 0, hold.GrantedSeconds);
        // Only the request that moves the hold out of Held goes on: a repeated end report changes nothing.
        var resolved = await db.CallHolds.Where(h => h.Id == hold.Id && h.State == HoldState.Held)
            .ExecuteUpdateAsync(s => s.SetProperty(h => h.State, outcome).SetProperty(h => h.SettledSeconds, spoken).SetProperty(h => h.ResolvedAt, now), ct);
        if (resolved == 0) return null;

        var holdAccount = await AccountAsync(HoldKey(hold.MemberId), ct);
        var wallet = await AccountAsync(WalletKey(hold.MemberId), ct);
        if (spoken > 0)
        {
            var usage = await AccountAsync(UsageKey(hold.MemberId), ct);
            await TransferAsync(TransferKind.CallSettle, holdAccount, usage, spoken, hold.BusinessId, hold.MemberId, null, CallSettleEntryKey(callId), null, null, ct);
        }
        if (hold.GrantedSeconds - spoken > 0)
            await TransferAsync(TransferKind.HoldRelease, holdAccount, wallet, hold.GrantedSeconds - spoken, hold.BusinessId, hold.MemberId, null, HoldReleaseEntryKey(callId), null, null, ct);
        return spoken;
    }

    /// <summary>
    /// Locks an account's row until the transaction ends, on any database: an update that changes
    /// nothing takes the row's lock on PostgreSQL (and SQLite's one writer holds the file already).
    /// </summary>
    private Task LockAsync(string key, CancellationToken ct) =>
        db.LedgerAccounts.Where(a => a.Key == key).ExecuteUpdateAsync(s => s.SetProperty(a => a.Balance, a => a.Balance), ct);

    /// <summary>
    /// One transaction; a key seen before (or committed by a racing twin) returns the entries of the
    /// first run. The first entry carries the key; later entries of the same run carry key-derived ones.
    /// </summary>
    private async Task<List<LedgerEntry>> RunManyAsync(string? idempotencyKey, AccountSpec[] accounts, Func<RunKeys, Task<List<LedgerEntry>>> operation, CancellationToken ct)
    {
        if (idempotencyKey is not null && await EarlierRunAsync(idempotencyKey, ct) is { Count: > 0 } done) return done;
        await EnsureAsync(ct, accounts);
        try
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var entries = await operation(new RunKeys(idempotencyKey));
            await tx.CommitAsync(ct);
            return entries;
        }
        catch (DbUpdateException) when (idempotencyKey is not null)
        {
            db.ChangeTracker.Clear();
            return await EarlierRunAsync(idempotencyKey, ct) is { Count: > 0 } twin ? twin : throw new InvalidOperationException("Idempotency key conflict without an earlier run.");
        }
    }

    private async Task<List<LedgerEntry>> EarlierRunAsync(string idempotencyKey, CancellationToken ct)
    {
        var first = await db.LedgerEntries.AsNoTracking().SingleOrDefaultAsync(e => e.IdempotencyKey == idempotencyKey, ct);
        if (first is null) return [];
        // The rest of that run: the same transaction wrote them right after the first, with derived keys.
        var rest = await db.LedgerEntries.AsNoTracking()
            .Where(e => e.Id > first.Id && e.BusinessId == first.BusinessId && e.IdempotencyKey != null && e.IdempotencyKey.StartsWith(idempotencyKey + "#"))
            .OrderBy(e => e.Id).Take(1000).ToListAsync(ct);
        return [first, .. rest];
    }

    /// <summary>
    /// Moves seconds between two accounts inside the current transaction. The debit is a
    /// conditional update: when it would take a bounded account below its floor, no row changes
    /// and <paramref name="whenShort"/> is thrown (the check constraint is the last line behind it).
    /// </summary>
    private async Task<LedgerEntry> TransferAsync(TransferKind kind, LedgerAccount from, LedgerAccount to, long seconds,
        Guid businessId, Guid? memberId, Guid? actor, string? idempotencyKey, Guid? couponId, Infrastructure.ErrorInfo? whenShort, CancellationToken ct)
    {
        if (seconds <= 0) throw new AppProblem(LedgerErrors.InvalidAmount, "seconds");
        var bounded = from.Kind is LedgerAccountKind.BusinessPool or LedgerAccountKind.MemberWallet or LedgerAccountKind.CallHold or LedgerAccountKind.PostpaidCredit;
        var debited = await db.LedgerAccounts
            .Where(a => a.Id == from.Id && (!bounded || a.Balance - seconds >= -a.CreditLimit))
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Balance, a => a.Balance - seconds), ct);
        if (debited == 0) throw new AppProblem(whenShort ?? LedgerErrors.PoolTooSmall, "seconds");
        await db.LedgerAccounts.Where(a => a.Id == to.Id).ExecuteUpdateAsync(s => s.SetProperty(a => a.Balance, a => a.Balance + seconds), ct);

        var ids = new[] { from.Id, to.Id };
        var after = await db.LedgerAccounts.AsNoTracking().Where(a => ids.Contains(a.Id)).ToDictionaryAsync(a => a.Id, a => a.Balance, ct);
        var entry = new LedgerEntry
        {
            At = clock.GetUtcNow().UtcDateTime,
            Kind = kind,
            FromAccountId = from.Id,
            ToAccountId = to.Id,
            Seconds = seconds,
            FromBalanceAfter = after[from.Id],
            ToBalanceAfter = after[to.Id],
            BusinessId = businessId,
            MemberId = memberId,
            ActorAccountId = actor,
            IdempotencyKey = idempotencyKey,
            CouponId = couponId,
        };
        db.LedgerEntries.Add(entry);
        await db.SaveChangesAsync(ct);
        return entry;
    }

    /// <summary>An account that <see cref="EnsureAsync"/> created before the transaction began.</summary>
    private Task<LedgerAccount> AccountAsync(string key, CancellationToken ct) =>
        db.LedgerAccounts.AsNoTracking().SingleAsync(a => a.Key == key, ct);

    private sealed record AccountSpec(string Key, LedgerAccountKind Kind, Guid? BusinessId, Guid? MemberId);

    private static AccountSpec Pool(Guid businessId) => new(PoolKey(businessId), LedgerAccountKind.BusinessPool, businessId, null);
    private static AccountSpec Wallet(Guid businessId, Guid memberId) => new(WalletKey(memberId), LedgerAccountKind.MemberWallet, businessId, memberId);
    private static AccountSpec Hold(Guid businessId, Guid memberId) => new(HoldKey(memberId), LedgerAccountKind.CallHold, businessId, memberId);
    private static AccountSpec Credit(Guid businessId) => new(CreditKey(businessId), LedgerAccountKind.PostpaidCredit, businessId, null);
    private static readonly AccountSpec PostpaidBilling = new(PostpaidBillingKey, LedgerAccountKind.PostpaidBilling, null, null);
    private static readonly AccountSpec CouponSource = new(CouponSourceKey, LedgerAccountKind.CouponSource, null, null);
    private static AccountSpec Usage(Guid businessId, Guid memberId) => new(UsageKey(memberId), LedgerAccountKind.Usage, businessId, memberId);

    /// <summary>
    /// Creates missing accounts before an operation's transaction begins, so a lost creation race
    /// (two first uses at once) never aborts the operation itself.
    /// </summary>
    private async Task EnsureAsync(CancellationToken ct, params AccountSpec[] specs)
    {
        specs = specs.Where(s => !knownAccounts.Contains(s.Key)).ToArray();
        if (specs.Length == 0) return;
        var keys = specs.Select(s => s.Key).ToList();
        var existing = await db.LedgerAccounts.Where(a => keys.Contains(a.Key)).Select(a => a.Key).ToListAsync(ct);
        var missing = specs.Where(s => !existing.Contains(s.Key)).ToList();
        knownAccounts.AddRange(existing);
        if (missing.Count == 0) return;
        foreach (var spec in missing)
        {
            // A racing request may create the same account at the same moment: the unique key keeps
            // one, and neither fails (nor logs a failed insert). Same statement on both databases.
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO "LedgerAccounts" ("Id", "Key", "Kind", "BusinessId", "MemberId", "Balance", "CreditLimit")
                VALUES ({Guid.CreateVersion7()}, {spec.Key}, {(int)spec.Kind}, {spec.BusinessId}, {spec.MemberId}, 0, 0)
                ON CONFLICT ("Key") DO NOTHING
                """, ct);
            knownAccounts.Add(spec.Key);
        }
    }

    /// <summary>
    /// 멤버 삭제, inside the deletion's transaction: the member's whole free time goes back (credit
    /// drawn is repaid first, as a reclaim does), with reclaim entries in the history. Returns the
    /// seconds returned, or null when a call holds some of the member's time: then nothing moves.
    /// The wallet is locked first, as a hold takes it, so no call starts between the look and the move.
    /// </summary>
    internal async Task<long?> ReclaimAllForDeletionAsync(Guid businessId, Guid memberId, Guid actor, CancellationToken ct)
    {
        await LockAsync(WalletKey(memberId), ct);
        var free = await db.LedgerAccounts.Where(a => a.Key == WalletKey(memberId)).Select(a => a.Balance).SingleAsync(ct);
        var held = await db.LedgerAccounts.Where(a => a.Key == HoldKey(memberId)).Select(a => a.Balance).SingleOrDefaultAsync(ct);
        if (held > 0) return null;
        if (free <= 0) return 0;
        var wallet = await AccountAsync(WalletKey(memberId), ct);
        var credit = await AccountAsync(CreditKey(businessId), ct);
        var toCredit = Math.Min(free, Math.Max(0, -credit.Balance));
        if (toCredit > 0)
            await TransferAsync(TransferKind.Reclaim, wallet, credit, toCredit, businessId, memberId, actor, null, null, LedgerErrors.WalletTooSmall, ct);
        if (free - toCredit > 0)
            await TransferAsync(TransferKind.Reclaim, wallet, await AccountAsync(PoolKey(businessId), ct), free - toCredit, businessId, memberId, actor, null, null, LedgerErrors.WalletTooSmall, ct);
        return free;
    }

    /// <summary>For a member's deletion, whose transaction the member rules open.</summary>
    internal Task EnsureMemberAccountsAsync(Guid businessId, Guid memberId, CancellationToken ct) =>
        EnsureAsync(ct, Pool(businessId), Credit(businessId), Wallet(businessId, memberId), Hold(businessId, memberId));

    /// <summary>For a plan change, whose transaction the statements open.</summary>
    internal Task EnsureCreditAccountAsync(Guid businessId, CancellationToken ct) => EnsureAsync(ct, Credit(businessId));

    /// <summary>For a coupon redemption, whose transaction the coupon rules open.</summary>
    internal Task EnsureChargeAccountsAsync(Guid businessId, CancellationToken ct) => EnsureAsync(ct, CouponSource, Pool(businessId));
}

/// <summary>
/// Keys of ledger accounts known to exist (accounts are never deleted), so the hot path skips
/// asking the database. One per service instance.
/// </summary>
public sealed class LedgerAccountKeys
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _keys = new();

    public bool Contains(string key) => _keys.ContainsKey(key);
    public void Add(string key) => _keys.TryAdd(key, 0);
    public void AddRange(IEnumerable<string> keys)
    {
        foreach (var key in keys) Add(key);
    }
}
