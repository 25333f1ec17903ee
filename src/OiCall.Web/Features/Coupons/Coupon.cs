using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OiCall.Web.Features.Coupons;

public enum CouponState
{
    /// <summary>Issued and not yet used; usable until it expires.</summary>
    Issued = 0,
    /// <summary>Charged to a business, once.</summary>
    Redeemed = 1,
    /// <summary>Withdrawn by an operator; never usable.</summary>
    Void = 2,
}

/// <summary>A batch the operator issued at once (count × minutes, expiry, memo).</summary>
public sealed class CouponBatch
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public DateTime CreatedAt { get; init; }
    public Guid CreatedBy { get; init; }
    public int Count { get; init; }
    public long SecondsEach { get; init; }
    public DateTime ExpiresAt { get; init; }
    public string? Memo { get; init; }
}

/// <summary>A one-time code worth some minutes. Only a keyed hash of the code is stored.</summary>
public sealed class Coupon
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid BatchId { get; init; }
    /// <summary>HMAC-SHA256(server key, canonical code), hex.</summary>
    public required string CodeHash { get; init; }
    /// <summary>The last group, so support can talk about a coupon without its code.</summary>
    public required string Hint { get; init; }
    public long Seconds { get; init; }
    public DateTime ExpiresAt { get; init; }
    public CouponState State { get; set; }
    public DateTime? RedeemedAt { get; set; }
    public Guid? RedeemedBusinessId { get; set; }
    public Guid? RedeemedBy { get; set; }
}

/// <summary>A failed redemption, counted for the 10-per-hour limit per account and per IP.</summary>
public sealed class CouponFailure
{
    public long Id { get; init; }
    public DateTime At { get; init; }
    public Guid AccountId { get; init; }
    public required string Ip { get; init; }
    public required string Reason { get; init; }
}

internal sealed class CouponConfiguration : IEntityTypeConfiguration<Coupon>
{
    public void Configure(EntityTypeBuilder<Coupon> b)
    {
        b.HasIndex(c => c.CodeHash).IsUnique();
        b.HasIndex(c => c.BatchId);
        b.Property(c => c.CodeHash).HasMaxLength(64);
        b.Property(c => c.Hint).HasMaxLength(8);
        b.HasOne<CouponBatch>().WithMany().HasForeignKey(c => c.BatchId);
    }
}

internal sealed class CouponBatchConfiguration : IEntityTypeConfiguration<CouponBatch>
{
    public void Configure(EntityTypeBuilder<CouponBatch> b) => b.Property(x => x.Memo).HasMaxLength(200);
}

internal sealed class CouponFailureConfiguration : IEntityTypeConfiguration<CouponFailure>
{
    public void Configure(EntityTypeBuilder<CouponFailure> b)
    {
        b.HasIndex(f => new { f.AccountId, f.At });
        b.HasIndex(f => new { f.Ip, f.At });
        b.Property(f => f.Ip).HasMaxLength(64);
        b.Property(f => f.Reason).HasMaxLength(40);
    }
}
