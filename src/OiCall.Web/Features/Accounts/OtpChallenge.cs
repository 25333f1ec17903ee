using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OiCall.Web.Features.Accounts;

public enum OtpPurpose
{
    /// <summary>Log in to an existing account (ID or mobile number + code).</summary>
    Login = 1,
    /// <summary>Prove the mobile number of a new account; the account is created on success.</summary>
    SignUp = 2,
    /// <summary>Prove a business's mobile main number (대표번호 인증); the subject is the business.</summary>
    MainNumber = 3,
    /// <summary>Prove possession of a mobile caller number (발신번호); the subject is the caller number.</summary>
    CallerNumber = 4,
}

/// <summary>
/// One attempt to prove a phone: a 6-digit code, stored only as a keyed hash bound to this
/// attempt's id, valid for a few minutes, usable once, killed by too many wrong tries.
/// An attempt for an unknown login ID is stored too (with no phone and no code that can match),
/// so that it looks and counts exactly like a real one.
/// </summary>
public sealed class OtpChallenge
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public OtpPurpose Purpose { get; init; }
    /// <summary>Where the code went (E.164); null when nothing was sent (unknown login ID).</summary>
    public string? Phone { get; init; }
    /// <summary>What send limits count by: the phone when known, else what the user typed.</summary>
    public required string RateKey { get; init; }
    public Guid? AccountId { get; init; }
    /// <summary>HMAC-SHA256(server key, attempt id + code), hex. Empty when no code can match.</summary>
    public required string CodeHash { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime ExpiresAt { get; init; }
    public int FailedAttempts { get; set; }
    /// <summary>Set when the code was used, or killed by too many wrong tries.</summary>
    public DateTime? ClosedAt { get; set; }
    /// <summary>Where the request came from, as per-IP limits count it (an IPv6 address as its /64).</summary>
    public string? Ip { get; init; }
    /// <summary>Sign-up only: the account to create once the phone is proven.</summary>
    public string? PendingLoginId { get; init; }
    public string? PendingName { get; init; }
    /// <summary>What a phone proof is about (a business for MainNumber); a code never works for another subject.</summary>
    public Guid? SubjectId { get; init; }
}

internal sealed class OtpChallengeConfiguration : IEntityTypeConfiguration<OtpChallenge>
{
    public void Configure(EntityTypeBuilder<OtpChallenge> b)
    {
        b.HasIndex(c => new { c.RateKey, c.CreatedAt });
        b.HasIndex(c => new { c.Ip, c.CreatedAt });
        b.Property(c => c.RateKey).HasMaxLength(40);
        b.Property(c => c.Phone).HasMaxLength(16);
        b.Property(c => c.CodeHash).HasMaxLength(64);
        b.Property(c => c.Ip).HasMaxLength(64);
        b.Property(c => c.PendingLoginId).HasMaxLength(20);
        b.Property(c => c.PendingName).HasMaxLength(50);
    }
}
