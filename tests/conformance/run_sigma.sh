#!/usr/bin/env bash
# run_sigma.sh: Sigma conformance over SigmaHQ's own data in ../shared/data/sigma
# (read in place; skipped with a message when it is absent).
#
#  1. Load rate: `shrike rules check` over every rules* folder: loaded and rejected
#     counts per folder, every rejection printed with its reason.
#  2. Regression cases (regression_data/**/info.yml): each names a rule by id and the
#     minimum number of matches (match_count, 1 when omitted); the rule runs on the
#     case's .json rendering, and on its .evtx file when `shrike dump` reads EVTX.
#     Prints "sigma regression (json): P/N passed" (and the same for evtx).
#
# Usage: tests/conformance/run_sigma.sh [BUILD_DIR]   (default build)
# Environment: SIGMA_DATA (default ../shared/data/sigma), VERBOSE=1 (every case),
#              MIN_LOAD_RATE (percent of rules that must load, default 99),
#              MIN_REGRESSION (json cases that must pass, default: all that exist).
# Exit status: 0 the floors hold, 1 a floor is broken, 2 the run could not start.
set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-build}
case "$build" in /*) ;; *) build="$root/$build" ;; esac
shrike="$build/shrike"
data=${SIGMA_DATA:-$root/../shared/data/sigma}
verbose=${VERBOSE:-0}

if [ ! -d "$data" ]; then
    echo "run_sigma.sh: $data is absent: Sigma conformance skipped"
    exit 0
fi
if [ ! -x "$shrike" ]; then
    echo "run_sigma.sh: no binary at $shrike (build it first)" >&2
    exit 2
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shrike-sigma.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
status=0

# ---- 1. load rate per folder
echo "== Sigma rules: load rate per folder (shrike rules check)"
total_loaded=0
total_rejected=0
for dir in "$data"/rules*; do
    [ -d "$dir" ] || continue
    name=$(basename "$dir")
    nfiles=$(find "$dir" -name '*.yml' | wc -l)
    "$shrike" rules check -r "$dir" >"$tmp/check.txt" 2>&1
    summary=$(tail -n 1 "$tmp/check.txt")
    loaded=$(echo "$summary" | sed -n 's/^\([0-9]*\) loaded, \([0-9]*\) rejected$/\1/p')
    rejected=$(echo "$summary" | sed -n 's/^\([0-9]*\) loaded, \([0-9]*\) rejected$/\2/p')
    warnings=$(grep -c ': warning: ' "$tmp/check.txt")
    printf '%-24s %5d files: %5d loaded, %3d rejected, %4d warnings\n' "$name" "$nfiles" "${loaded:-0}" "${rejected:-0}" "$warnings"
    grep -v ': warning: ' "$tmp/check.txt" | sed '$d' | sed "s|^$data/|    rejected: |"
    total_loaded=$((total_loaded + ${loaded:-0}))
    total_rejected=$((total_rejected + ${rejected:-0}))
done
total=$((total_loaded + total_rejected))
echo "sigma load: $total_loaded/$total loaded, $total_rejected rejected"
floor=${MIN_LOAD_RATE:-99}
if [ "$total" -gt 0 ] && [ $((total_loaded * 100)) -lt $((total * floor)) ]; then
    echo "FAIL: load rate below ${floor}%"
    status=1
fi

# ---- 2. regression cases
echo
echo "== SigmaHQ regression cases"
# rule id -> rule file
for dir in "$data"/rules*; do
    [ -d "$dir" ] || continue
    grep -rH -m1 '^id: ' --include='*.yml' "$dir"
done | sed 's/^\(.*\):id: *\([^ ]*\).*/\2 \1/' >"$tmp/ids.txt"

evtx_ok=0
first_evtx=$(find "$data/regression_data" -name '*.evtx' | head -n 1)
if [ -n "$first_evtx" ] && "$shrike" dump "$first_evtx" >/dev/null 2>&1; then evtx_ok=1; fi

run_case() { # run_case KIND INFO RULE SAMPLE WANT -> prints result line, returns 0 pass
    local kind=$1 info=$2 rule=$3 sample=$4 want=$5 got
    got=$("$shrike" scan -r "$rule" -f jsonl "$sample" 2>"$tmp/err.txt" | wc -l)
    local rel=${info#"$data/regression_data/"}
    rel=${rel%/info.yml}
    if [ "$got" -ge "$want" ]; then
        [ "$verbose" = 1 ] && printf 'ok   %s %s: %d (want >= %d)\n' "$kind" "$rel" "$got" "$want"
        [ "$got" -eq "$want" ] && exact=$((exact + 1))
        return 0
    fi
    printf 'FAIL %s %s: %d matches, want >= %d\n' "$kind" "$rel" "$got" "$want"
    sed 's/^/     /' "$tmp/err.txt" | grep -v 'events/s' | head -n 3
    return 1
}

jp=0; jn=0; ep=0; en=0; exact=0; missing=0
while IFS= read -r info; do
    dir=$(dirname "$info")
    rid=$(awk '/^rule_metadata:/{m=1} m && /- id:/{print $3; exit}' "$info")
    want=$(awk '/match_count:/{print $2; exit}' "$info")
    want=${want:-1}
    rule=$(awk -v id="$rid" '$1 == id {print $2; exit}' "$tmp/ids.txt")
    if [ -z "$rule" ]; then
        echo "MISSING rule $rid for ${dir#"$data/regression_data/"}"
        missing=$((missing + 1))
        continue
    fi
    for json in "$dir"/*.json; do
        [ -f "$json" ] || continue
        jn=$((jn + 1))
        run_case json "$info" "$rule" "$json" "$want" && jp=$((jp + 1))
    done
    if [ "$evtx_ok" = 1 ]; then
        for evtx in "$dir"/*.evtx; do
            [ -f "$evtx" ] || continue
            en=$((en + 1))
            run_case evtx "$info" "$rule" "$evtx" "$want" && ep=$((ep + 1))
        done
    fi
done < <(find "$data/regression_data" -name info.yml | LC_ALL=C sort)

echo "sigma regression (json): $jp/$jn passed ($exact exact counts over both kinds; $missing cases name a rule not found)"
if [ "$evtx_ok" = 1 ]; then
    echo "sigma regression (evtx): $ep/$en passed"
else
    echo "sigma regression (evtx): skipped (shrike dump does not read .evtx yet)"
fi
min=${MIN_REGRESSION:-$jn}
if [ "$jp" -lt "$min" ]; then
    echo "FAIL: $jp json regression cases pass, the floor is $min"
    status=1
fi
exit $status
