\set m random(1, @MEMBERS@)
BEGIN;
UPDATE "LedgerAccounts" SET "Balance" = "Balance" + 1 WHERE "Key" = (SELECT 'usage:' || mn FROM ceiling_members WHERE n = :m);
END;
BEGIN;
UPDATE "LedgerAccounts" SET "Balance" = "Balance" - 1 WHERE "Key" = (SELECT 'usage:' || mn FROM ceiling_members WHERE n = :m);
END;
