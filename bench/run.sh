#!/usr/bin/env bash
# bench/run.sh: measure shrike against wc and jq on the same ECS NDJSON file, in one run.
#
#   bench/run.sh                      # 200M dataset, every row, median of 3
#   SIZE=1G bench/run.sh              # a 1 GiB dataset (generated once, cached under bench/out/)
#   ONLY="wc jq" bench/run.sh         # a subset of rows
#
# Rows: wc (wc -l), jq (jq -c .), dump (shrike dump), scan (shrike scan, bundled rule pack),
# scan-r (shrike scan -r $RULES), scan-eql (shrike scan -r $EQL_RULES, used by run_eql_rules.sh).
# Every row runs on the same file; the rows are interleaved round by round (round 1: every
# row once, then round 2, ...) so that drift in machine load hits them alike. Each command
# runs under GNU time (/usr/bin/time -f '%e %M') for its peak RSS; its wall time is taken
# with bash's $EPOCHREALTIME around it (GNU time's %e has a 10 ms resolution). The table
# reports the median of $RUNS runs and the ratio of each row's median to wc's and to jq's.
#
# Environment:
#   SIZE=200M        dataset size (K, M, G are powers of 1024)
#   SEED=1           generator seed
#   RUNS=3           runs per row (the median is reported)
#   ONLY="..."       rows to run (default: wc jq dump scan scan-r)
#   RULES=rules      rules for the scan-r row
#   EQL_RULES=...    rules for the scan-eql row
#   SHRIKE=build/shrike
#   SKIP_BUILD=1     do not run make; use the existing $SHRIKE
#   TIMEOUT=900      seconds before one measured command is killed
#   OUT=bench/out    where datasets and result tables are kept (git-ignored)
#   DATA=FILE        measure this NDJSON file instead of a generated one
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

SIZE=${SIZE:-200M}
SEED=${SEED:-1}
RUNS=${RUNS:-3}
ONLY=${ONLY:-wc jq dump scan scan-r}
RULES=${RULES:-rules}
EQL_RULES=${EQL_RULES:-../shared/data/eql/detection-rules/rules/windows}
SHRIKE=${SHRIKE:-build/shrike}
SKIP_BUILD=${SKIP_BUILD:-0}
TIMEOUT=${TIMEOUT:-900}
OUT=${OUT:-bench/out}
DATA=${DATA:-}
TITLE=${TITLE:-shrike benchmark}

die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }
warn() { printf 'bench: warning: %s\n' "$*" >&2; }
note() { printf 'bench: %s\n' "$*" >&2; }

# ---- tools -------------------------------------------------------------------------------

need() {  # need CMD HOW-TO-GET-IT
    command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed: $2"
}
need python3 "install Python 3 (Debian: apt-get install -y python3)"
need timeout "install GNU coreutils"
need wc "install GNU coreutils"
need sort "install GNU coreutils"
need awk "install awk (Debian: apt-get install -y mawk)"
[[ -x /usr/bin/time ]] || die "GNU time is not installed at /usr/bin/time: apt-get install -y time"
/usr/bin/time -f '%e %M' -o /dev/null true 2>/dev/null \
    || die "/usr/bin/time does not accept -f/-o (GNU time needed): apt-get install -y time"

# wall time: bash's $EPOCHREALTIME (microseconds) around the command; GNU time's %e has a
# 10 ms resolution, too coarse for wc on a small file
((BASH_VERSINFO[0] >= 5)) || die "bash 5 or later is needed (for \$EPOCHREALTIME), this is $BASH_VERSION"

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, not '$RUNS'"
[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "TIMEOUT must be a positive number of seconds, not '$TIMEOUT'"
[[ $SEED =~ ^[0-9]+$ ]] || die "SEED must be a non-negative integer, not '$SEED'"

read -r -a rows <<<"$ONLY"
((${#rows[@]})) || die "ONLY names no row"
want_shrike=0
for r in "${rows[@]}"; do
    case $r in
        wc) ;;
        jq) need jq "it is the Debian package jq: apt-get install -y jq" ;;
        dump | scan | scan-r | scan-eql) want_shrike=1 ;;
        *) die "unknown row '$r' in ONLY (rows: wc jq dump scan scan-r scan-eql)" ;;
    esac
done

declare -A status times rsss lastlog
for r in "${rows[@]}"; do status[$r]=ok; times[$r]=""; rsss[$r]=""; lastlog[$r]=""; done

# ---- shrike ------------------------------------------------------------------------------

