#!/usr/bin/env bash
# PostgreSQL's own ceiling for hold+settle pairs on this machine, without the .NET client: pgbench
# (C, prepared statements, 32 clients) runs, for 10 s each,
#   trivial  two one-row UPDATE transactions (the least two commits can cost),
#   ledger   the service's own hold and end statements, taken from PostgresCallStore.cs,
#   reserved the smallest write set a hold could have (a reserved-seconds column on the wallet,
#            one entry per call: not what DESIGN.md's ledger does; a what-if),
# against a database the ledger benchmark kept:
#   dotnet run -c Release --project bench/OiCall.Bench -- --db postgres --pg "…" --only hold --seconds 3 --keep
#   bench/pgbench/ceiling.sh oicall_bench_YYYYMMDD_HHMMSS [port]
# It adds helper tables and a column to that database: drop it afterwards.
set -euo pipefail
db=$1
port=${2:-54340}
here=$(cd "$(dirname "$0")" && pwd)
psql=(psql -h 127.0.0.1 -p "$port" -U postgres -d "$db" -qtA -v ON_ERROR_STOP=1)
pgbench=/usr/lib/postgresql/15/bin/pgbench

"${psql[@]}" <<'SQL'
CREATE TABLE IF NOT EXISTS ceiling_members AS
  SELECT row_number() OVER () AS n, m."Id" AS mid, m."BusinessId" AS bid, replace(m."Id"::text, '-', '') AS mn
  FROM "Members" m JOIN "LedgerAccounts" a ON a."Key" = 'hold:' || replace(m."Id"::text, '-', '');
CREATE UNIQUE INDEX IF NOT EXISTS ceiling_members_n ON ceiling_members (n);
ALTER TABLE "LedgerAccounts" ADD COLUMN IF NOT EXISTS "Held" bigint NOT NULL DEFAULT 0;
-- Enough time in every wallet that no hold comes back empty.
UPDATE "LedgerAccounts" SET "Balance" = "Balance" + 100000000 WHERE "Kind" = 3 AND "Balance" < 100000000;
ANALYZE ceiling_members;
SQL
members=$("${psql[@]}" -c "SELECT count(*) FROM ceiling_members")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$here/../../src/OiCall.Web/Features" "$work/ledger.sql" "$members" <<'PY'
import re, sys
features, out, members = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(features + '/Ledger/PostgresCallStore.cs').read()
# The statements take enum values from C# ({(int)TransferKind.CallHold}): read them from their definitions.
enums = {}
for model in ('/Ledger/LedgerModel.cs', '/Telephony/SipModel.cs'):
    for name, body in re.findall(r'public enum (\w+)\s*\{(.*?)\}', open(features + model).read(), re.S):
        enums.update({f'{name}.{member}': value for member, value in re.findall(r'(\w+) = (\d+)', body)})
def statement(name, values):
    sql = re.search(r'\b' + name + r' = \$"""(.*?)""";', text, re.S).group(1)
    sql = re.sub(r'\{\(int\)(\w+\.\w+)\}', lambda m: enums[m.group(1)], sql)
    for key, value in values.items():
        sql = re.sub('@' + key + r'\b', value, sql)
    return ' '.join(sql.split())
hold = statement('HoldSql', dict(wanted="180::bigint", wallet="'wallet:' || :mn", hold="'hold:' || :mn", now="now()",
    business=":bid::uuid", member=":mid::uuid", entryKey="'hold:' || :c", id="gen_random_uuid()", callId=":c",
    expiresWithoutGrant="now() + INTERVAL '120 seconds'"))
lock = statement('LockForResolveSql', dict(callId=":c"))
end = statement('ResolveSql', dict(state=enums['HoldState.Settled'], spoken="60::bigint", now="now()", callId=":c",
    settleKey="'settle:' || :c", releaseKey="'release:' || :c"))
open(out, 'w').write(f"""\\set m random(1, {members})
\\set c random(1, 1000000000000)
SELECT mid, bid, mn FROM ceiling_members WHERE n = :m \\gset
{hold};
BEGIN;
{lock};
{end};
END;
""")
PY
sed "s/@MEMBERS@/$members/" "$here/trivial.sql" > "$work/trivial.sql"
sed "s/@MEMBERS@/$members/" "$here/reserved.sql" > "$work/reserved.sql"

for script in trivial ledger reserved; do
  tps=$("$pgbench" -h 127.0.0.1 -p "$port" -U postgres -n -M prepared -c 32 -j 2 -T 10 -f "$work/$script.sql" "$db" 2>&1 | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
  printf '%-9s %8.0f pairs/s\n' "$script" "$tps"
done
