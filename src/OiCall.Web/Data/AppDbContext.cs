using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using OiCall.Web.Features.Accounts;
using OiCall.Web.Features.Audit;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Features.Coupons;
using OiCall.Web.Features.Ledger;
using OiCall.Web.Features.Members;

namespace OiCall.Web.Data;

/// <summary>
/// The one model of the service. Each provider has its own subclass so that SQLite and PostgreSQL
/// keep separate migration sets side by side (see SqliteAppDbContext / PostgresAppDbContext).
/// </summary>
public abstract class AppDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<Account> Accounts => Set<Account>();
    public DbSet<AccountSession> Sessions => Set<AccountSession>();
    public DbSet<OtpChallenge> OtpChallenges => Set<OtpChallenge>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<Business> Businesses => Set<Business>();
    public DbSet<Member> Members => Set<Member>();
    public DbSet<LedgerAccount> LedgerAccounts => Set<LedgerAccount>();
    public DbSet<LedgerEntry> LedgerEntries => Set<LedgerEntry>();
    public DbSet<CallHold> CallHolds => Set<CallHold>();
    public DbSet<CouponBatch> CouponBatches => Set<CouponBatch>();
    public DbSet<Coupon> Coupons => Set<Coupon>();
    public DbSet<CouponFailure> CouponFailures => Set<CouponFailure>();
    public DbSet<Features.CallerNumbers.CallerNumber> CallerNumbers => Set<Features.CallerNumbers.CallerNumber>();
    public DbSet<Features.CallerNumbers.CallerNumberDocument> CallerNumberDocuments => Set<Features.CallerNumbers.CallerNumberDocument>();
    public DbSet<Features.Telephony.SipCredential> SipCredentials => Set<Features.Telephony.SipCredential>();
    public DbSet<Features.Telephony.CallRecord> CallRecords => Set<Features.Telephony.CallRecord>();
    public DbSet<Infrastructure.IdempotentRequest> IdempotentRequests => Set<Infrastructure.IdempotentRequest>();
    public DbSet<Features.Inbound.RingGroup> RingGroups => Set<Features.Inbound.RingGroup>();
    public DbSet<Features.Inbound.RingGroupMember> RingGroupMembers => Set<Features.Inbound.RingGroupMember>();
    public DbSet<Features.Retention.RetentionRecord> RetentionRecords => Set<Features.Retention.RetentionRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(AppDbContext).Assembly);

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Conventions.Replace<Microsoft.EntityFrameworkCore.Metadata.Conventions.ForeignKeyIndexConvention>(services =>
            new Features.Ledger.ForeignKeyIndexesButLedgerAccounts(services.GetRequiredService<Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure.ProviderConventionSetBuilderDependencies>()));
        // Times are stored in UTC; SQLite hands them back without a kind, so say it again on read.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<NullableUtcConverter>();
    }

    private sealed class UtcConverter() : ValueConverter<DateTime, DateTime>(
        v => v.ToUniversalTime(), v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

    private sealed class NullableUtcConverter() : ValueConverter<DateTime?, DateTime?>(
        v => v.HasValue ? v.Value.ToUniversalTime() : v,
        v => v.HasValue ? DateTime.SpecifyKind(v.Value, DateTimeKind.Utc) : v);
}

public sealed class SqliteAppDbContext(DbContextOptions<SqliteAppDbContext> options) : AppDbContext(options);

public sealed class PostgresAppDbContext(DbContextOptions<PostgresAppDbContext> options) : AppDbContext(options);