if ((want_shrike)); then
    if [[ $SKIP_BUILD != 1 ]]; then
        need make "install make (Debian: apt-get install -y make)"
        note "building shrike (make -s)"
        if ! make -s; then
            warn "the build failed (make -s): shrike rows are marked FAILED; fix the build, or use SKIP_BUILD=1 with an existing binary"
            for r in "${rows[@]}"; do
                case $r in dump | scan | scan-r | scan-eql) status[$r]="FAILED (build)" ;; esac
            done
        fi
    fi
    if [[ ! ( -f $SHRIKE && -x $SHRIKE ) && ${status[dump]:-${status[scan]:-${status[scan-r]:-${status[scan-eql]:-ok}}}} == ok ]]; then
        warn "$SHRIKE is not an executable file: shrike rows are marked FAILED"
        for r in "${rows[@]}"; do
            case $r in dump | scan | scan-r | scan-eql) status[$r]="FAILED (no $SHRIKE)" ;; esac
        done
    fi
    for r in "${rows[@]}"; do
        if [[ $r == scan-r && ! -e $RULES ]]; then
            warn "rules '$RULES' not found: row scan-r is marked FAILED"
            status[$r]="FAILED (no $RULES)"
        fi
        if [[ $r == scan-eql && ! -e $EQL_RULES ]]; then
            warn "EQL rules '$EQL_RULES' not found: row scan-eql is marked FAILED"
            status[$r]="FAILED (no rules)"
        fi
    done
fi

# ---- dataset -----------------------------------------------------------------------------

mkdir -p "$OUT"
if [[ -n $DATA ]]; then
    [[ -f $DATA && -r $DATA ]] || die "DATA=$DATA is not a readable file"
    data=$DATA
    meta=""
else
    [[ $SIZE =~ ^[0-9]+(\.[0-9]+)?[KkMmGg]?$ ]] || die "SIZE must look like 200M, 1G or 500000K, not '$SIZE'"
    [[ -f bench/gen_ecs.py ]] || die "bench/gen_ecs.py is missing"
    genhash=$(cksum <bench/gen_ecs.py | awk '{printf "%08x", $1}')
    base="$OUT/ecs-$SIZE-s$SEED-g$genhash"
    data="$base.ndjson"
    meta="$base.gen.txt"
    if [[ -s $data && -s $meta ]]; then
        note "reusing $data"
    else
        # a dataset from an older generator with the same size and seed is stale: remove it
        for old in "$OUT/ecs-$SIZE-s$SEED-g"*; do
            if [[ -e $old && $old != "$base".* ]]; then rm -f -- "$old"; fi
        done
        note "generating $data (SIZE=$SIZE SEED=$SEED)"
        tmp="$data.tmp.$$"
        trap 'rm -f -- "$tmp" "$meta.tmp"' EXIT
        if ! python3 bench/gen_ecs.py --size "$SIZE" --seed "$SEED" -o "$tmp" \
            --truth "$base.truth.tsv" 2>&1 | tee "$meta.tmp" >&2; then
            die "bench/gen_ecs.py failed"
        fi
        [[ -s $tmp ]] || die "bench/gen_ecs.py wrote nothing"
        mv -f -- "$tmp" "$data"
        grep -v '^gen_ecs: [0-9]* events,' "$meta.tmp" >"$meta" || true
        rm -f -- "$meta.tmp"
        trap - EXIT
    fi
fi

bytes=$(wc -c <"$data")
events=$(wc -l <"$data")
((events > 0)) || die "$data holds no events"
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')

# ---- measurement -------------------------------------------------------------------------

cmd_of() {  # cmd_of ROW: sets the array cmd
    case $1 in
        wc) cmd=(wc -l "$data") ;;
        jq) cmd=(jq -c . "$data") ;;
        dump) cmd=("$SHRIKE" dump "$data") ;;
        scan) cmd=("$SHRIKE" scan "$data") ;;
        scan-r) cmd=("$SHRIKE" scan -r "$RULES" "$data") ;;
        scan-eql) cmd=("$SHRIKE" scan -r "$EQL_RULES" "$data") ;;
    esac
}

work=$(mktemp -d "${TMPDIR:-/tmp}/shrike-bench.XXXXXX")
trap 'rm -rf -- "$work"' EXIT

# read the file once so every row starts with the same warm page cache
cat -- "$data" >/dev/null

