using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OiCall.Web.Features.Accounts;

public enum SessionKind
{
    /// <summary>A browser: the session id travels in the encrypted auth cookie.</summary>
    Cookie = 1,
    /// <summary>A mobile app: an opaque bearer token, stored here only as its SHA-256.</summary>
    Bearer = 2,
}

/// <summary>One login. Logging out revokes it, which ends the cookie or token at once.</summary>
public sealed class AccountSession
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid AccountId { get; init; }
    public SessionKind Kind { get; init; }
    /// <summary>SHA-256 of the bearer token, hex; null for cookie sessions.</summary>
    public string? TokenHash { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? RevokedAt { get; set; }
    public string? Ip { get; init; }
    public string? UserAgent { get; init; }
}

internal sealed class AccountSessionConfiguration : IEntityTypeConfiguration<AccountSession>
{
    public void Configure(EntityTypeBuilder<AccountSession> b)
    {
        b.HasIndex(s => s.TokenHash).IsUnique();
        b.HasIndex(s => s.AccountId);
        b.Property(s => s.TokenHash).HasMaxLength(64);
        b.Property(s => s.Ip).HasMaxLength(64);
        b.Property(s => s.UserAgent).HasMaxLength(300);
        b.HasOne<Account>().WithMany().HasForeignKey(s => s.AccountId);
    }
}
