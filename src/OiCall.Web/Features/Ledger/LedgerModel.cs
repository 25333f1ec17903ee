using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using OiCall.Web.Features.Telephony;

namespace OiCall.Web.Features.Ledger;

public enum LedgerAccountKind
{
    /// <summary>Where coupon time comes from: one account for the whole service; goes negative as coupons are redeemed.</summary>
    CouponSource = 1,
    /// <summary>A business's callable time (통화가능 시간), not yet handed to members. Never below zero.</summary>
    BusinessPool = 2,
    /// <summary>A member's remaining time. Never below zero.</summary>
    MemberWallet = 3,
    /// <summary>A member's time held by calls in progress (authorized, not yet settled).</summary>
    CallHold = 4,
    /// <summary>Time a member spent on calls (one account per member).</summary>
    Usage = 5,
    /// <summary>A postpaid business's credit line; goes negative down to its limit.</summary>
    PostpaidCredit = 6,
    /// <summary>Where billed postpaid usage is settled from: one account for the whole service; goes negative as months are billed.</summary>
    PostpaidBilling = 7,
}

/// <summary>A ledger account and its balance in whole seconds. The balance is the sum of its entries, kept with each transfer.</summary>
public sealed class LedgerAccount
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    /// <summary>What the account is for, as a unique key: "pool:{business}", "wallet:{member}", "coupons", ….</summary>
    public required string Key { get; init; }
    public LedgerAccountKind Kind { get; init; }
    public Guid? BusinessId { get; init; }
    public Guid? MemberId { get; init; }
    public long Balance { get; set; }
    /// <summary>How far below zero a postpaid credit line may go; 0 for every other account.</summary>
    public long CreditLimit { get; set; }
}

public enum TransferKind
{
    /// <summary>쿠폰 충전: coupon source → business pool.</summary>
    CouponCharge = 1,
    /// <summary>시간분배: business pool (or postpaid credit) → member wallet.</summary>
    Distribution = 2,
    /// <summary>회수: member wallet → business pool (or postpaid credit).</summary>
    Reclaim = 3,
    /// <summary>A call's authorization and each next slice of it: member wallet → call hold.</summary>
    CallHold = 4,
    /// <summary>A call's end: call hold → usage, the seconds actually spoken (all granted ones when its edge was lost).</summary>
    CallSettle = 5,
    /// <summary>A call's end or expiry: call hold → member wallet, what was not spoken.</summary>
    HoldRelease = 6,
    /// <summary>후불 청구: a closed month's usage restores the postpaid credit line (billing → credit).</summary>
    PostpaidUsage = 7,
}

public static class CallUsage
{
    /// <summary>
    /// Entries that are a call's spoken seconds, one per call that was billed anything: statements
    /// and postpaid billing count these. Written as constants so the SQL can use the kind index.
    /// </summary>
    public static readonly System.Linq.Expressions.Expression<Func<LedgerEntry, bool>> IsCallUsage =
        e => e.Kind == TransferKind.CallSettle;
}

/// <summary>One transfer between two accounts. Append only: the database refuses updates and deletes.</summary>
public sealed class LedgerEntry
{
    public long Id { get; init; }
    public DateTime At { get; init; }
    public TransferKind Kind { get; init; }
    public Guid FromAccountId { get; init; }
    public Guid ToAccountId { get; init; }
    /// <summary>Whole seconds, always positive.</summary>
    public long Seconds { get; init; }
    public long FromBalanceAfter { get; init; }
    public long ToBalanceAfter { get; init; }
    public Guid BusinessId { get; init; }
    public Guid? MemberId { get; init; }
    public Guid? ActorAccountId { get; init; }
    /// <summary>What makes a repeat of the same request change nothing (request id, coupon, SIP Call-ID).</summary>
    public string? IdempotencyKey { get; init; }
    public Guid? CouponId { get; init; }
}

public enum HoldState
{
    /// <summary>Time is held for a call in progress.</summary>
    Held = 0,
    /// <summary>The call ended: spoken seconds went to usage, the rest back to the wallet.</summary>
    Settled = 1,
    /// <summary>
    /// No end report came in time: the edge was lost, and all that was granted (up to the last
    /// slice) went to usage, as it may have been spoken. Final: a late report changes nothing.
    /// </summary>
    Expired = 2,
}

/// <summary>Time held for one call (by SIP Call-ID), resolved exactly once.</summary>
public sealed class CallHold
{
    /// <summary>
    /// How long after its granted time a hold waits for the call's end report before it expires
    /// (and is charged): an edge that was cut off replays the ends it spooled.
    /// </summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(2);

    /// <summary>The expiry rule: a hold made at <paramref name="heldAt"/> expires after its granted time plus the grace.</summary>
    public static DateTime ExpiryOf(DateTime heldAt, long grantedSeconds) => heldAt + TimeSpan.FromSeconds(grantedSeconds) + Grace;

