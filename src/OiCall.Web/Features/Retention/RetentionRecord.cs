using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OiCall.Web.Features.Retention;

/// <summary>
/// One sealed call fact. In clear only what purging and opening need: the key it is sealed to and
/// the day it is deleted (a Korean midnight, so not even the call's time of day shows). Appended and
/// deleted, never changed (a trigger refuses updates).
/// </summary>
public sealed class RetentionRecord
{
    public long Id { get; init; }
    public required string KeyId { get; init; }
    /// <summary>When the record is deleted: the start of the Korean day after its period ended.</summary>
    public DateTime ExpiresAt { get; init; }
    /// <summary>crypto_box_seal of the padded <see cref="CallFacts"/> JSON to the key's public half.</summary>
    public required byte[] Sealed { get; init; }
}

internal sealed class RetentionRecordConfiguration : IEntityTypeConfiguration<RetentionRecord>
{
    public void Configure(EntityTypeBuilder<RetentionRecord> b)
    {
        b.Property(r => r.KeyId).HasMaxLength(32);
        b.HasIndex(r => r.ExpiresAt);
    }
}

/// <summary>Sealed records are appended and deleted, never rewritten: the database refuses an update.</summary>
public static class RetentionRecordTriggers
{
    public static void Create(Microsoft.EntityFrameworkCore.Migrations.MigrationBuilder migration, bool postgres)
    {
        if (postgres)
        {
            migration.Sql("""
                CREATE FUNCTION retention_records_no_update() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'sealed call records are never changed'; END $$;
                CREATE TRIGGER "RetentionRecords_no_update" BEFORE UPDATE ON "RetentionRecords"
                FOR EACH ROW EXECUTE FUNCTION retention_records_no_update();
                """);
            return;
        }
        migration.Sql("CREATE TRIGGER \"RetentionRecords_no_update\" BEFORE UPDATE ON \"RetentionRecords\" BEGIN SELECT RAISE(ABORT, 'sealed call records are never changed'); END;");
    }

    public static void Drop(Microsoft.EntityFrameworkCore.Migrations.MigrationBuilder migration, bool postgres)
    {
        migration.Sql(postgres
            ? "DROP TRIGGER IF EXISTS \"RetentionRecords_no_update\" ON \"RetentionRecords\"; DROP FUNCTION IF EXISTS retention_records_no_update();"
            : "DROP TRIGGER IF EXISTS \"RetentionRecords_no_update\";");
    }
}
