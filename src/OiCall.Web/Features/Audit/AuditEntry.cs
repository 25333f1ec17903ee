using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Audit;

/// <summary>Who did what, when, from where. Append only; never holds a code or a secret.</summary>
public sealed class AuditEntry
{
    public long Id { get; init; }
    public DateTime At { get; init; }
    /// <summary>The account that acted; null when nobody is known (a failed login for an unknown ID).</summary>
    public Guid? ActorAccountId { get; init; }
    /// <summary>Stable dotted name, for example "login.succeeded".</summary>
    public required string Action { get; init; }
    public Guid? BusinessId { get; init; }
    /// <summary>What the action was about (a login ID typed, a member id, …).</summary>
    public string? Subject { get; init; }
    public string? Detail { get; init; }
    public string? Ip { get; init; }
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> b)
    {
        b.HasIndex(e => new { e.ActorAccountId, e.At });
        b.HasIndex(e => new { e.BusinessId, e.At });
        b.Property(e => e.Action).HasMaxLength(64);
        b.Property(e => e.Subject).HasMaxLength(100);
        b.Property(e => e.Detail).HasMaxLength(500);
        b.Property(e => e.Ip).HasMaxLength(64);
    }
}

/// <summary>Adds entries to the current unit of work, so an entry is saved with the change it describes.</summary>
public sealed class AuditLog(Data.AppDbContext db, TimeProvider clock, IHttpContextAccessor http)
{
    public void Add(string action, Guid? actor, string? subject = null, string? detail = null, Guid? businessId = null)
    {
        var context = http.HttpContext;
        db.AuditEntries.Add(new AuditEntry
        {
            At = clock.GetUtcNow().UtcDateTime,
            ActorAccountId = actor,
            Action = action,
            BusinessId = businessId,
            Subject = Truncate(subject, 100),
            Detail = Truncate(detail, 500),
            Ip = context is null ? null : ClientAddress.Of(context),
        });
    }

    private static string? Truncate(string? value, int max) => value is { Length: var n } && n > max ? value[..max] : value;
}
