using Microsoft.EntityFrameworkCore.Migrations;

namespace OiCall.Web.Features.Ledger;

/// <summary>
/// Ledger entries are append-only in the database itself: neither the service nor anyone using its
/// connection can change or remove one. Written by hand (EF has no triggers); the migrations call it.
/// </summary>
public static class LedgerAppendOnly
{
    public static void Create(MigrationBuilder migration, bool postgres)
    {
        if (postgres)
        {
            migration.Sql("""
                CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'ledger entries are append-only'; END $$;
                CREATE TRIGGER "LedgerEntries_append_only" BEFORE UPDATE OR DELETE ON "LedgerEntries"
                FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();
                """);
            return;
        }
        migration.Sql("CREATE TRIGGER \"LedgerEntries_no_update\" BEFORE UPDATE ON \"LedgerEntries\" BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;");
        migration.Sql("CREATE TRIGGER \"LedgerEntries_no_delete\" BEFORE DELETE ON \"LedgerEntries\" BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;");
    }

    public static void Drop(MigrationBuilder migration, bool postgres)
    {
        if (postgres)
        {
            migration.Sql("DROP TRIGGER IF EXISTS \"LedgerEntries_append_only\" ON \"LedgerEntries\"; DROP FUNCTION IF EXISTS ledger_entries_append_only();");
            return;
        }
        migration.Sql("DROP TRIGGER IF EXISTS \"LedgerEntries_no_update\";");
        migration.Sql("DROP TRIGGER IF EXISTS \"LedgerEntries_no_delete\";");
    }
}
