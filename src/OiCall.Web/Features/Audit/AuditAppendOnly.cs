using Microsoft.EntityFrameworkCore.Migrations;

namespace OiCall.Web.Features.Audit;

/// <summary>
/// The audit log is append-only in the database itself, as the ledger is: an entry (an operator
/// opening sealed call records among them) can be neither changed nor deleted by the service, the
/// tools or anyone using their connection. (Whoever may change the schema can still drop the
/// trigger: give the service and the tools a role that cannot.)
/// </summary>
public static class AuditAppendOnly
{
    public static void Create(MigrationBuilder migration, bool postgres)
    {
        if (postgres)
        {
            migration.Sql("""
                CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'audit entries are append-only'; END $$;
                CREATE TRIGGER "AuditEntries_append_only" BEFORE UPDATE OR DELETE ON "AuditEntries"
                FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only();
                CREATE TRIGGER "AuditEntries_no_truncate" BEFORE TRUNCATE ON "AuditEntries"
                FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only();
                """);
            return;
        }
        migration.Sql("CREATE TRIGGER \"AuditEntries_no_update\" BEFORE UPDATE ON \"AuditEntries\" BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;");
        migration.Sql("CREATE TRIGGER \"AuditEntries_no_delete\" BEFORE DELETE ON \"AuditEntries\" BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;");
    }

    public static void Drop(MigrationBuilder migration, bool postgres)
    {
        if (postgres)
        {
            migration.Sql("""
                DROP TRIGGER IF EXISTS "AuditEntries_append_only" ON "AuditEntries";
                DROP TRIGGER IF EXISTS "AuditEntries_no_truncate" ON "AuditEntries";
                DROP FUNCTION IF EXISTS audit_entries_append_only();
                """);
            return;
        }
        migration.Sql("DROP TRIGGER IF EXISTS \"AuditEntries_no_update\";");
        migration.Sql("DROP TRIGGER IF EXISTS \"AuditEntries_no_delete\";");
    }
}
