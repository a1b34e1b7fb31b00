#!/usr/bin/env bash
# The same portfolio read from files (CSV and JSON Lines) gives the same scan
# as the generated sample: the CLI's readers lose nothing.
set -euo pipefail
cli="$1"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
"$cli" sample --accounts 60 --out "$dir" >/dev/null
"$cli" scan --sample --accounts 60 --json >"$dir/from_sample.json"
"$cli" scan --portfolio "$dir/portfolio.json" --events "$dir/events.csv" --as-of 2026-11-23 --json >"$dir/from_csv.json"
diff "$dir/from_sample.json" "$dir/from_csv.json"
# JSON Lines: one object per event, converted from the CSV.
python3 - "$dir" <<'PY'
import csv, json, sys
d = sys.argv[1]
with open(f"{d}/events.csv") as f, open(f"{d}/events.jsonl", "w") as out:
    for row in csv.DictReader(f):
        obj = {"ts": int(row["ts"]), "account": row["account"], "type": row["type"]}
        for k in ("actor", "item"):
            if row[k]:
                obj[k] = row[k]
        if row["value"]:
            obj["value"] = float(row["value"])
        if row["id"]:
            obj["id"] = int(row["id"])
        out.write(json.dumps(obj) + "\n")
PY
"$cli" scan --portfolio "$dir/portfolio.json" --events "$dir/events.jsonl" --as-of 2026-11-23 --json >"$dir/from_jsonl.json"
diff "$dir/from_sample.json" "$dir/from_jsonl.json"
# A bad row is reported with its line, and the scan still runs.
printf 'ts,account,type,actor\n1790000000,acct-9999,login,u1\n' >"$dir/bad.csv"
"$cli" scan --portfolio "$dir/portfolio.json" --events "$dir/bad.csv" --as-of 2026-11-23 2>"$dir/err" >/dev/null
grep -q 'row 0: unknown account "acct-9999"' "$dir/err"
echo ok