    /// <summary>
    /// The earliest moment a hold still held at <paramref name="now"/> can have been made, when none is
    /// granted more than <paramref name="maxGrantedSeconds"/>: anything older has expired.
    /// </summary>
    public static DateTime OldestUnexpired(DateTime now, long maxGrantedSeconds) => now - (ExpiryOf(now, maxGrantedSeconds) - now);

    public Guid Id { get; init; } = Guid.CreateVersion7();
    public required string CallId { get; init; }
    public Guid BusinessId { get; init; }
    public Guid MemberId { get; init; }
    /// <summary>All slices held so far (CallSlices adds each next one).</summary>
    public long GrantedSeconds { get; init; }
    public long SettledSeconds { get; set; }
    public HoldState State { get; set; }
    public DateTime CreatedAt { get; init; }
    /// <summary><see cref="ExpiryOf"/>(<see cref="CreatedAt"/>, <see cref="GrantedSeconds"/>), stored for the expiry's index.</summary>
    public DateTime ExpiresAt { get; init; }
    public DateTime? ResolvedAt { get; set; }
}

internal sealed class LedgerAccountConfiguration : IEntityTypeConfiguration<LedgerAccount>
{
    public void Configure(EntityTypeBuilder<LedgerAccount> b)
    {
        // The database refuses a negative pool, wallet or hold, and a credit line beyond its limit,
        // whatever the code above it does.
        b.ToTable(t =>
        {
            t.HasCheckConstraint("CK_LedgerAccounts_NotNegative",
                $"\"Kind\" NOT IN ({(int)LedgerAccountKind.BusinessPool}, {(int)LedgerAccountKind.MemberWallet}, {(int)LedgerAccountKind.CallHold}, {(int)LedgerAccountKind.PostpaidCredit}) OR \"Balance\" >= -\"CreditLimit\"");
            t.HasCheckConstraint("CK_LedgerAccounts_CreditLimit",
                $"\"CreditLimit\" >= 0 AND (\"Kind\" = {(int)LedgerAccountKind.PostpaidCredit} OR \"CreditLimit\" = 0)");
        });
        b.HasIndex(a => a.Key).IsUnique();
        b.Property(a => a.Key).HasMaxLength(60);
        b.HasIndex(a => a.BusinessId);
        b.HasIndex(a => a.MemberId);
    }
}

internal sealed class LedgerEntryConfiguration : IEntityTypeConfiguration<LedgerEntry>
{
    public void Configure(EntityTypeBuilder<LedgerEntry> b)
    {
        b.ToTable(t => t.HasCheckConstraint("CK_LedgerEntries_Positive", "\"Seconds\" > 0"));
        b.HasIndex(e => e.IdempotencyKey).IsUnique();
        // History pages, newest first with keyset paging on Id. Calls add several entries each, so
        // the distribution tab gets partial indexes of its own rather than filtering through them.
        b.HasIndex(e => new { e.BusinessId, e.Kind, e.Id });
        b.HasIndex(e => new { e.BusinessId, e.Id }).HasDatabaseName("IX_LedgerEntries_Distributions").HasFilter(History.DistributionFilterSql);
        b.HasIndex(e => new { e.MemberId, e.Id }).HasDatabaseName("IX_LedgerEntries_MemberDistributions").HasFilter(History.DistributionFilterSql);
        // Periods (history filters, monthly statements) find their place by time.
        b.HasIndex(e => new { e.BusinessId, e.At });
        b.Property(e => e.IdempotencyKey).HasMaxLength(200);
        b.HasOne<LedgerAccount>().WithMany().HasForeignKey(e => e.FromAccountId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<LedgerAccount>().WithMany().HasForeignKey(e => e.ToAccountId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class CallHoldConfiguration : IEntityTypeConfiguration<CallHold>
{
    public void Configure(EntityTypeBuilder<CallHold> b)
    {
        b.HasIndex(h => h.CallId).IsUnique();
        b.HasIndex(h => new { h.State, h.ExpiresAt });
        b.Property(h => h.CallId).HasMaxLength(SipLimits.MaxCallIdLength);
    }
}

/// <summary>
/// Nothing reads ledger entries by account and accounts are never deleted, so the entries' account
/// foreign keys need no index of their own; EF's convention adds one to every foreign key, and
/// these two cost every call three index writes each.
/// </summary>
internal sealed class ForeignKeyIndexesButLedgerAccounts(ProviderConventionSetBuilderDependencies dependencies)
    : ForeignKeyIndexConvention(dependencies)
{
    protected override IConventionIndex? CreateIndex(IReadOnlyList<IConventionProperty> properties, bool unique, IConventionEntityTypeBuilder entityTypeBuilder) =>
        entityTypeBuilder.Metadata.ClrType == typeof(LedgerEntry)
        && properties is [{ Name: nameof(LedgerEntry.FromAccountId) or nameof(LedgerEntry.ToAccountId) }]
            ? null
            : base.CreateIndex(properties, unique, entityTypeBuilder);
}
