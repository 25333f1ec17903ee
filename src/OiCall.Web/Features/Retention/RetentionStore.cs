using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OiCall.Web.Data;
using OiCall.Web.Features.Telephony;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Retention;

/// <summary>Sealed records of one Korean month's calls (as the current period counts back from their expiry).</summary>
public sealed record RetentionMonth(int Year, int Month, int Records, DateTime FirstExpiry, DateTime LastExpiry);

/// <summary>
/// The sealed retention store: the service appends and purges; it cannot read what it appended.
/// </summary>
public sealed class RetentionStore(AppDbContext db, RetentionKey key, TimeProvider clock, IOptions<RetentionOptions> options, IOptions<SipOptions> sip)
{
    /// <summary>Whether calls can be recorded (and so let through).</summary>
    public bool Ready => key.Configured;

    /// <summary>Seals <paramref name="facts"/> (with this service's edge) and appends it, in its own statement.</summary>
    public async Task SealAsync(CallFacts facts, CancellationToken ct = default)
    {
        var edge = sip.Value;
        var record = new RetentionRecord
        {
            KeyId = key.Id,
            ExpiresAt = ExpiryOf(clock.GetUtcNow().UtcDateTime, options.Value.Months),
            Sealed = key.Seal((facts with { Edge = facts.Edge ?? $"{edge.Domain}:{edge.Port}/{edge.Transport}" }).ToPlaintext()),
        };
        db.RetentionRecords.Add(record);
        await db.SaveChangesAsync(ct);
        db.Entry(record).State = EntityState.Detached;
    }

    /// <summary>
    /// The start of the Korean day after <paramref name="months"/> months from the Korean day of
    /// <paramref name="utc"/>: never shorter than the period, at most a day longer, and the clear
    /// column tells only the day.
    /// </summary>
    public static DateTime ExpiryOf(DateTime utc, int months)
    {
        var day = SeoulTime.Of(utc).Date;
        // Korea keeps no daylight saving time: whole days apart in Seoul are whole days apart in UTC.
        return SeoulTime.DayStartUtc(utc) + (day.AddMonths(months).AddDays(1) - day);
    }

    /// <summary>Deletes every record whose period is over; returns how many.</summary>
    public Task<int> PurgeExpiredAsync(CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return db.RetentionRecords.Where(r => r.ExpiresAt <= now).ExecuteDeleteAsync(ct);
    }

    /// <summary>How many records there are per call month; nothing of what they hold.</summary>
    public async Task<IReadOnlyList<RetentionMonth>> MonthsAsync(CancellationToken ct = default)
    {
        // Expiries are whole Korean days: at most a few hundred groups.
        var days = await db.RetentionRecords.GroupBy(r => r.ExpiresAt).Select(g => new { Expiry = g.Key, Records = g.Count() }).ToListAsync(ct);
        return days
            .GroupBy(d => CallMonthOf(d.Expiry, options.Value.Months))
            .OrderBy(g => g.Key)
            .Select(g => new RetentionMonth(g.Key.Year, g.Key.Month, g.Sum(d => d.Records), g.Min(d => d.Expiry), g.Max(d => d.Expiry)))
            .ToList();
    }

    private static DateOnly CallMonthOf(DateTime expiry, int months)
    {
        var day = SeoulTime.Of(expiry).Date.AddDays(-1).AddMonths(-months);
        return new DateOnly(day.Year, day.Month, 1);
    }
}

public static class RetentionRegistration
{
    public static IServiceCollection AddRetention(this IServiceCollection services, IHostEnvironment environment)
    {
        services.AddOptions<RetentionOptions>().BindConfiguration("Retention")
            .Validate(o => o.Problem(keyRequired: !environment.IsDevelopment()) is null,
                "Retention settings are invalid: Retention:PublicKey/KeyId (required outside Development), Months 6–60, PurgeInterval > 0.")
            .ValidateOnStart();
        services.AddSingleton<RetentionKey>();
        services.AddScoped<RetentionStore>();
        services.AddSingleton<RetentionPurge>();
        services.AddHostedService(sp => sp.GetRequiredService<RetentionPurge>());
        return services;
    }
}
