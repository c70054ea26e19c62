#!/bin/bash
# One-shot "init" service of compose.yaml: on the first start, create the database
# with gentle_collections and its demo data; on later starts do nothing, because
# "odoo -i" on an installed module would initialise it again.
set -euo pipefail

db=${GENTLE_DB:-gentle}
# The module's state, empty while the database or Odoo's tables do not exist yet.
# psycopg2 (Odoo's own driver) reads the PG* variables set in compose.yaml.
state=$(python3 -c '
import sys
import psycopg2
try:
    conn = psycopg2.connect(dbname=sys.argv[1], connect_timeout=10)
except psycopg2.OperationalError:
    sys.exit(0)
with conn, conn.cursor() as cr:
    cr.execute("SELECT to_regclass(%s)", ["ir_module_module"])
    if cr.fetchone()[0]:
        cr.execute(
            "SELECT state FROM ir_module_module WHERE name = %s",
            ["gentle_collections"],
        )
        row = cr.fetchone()
        print(row[0] if row else "")
' "$db")

if [ "$state" = installed ]; then
  echo "init: database $db already has gentle_collections, nothing to do"
  exit 0
fi
echo "init: creating database $db with gentle_collections and demo data"
# Demo data comes from "without_demo = False" in odoo.conf. Not from the command
# line: there "--without-demo=False" is the string "False", which Odoo takes as true
# and so loads no demo data at all.
exec odoo -c "${ODOO_RC:-/etc/odoo/odoo.conf}" -d "$db" -i gentle_collections \
  --stop-after-init --no-http
