#!/usr/bin/env bash
# bench/run_eql_rules.sh: the cost of scanning with ~400 rules loaded.
#
# Runs bench/run.sh with the rows wc, jq, scan (bundled pack) and scan-eql: shrike scan with
# every Windows rule of Elastic's detection-rules repository (EQL rules in TOML; the folder
# also holds KQL, threshold, ES|QL and machine-learning rules, which shrike rejects with a
# reason and which do not count as loaded). Before the timing it prints what `shrike rules
# check` says about the folder, so the table can be read against the number of rules that
# actually loaded.
#
#   bench/run_eql_rules.sh
#   SIZE=1G bench/run_eql_rules.sh
#   EQL_RULES=path/to/rules bench/run_eql_rules.sh
#
# Every variable of bench/run.sh applies (SIZE, SEED, RUNS, SKIP_BUILD, TIMEOUT, ...).
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

EQL_RULES=${EQL_RULES:-../shared/data/eql/detection-rules/rules/windows}
SHRIKE=${SHRIKE:-build/shrike}

if [[ ! -d $EQL_RULES ]]; then
    printf 'bench: error: %s not found: the Elastic detection-rules data is not on this machine\n' "$EQL_RULES" >&2
    printf 'bench:        (expected at ../shared/data/eql/detection-rules/rules relative to the repository;\n' >&2
    printf 'bench:        set EQL_RULES to another folder of Elastic TOML rules)\n' >&2
    exit 1
fi
nfiles=$(find "$EQL_RULES" -name '*.toml' | wc -l)
printf 'bench: %s: %d rule files\n' "$EQL_RULES" "$nfiles" >&2

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    command -v make >/dev/null 2>&1 || { echo "bench: error: make is not installed" >&2; exit 1; }
    printf 'bench: building shrike (make -s)\n' >&2
    make -s || { echo "bench: error: the build failed (make -s)" >&2; exit 1; }
fi
[[ -f $SHRIKE && -x $SHRIKE ]] || { echo "bench: error: $SHRIKE is not an executable file" >&2; exit 1; }

# what loads: `rules check` ends with "N loaded, M rejected" and exits 1 when some are rejected
rc=0
check=$("$SHRIKE" rules check -r "$EQL_RULES" 2>&1) || rc=$?
if ((rc > 1)); then
    printf 'bench: error: %s rules check -r %s failed (exit %d):\n' "$SHRIKE" "$EQL_RULES" "$rc" >&2
    tail -n 10 <<<"$check" | sed 's/^/    /' >&2
    exit 1
fi
summary=$(tail -n 1 <<<"$check")
printf 'bench: rules check: %s\n' "$summary" >&2
# the most frequent rejection reasons, for the record
grep -v '^[0-9]* loaded' <<<"$check" | sed -E 's/^[^:]*(:[0-9]+)?: //' | sort | uniq -c | sort -rn | head -n 8 \
    | sed 's/^/bench:   /' >&2 || true

export EQL_RULES SHRIKE
export SKIP_BUILD=1   # built above
export ONLY=${ONLY:-wc jq scan scan-eql}
export TITLE="shrike benchmark: Elastic detection-rules, Windows ($nfiles files; rules check: $summary)"
exec "$here/run.sh"
