#!/usr/bin/env bash
# seed_query.sh: seed 000's EQL query exactly as printed on the page
# (../shared/seeds/000_*.txt, between the "eql" line and the severity line),
# run with `shrike query -l eql` over every scenario file: the number of
# sequences must equal the verbatim rule's expected alert count, and the
# bundled rule must hold the same text byte for byte.
set -u
cd "$(dirname "$0")/../.."
BIN=${SHRIKE:-build/shrike}
WRAP=${SHRIKE_WRAP:-}
SEED=$(ls ../shared/seeds/000_*.txt 2>/dev/null | head -1)
if [ -z "$SEED" ]; then
    echo "seed_query: skipped (no ../shared/seeds)"
    echo "seed_query: 0 passed, 0 failed"
    exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
awk '/^eql$/{f=1;next} /severity/{f=0} f' "$SEED" > "$T/q.eql"
pass=0 fail=0
RULE_ID=3c61745c-61a8-5572-942c-0a3408dacc18
if python3 -c "import sys,tomllib; sys.exit(0 if tomllib.load(open('rules/eql/t1587_002_code_signing_certificates.toml','rb'))['rule']['query'] == open('$T/q.eql').read() else 1)"; then
    pass=$((pass + 1))
else
    echo "FAIL the bundled rule's query differs from the page"; fail=$((fail + 1))
fi
for dir in tests/scenarios/*/; do
    for f in "$dir"*.ndjson; do
        want=$(awk -F'\t' -v f="$(basename "$f")" -v r="$RULE_ID" '$1 == f && $2 == r {print $3}' "$dir/expected.tsv")
        [ -n "$want" ] || continue
        got=$($WRAP "$BIN" query -q -l eql "$(cat "$T/q.eql")" "$f" 2>"$T/err" | grep -o '"_sequence":[0-9]*' | sort -u | wc -l)
        if ! grep -qxF "shrike query: warning: 1:1: sequence with a single query: Elasticsearch requires at least two; it runs as a sequence of one" "$T/err"; then
            echo "FAIL $f: no one-query sequence warning"; fail=$((fail + 1))
        fi
        if [ "$got" = "$want" ]; then pass=$((pass + 1)); else
            echo "FAIL $f: $got sequences, expected $want"; fail=$((fail + 1)); fi
    done
done
echo "seed_query: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