note "measuring ${rows[*]} on $data ($mb MB, $events events), $RUNS round(s)"
for ((i = 1; i <= RUNS; i++)); do
    for r in "${rows[@]}"; do
        [[ ${status[$r]} == ok ]] || continue
        cmd_of "$r"
        tf="$work/$r.$i.time"
        ef="$work/$r.$i.err"
        rc=0
        t0=$EPOCHREALTIME
        timeout "$TIMEOUT" /usr/bin/time -f '%e %M' -o "$tf" "${cmd[@]}" >/dev/null 2>"$ef" || rc=$?
        t1=$EPOCHREALTIME
        if ((rc == 124)); then
            status[$r]="TIMEOUT (${TIMEOUT}s)"
        elif ((rc != 0)); then
            status[$r]="FAILED (exit $rc)"
        fi
        if [[ ${status[$r]} != ok ]]; then
            warn "row $r, run $i: ${cmd[*]} -> ${status[$r]}; its standard error ends with:"
            tail -n 5 "$ef" | sed 's/^/    /' >&2
            continue
        fi
        # GNU time writes "Command exited with non-zero status" lines before ours; take the last
        read -r e m < <(tail -n 1 "$tf")
        [[ $e =~ ^[0-9.]+$ && $m =~ ^[0-9]+$ ]] || die "could not read GNU time's output for $r: $(cat "$tf")"
        t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
        times[$r]+="${times[$r]:+ }$t"
        rsss[$r]+="${rsss[$r]:+ }$m"
        lastlog[$r]=$ef
        printf 'bench: round %d/%d %-8s %8.3fs (GNU time %ss) %7.1f MB peak RSS\n' "$i" "$RUNS" "$r" "$t" "$e" \
            "$(awk -v k="$m" 'BEGIN { print k / 1024 }')" >&2
    done
done

median() {  # median "v1 v2 v3 ..."
    tr ' ' '\n' <<<"$1" | awk 'NF' | sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print ""; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

declare -A med mrss
for r in "${rows[@]}"; do
    [[ ${status[$r]} == ok ]] || continue
    med[$r]=$(median "${times[$r]}")
    mrss[$r]=$(median "${rsss[$r]}")
done

label() {
    case $1 in
        wc) echo "wc -l" ;;
        jq) echo "jq -c ." ;;
        dump) echo "shrike dump" ;;
        scan) echo "shrike scan (bundled)" ;;
        scan-r) echo "shrike scan -r $RULES" ;;
        scan-eql) echo "shrike scan -r EQL" ;;
    esac
}

stamp=$(date -u +%Y%m%d-%H%M%S)
report="$OUT/results-$stamp.txt"
{
    echo "# $TITLE, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (+ uncommitted changes)')"
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo), $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
    echo "data:    $data: $mb MB, $events events"
    [[ -n $meta && -s $meta ]] && sed 's/^gen_ecs: /generator: /' "$meta"
    echo "runs:    median of $RUNS, rows interleaved, same file, warm page cache; MB = 10^6 bytes;"
    echo "         wall = \$EPOCHREALTIME around the command, peak RSS = GNU time %M"
    echo
    printf '%-26s %9s %12s %9s %10s %8s %8s   %s\n' "command" "wall s" "events/s" "MB/s" "peak RSS" "x wc" "x jq" "all runs (s)"
    for r in "${rows[@]}"; do
        if [[ ${status[$r]} != ok ]]; then
            printf '%-26s %s\n' "$(label "$r")" "${status[$r]}"
            continue
        fi
        awk -v name="$(label "$r")" -v t="${med[$r]}" -v k="${mrss[$r]}" -v ev="$events" -v b="$bytes" \
            -v twc="${med[wc]:-}" -v tjq="${med[jq]:-}" -v all="${times[$r]}" 'BEGIN {
            tt = (t > 0) ? t : 0.001
            xwc = (twc != "") ? sprintf("%.1f", tt / ((twc > 0) ? twc : 0.001)) : "-"
            xjq = (tjq != "") ? sprintf("%.3f", tt / ((tjq > 0) ? tjq : 0.001)) : "-"
            printf "%-26s %9.3f %12.0f %9.1f %7.1f MB %8s %8s   %s\n", name, t, ev / tt, b / 1e6 / tt, k / 1024, xwc, xjq, all
        }'
    done
    echo
    echo "x wc / x jq: the row's median wall time divided by wc's / jq's, measured in this run."
    for r in "${rows[@]}"; do
        case $r in dump | scan | scan-r | scan-eql) ;; *) continue ;; esac
        [[ ${status[$r]} == ok && -s ${lastlog[$r]} ]] || continue
        echo "$(label "$r"), standard error of the last run:"
        tail -n 4 "${lastlog[$r]}" | sed 's/^/    /'
    done
} | tee "$report"
note "table saved to $report"

for r in "${rows[@]}"; do
    [[ ${status[$r]} == ok ]] || { warn "not every row ran: see the table"; exit 1; }
done
