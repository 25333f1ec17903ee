\set m random(1, @MEMBERS@)
\set c random(1, 1000000000000)
SELECT mid, bid, mn FROM ceiling_members WHERE n = :m \gset
WITH w AS (UPDATE "LedgerAccounts" SET "Held" = "Held" + 180 WHERE "Key" = 'wallet:' || :mn AND "Balance" - "Held" >= 180 RETURNING "Id")
INSERT INTO "CallHolds" ("Id", "CallId", "BusinessId", "MemberId", "GrantedSeconds", "SettledSeconds", "State", "CreatedAt", "ExpiresAt")
SELECT gen_random_uuid(), :c, :bid::uuid, :mid::uuid, 180, 0, 0, now(), now() + interval '5 minutes' FROM w;
WITH h AS (UPDATE "CallHolds" SET "State" = 1, "SettledSeconds" = 60, "ResolvedAt" = now() WHERE "CallId" = :c AND "State" = 0
           RETURNING "MemberId", "BusinessId", "GrantedSeconds", "SettledSeconds"),
     w AS (UPDATE "LedgerAccounts" a SET "Balance" = a."Balance" - h."SettledSeconds", "Held" = a."Held" - h."GrantedSeconds"
           FROM h WHERE a."Key" = 'wallet:' || :mn RETURNING a."Id", a."Balance"),
     u AS (UPDATE "LedgerAccounts" a SET "Balance" = a."Balance" + h."SettledSeconds" FROM h WHERE a."Key" = 'usage:' || :mn RETURNING a."Id", a."Balance")
INSERT INTO "LedgerEntries" ("At", "Kind", "FromAccountId", "ToAccountId", "Seconds", "FromBalanceAfter", "ToBalanceAfter", "BusinessId", "MemberId")
SELECT now(), 5, w."Id", u."Id", h."SettledSeconds", w."Balance", u."Balance", h."BusinessId", h."MemberId" FROM h, w, u;
