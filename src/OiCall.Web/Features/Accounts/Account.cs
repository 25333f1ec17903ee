using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OiCall.Web.Features.Accounts;

/// <summary>A person who logs in: login ID (아이디), name and verified mobile number.</summary>
public sealed class Account
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    /// <summary>Lower-case; 4–20 of a–z, 0–9, '.', '_', '-', starting with a letter.</summary>
    public required string LoginId { get; set; }
    public required string Name { get; set; }
    /// <summary>E.164 (+8210…), verified by an SMS code at sign-up.</summary>
    public required string Phone { get; set; }
    /// <summary>Staff of the service provider (operator console).</summary>
    public bool IsOperator { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime? LastLoginAt { get; set; }
    /// <summary>The business the person works in now (업체 선택); kept across logins.</summary>
    public Guid? CurrentBusinessId { get; set; }
}

internal sealed class AccountConfiguration : IEntityTypeConfiguration<Account>
{
    public void Configure(EntityTypeBuilder<Account> b)
    {
        b.HasIndex(a => a.LoginId).IsUnique();
        b.HasIndex(a => a.Phone).IsUnique();
        b.Property(a => a.LoginId).HasMaxLength(20);
        b.Property(a => a.Name).HasMaxLength(50);
        b.Property(a => a.Phone).HasMaxLength(16);
    }
}
