#!/usr/bin/env bash
# bench/run_sigma.sh: the cost of scanning with every SigmaHQ Windows rule loaded.
#
# Two inputs, each measured by bench/run.sh with the rows wc, jq, dump (shrike dump: reading
# alone) and scan-r (shrike scan -r SIGMA_RULES), interleaved round by round:
#   1. the OTRF Security-Datasets in ../shared/data/ecs/otrf (real Sysmon and Security events as
#      flat JSON), decompressed once into bench/out/otrf.ndjson so that wc and jq can read them;
#   2. bench/gen_ecs.py's synthetic ECS documents (SIZE, default 200M).
# Before the timings it prints what `shrike rules check` says about the rules; after each table,
# the cost per rule: (scan-r - dump) / (events x rules loaded), in nanoseconds per rule per event.
#
#   bench/run_sigma.sh
#   SIGMA_RULES=../shared/data/sigma/rules/windows/process_creation bench/run_sigma.sh
#   ONLY_DATA=otrf bench/run_sigma.sh           # one input only (otrf or ecs)
#
# Every variable of bench/run.sh applies (SIZE, SEED, RUNS, SKIP_BUILD, TIMEOUT, OUT, ...).
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

SIGMA_RULES=${SIGMA_RULES:-../shared/data/sigma/rules/windows}
OTRF=${OTRF:-../shared/data/ecs/otrf}
SHRIKE=${SHRIKE:-build/shrike}
OUT=${OUT:-bench/out}
ONLY_DATA=${ONLY_DATA:-otrf ecs}

if [[ ! -d $SIGMA_RULES ]]; then
    printf 'bench: error: %s not found (the SigmaHQ rules are expected at ../shared/data/sigma;\n' "$SIGMA_RULES" >&2
    printf 'bench:        set SIGMA_RULES to another folder of Sigma rules)\n' >&2
    exit 1
fi
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    printf 'bench: building shrike (make -s)\n' >&2
    make -s || { echo "bench: error: the build failed (make -s)" >&2; exit 1; }
fi
[[ -x $SHRIKE ]] || { echo "bench: error: $SHRIKE is not an executable file" >&2; exit 1; }

rc=0
check=$("$SHRIKE" rules check -r "$SIGMA_RULES" 2>&1) || rc=$?
if ((rc > 1)); then
    printf 'bench: error: rules check -r %s failed (exit %d)\n' "$SIGMA_RULES" "$rc" >&2
    exit 1
fi
summary=$(tail -n 1 <<<"$check")
loaded=${summary%% loaded*}
printf 'bench: rules check -r %s: %s (%d warnings)\n' "$SIGMA_RULES" "$summary" "$(grep -c ': warning: ' <<<"$check" || true)" >&2

per_rule() {  # per_rule REPORT: ns per rule per event from the dump and scan-r medians
    local report=$1
    awk -v n="$loaded" '
        /^data:/ { for (i = 1; i <= NF; i++) if ($(i + 1) ~ /^events/) ev = $i }
        /^shrike dump / && $3 ~ /^[0-9.]+$/ { dump = $3 }
        /^shrike scan -r / && $5 ~ /^[0-9.]+$/ { scan = $5 }
        END {
            if (ev > 0 && n > 0 && scan != "" && dump != "")
                printf "cost per rule: (%.3f s - %.3f s) / (%d events x %d rules) = %.1f ns per rule per event\n",
                       scan, dump, ev, n, (scan - dump) * 1e9 / (ev * n)
        }' "$report"
}

run_one() {  # run_one NAME [DATA]
    local name=$1 data=${2:-} before after report
    before=$(ls "$OUT"/results-*.txt 2>/dev/null | tail -n 1 || true)
    DATA=$data RULES=$SIGMA_RULES SHRIKE=$SHRIKE SKIP_BUILD=1 OUT=$OUT ONLY="wc jq dump scan-r" \
        TITLE="shrike benchmark: SigmaHQ Windows rules ($summary) on $name" "$here/run.sh"
    after=$(ls "$OUT"/results-*.txt 2>/dev/null | tail -n 1 || true)
    if [[ -n $after && $after != "$before" ]]; then
        report=$after
        per_rule "$report" | tee -a "$report"
    fi
}

mkdir -p "$OUT"
for d in $ONLY_DATA; do
    case $d in
        otrf)
            if ! ls "$OTRF"/*.json.gz >/dev/null 2>&1; then
                printf 'bench: %s has no .json.gz datasets: the OTRF input is skipped\n' "$OTRF" >&2
                continue
            fi
            data="$OUT/otrf.ndjson"
            if [[ ! -s $data ]]; then
                printf 'bench: decompressing %s/*.json.gz into %s\n' "$OTRF" "$data" >&2
                zcat "$OTRF"/*.json.gz >"$data.tmp" && mv "$data.tmp" "$data"
            fi
            run_one "the OTRF datasets" "$data"
            ;;
        ecs) run_one "bench/gen_ecs.py ECS documents" ;;
        *) printf 'bench: error: unknown input %s (otrf, ecs)\n' "$d" >&2; exit 1 ;;
    esac
done
