#!/usr/bin/env bash
# bench/run_evtx.sh: EVTX reading speed, side by side in one run, on the same files:
#
#   evtxexport   libevtx's evtxexport -f xml, one process per file (Debian libevtx-utils)
#   dump         shrike dump FILES > /dev/null      (EVTX to JSON lines; threads: the processors)
#   scan         shrike scan FILES -f jsonl         (the bundled rule pack; threads: the processors)
#   dump-j1      shrike dump -j 1                   (one thread)
#   scan-j1      shrike scan -j 1
#   parse        the EVTX reader alone, events built and dropped (a small C driver linked
#                with libshrike.a, compiled here): what the reader costs without output
#
#   bench/run_evtx.sh                     # ../shared/data/evtx/hayabusa-sample-evtx, median of 5
#   DATA=DIR RUNS=3 bench/run_evtx.sh     # another folder of .evtx files
#   BIG=4 bench/run_evtx.sh               # one large file made of the chunks of the hayabusa set
#   DENSE=40 bench/run_evtx.sh            # one large file of full logs: the chunks of
#                                         # samples/security.evtx, sysmon.evtx, the CAPI2 log and
#                                         # sample-with-irregular-bool-values.evtx, 40 times over
#                                         # (about 60 records a chunk, as a busy machine's logs)
#                                         # and samples/security.evtx, sysmon.evtx, 4 times over
#                                         # (bench/make_big_evtx.py): the chunks of one file
#   LOG=sysmon DENSE=400 bench/run_evtx.sh  # one log type alone, DENSE times over: security,
#                                         # sysmon, capi2 or application (the four logs above)
#
# Rows are interleaved round by round so drift in machine load hits them alike; every timed
# command writes to /dev/null. Wall time is $EPOCHREALTIME around each command; peak RSS
# comes from GNU time -v. Records are what each tool prints, counted in a separate untimed
# run (evtxexport stops at the first record it cannot parse in a file, so it prints fewer;
# scan reads the records dump prints); MB/s is over the bytes of all the files. The table is
# printed and saved under $OUT (default bench/out/, git-ignored).
#
# Environment: DATA, RUNS=5, SHRIKE=build/shrike, BUILD=build (for libshrike.a),
# SKIP_BUILD=0 (1: use the existing binary), ONLY="evtxexport dump scan parse", OUT=bench/out
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

DATA=${DATA:-../shared/data/evtx/hayabusa-sample-evtx}
RUNS=${RUNS:-5}
BUILD=${BUILD:-build}
SHRIKE=${SHRIKE:-$BUILD/shrike}
SKIP_BUILD=${SKIP_BUILD:-0}
ONLY=${ONLY:-evtxexport dump-j1 dump scan-j1 scan parse}
BIG=${BIG:-0}
DENSE=${DENSE:-0}
LOG=${LOG:-}
OUT=${OUT:-bench/out}

die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }
[ -d "$DATA" ] || die "no data folder $DATA (set DATA=...)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -x /usr/bin/time ] || die "GNU time is not installed (apt-get install -y time)"
case " $ONLY " in *" evtxexport "*) command -v evtxexport >/dev/null || die "evtxexport is not installed (apt-get install -y libevtx-utils)";; esac
[ "$SKIP_BUILD" = 1 ] || make -s BUILD="$BUILD" all >/dev/null
[ -x "$SHRIKE" ] || die "no shrike binary at $SHRIKE"
mkdir -p "$OUT"

if [ "$DENSE" != 0 ]; then
    command -v python3 >/dev/null || die "DENSE needs python3"
    s=../shared/data/evtx/samples
    logs=("$s/security.evtx" "$s/sysmon.evtx" "$s/sample-with-irregular-bool-values.evtx"
          "$s/E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx")
    case $LOG in
        "") ;;
        security) logs=("${logs[0]}") ;;
        sysmon) logs=("${logs[1]}") ;;
        application) logs=("${logs[2]}") ;;
        capi2) logs=("${logs[3]}") ;;
        *) die "LOG is security, sysmon, capi2 or application, not $LOG" ;;
    esac
    python3 bench/make_big_evtx.py "$tmp/dense.evtx" "$DENSE" "${logs[@]}" >/dev/null
    DATA="${LOG:-4 full sample logs} of ../shared/data/evtx/samples as one file, $DENSE times over"
    files=("$tmp/dense.evtx")
elif [ "$BIG" != 0 ]; then
    command -v python3 >/dev/null || die "BIG needs python3"
    find "$DATA" ../shared/data/evtx/samples/security.evtx ../shared/data/evtx/samples/sysmon.evtx -name '*.evtx' -print0 |
        sort -z | xargs -0 python3 bench/make_big_evtx.py "$tmp/big.evtx" "$BIG" >/dev/null
    DATA="$DATA and 2 samples as one file, $BIG times over"
    files=("$tmp/big.evtx")
else
    mapfile -d '' files < <(find "$DATA" -name '*.evtx' -print0 | sort -z)
fi
[ "${#files[@]}" -gt 0 ] || die "no .evtx files under $DATA"
bytes=$(cat "${files[@]}" | wc -c)
cat "${files[@]}" >/dev/null    # warm the page cache alike for every row

# the reader-only driver
if [[ " $ONLY " == *" parse "* ]]; then
    [ -f "$BUILD/libshrike.a" ] || die "no $BUILD/libshrike.a (build first or set BUILD)"
    cat >"$tmp/parse.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include "input/evtx.h"
static bool on_event(void *ctx, sh_event *e) { (void)e; (*(unsigned long *)ctx)++; return true; }
static void on_error(void *ctx, const sh_diag *d) { (void)ctx; (void)d; }
int main(int argc, char **argv) {
    unsigned long n = 0;
    for (int i = 1; i < argc; i++) {
        /* as reader.c does: large files mapped, small ones read into memory */
        sh_input_sink s = {on_event, on_error, &n, NULL};
        sh_input_stats st = {0};
        size_t size;
        if (sh_evtx_read_file(argv[i], NULL, &s, &st, &size) >= 0) continue;
        sh_diag d;
        char *data = sh_read_file(argv[i], &size, &d);
        if (!data) return 1;
        sh_evtx_read(argv[i], data, size, NULL, &s, &st);
        free(data);
    }
    printf("%lu\n", n);
    return 0;
}
EOF
    ${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Isrc -o "$tmp/parse" "$tmp/parse.c" "$BUILD/libshrike.a" \
        -lpcre2-8 -lyaml -lexpat -lz -lm -lpthread
fi

cmd_of() { # the command of a row, as words
    case $1 in
        evtxexport) echo "bash -c 'for f; do evtxexport -f xml \"\$f\"; done' evtxexport" ;;
        dump) echo "$SHRIKE dump -q" ;;
        scan) echo "$SHRIKE scan -q -f jsonl" ;;
        dump-j1) echo "$SHRIKE dump -q -j 1" ;;
        scan-j1) echo "$SHRIKE scan -q -f jsonl -j 1" ;;
        parse) echo "$tmp/parse" ;;
    esac
}

run_row() { # run_row ROW: appends "seconds rss_kb" to $tmp/ROW.times; output goes to /dev/null
    local row=$1 t0 t1
    t0=$EPOCHREALTIME
    case $row in
        evtxexport) /usr/bin/time -v -o "$tmp/time" bash -c 'for f; do evtxexport -f xml "$f"; done' evtxexport "${files[@]}" >/dev/null 2>&1 || true ;;
        dump) /usr/bin/time -v -o "$tmp/time" "$SHRIKE" dump -q "${files[@]}" >/dev/null 2>&1 || true ;;
        scan) /usr/bin/time -v -o "$tmp/time" "$SHRIKE" scan -q -f jsonl "${files[@]}" >/dev/null 2>&1 || true ;;
        dump-j1) /usr/bin/time -v -o "$tmp/time" "$SHRIKE" dump -q -j 1 "${files[@]}" >/dev/null 2>&1 || true ;;
        scan-j1) /usr/bin/time -v -o "$tmp/time" "$SHRIKE" scan -q -f jsonl -j 1 "${files[@]}" >/dev/null 2>&1 || true ;;
        parse) /usr/bin/time -v -o "$tmp/time" "$tmp/parse" "${files[@]}" >/dev/null ;;
    esac
    t1=$EPOCHREALTIME
    local rss
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/time")
    echo "$t0 $t1 $rss" | awk '{printf "%.4f %d\n", $2 - $1, $3}' >>"$tmp/$row.times"
}

records_of() { # records each row prints (counted in a separate, untimed run)
    case $1 in
        evtxexport) for f in "${files[@]}"; do evtxexport -f xml "$f" 2>/dev/null; done | grep -c '^<Event xmlns' || true ;;
        dump*|scan*) "$SHRIKE" dump -q "${files[@]}" 2>/dev/null | wc -l ;;
        parse) "$tmp/parse" "${files[@]}" ;;
    esac
}

for ((r = 1; r <= RUNS; r++)); do
    for row in $ONLY; do run_row "$row"; done
done

stamp=$(date -u +%Y%m%d-%H%M%S)
res="$OUT/evtx-results-$stamp.txt"
{
    echo "EVTX benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -m)"
    echo "threads: dump and scan use the processors (-j $(nproc)); dump-j1 and scan-j1 one thread"
    echo "data: $DATA: ${#files[@]} files, $bytes bytes; median of $RUNS runs (best rec/s: the fastest run)"
    echo "shrike: $SHRIKE (built $(date -u -r "$SHRIKE" '+%Y-%m-%d %H:%M UTC'))"
    printf '%-11s %9s %10s %12s %9s %9s %12s\n' row seconds records records/s MB/s "RSS MB" "best rec/s"
    for row in $ONLY; do
        med=$(sort -n "$tmp/$row.times" | awk '{t[NR]=$1; m[NR]=$2} END {i=int((NR+1)/2); print t[i], m[i], t[1]}')
        read -r secs rss best <<<"$med"
        recs=$(records_of "$row")
        awk -v r="$row" -v s="$secs" -v n="$recs" -v b="$bytes" -v m="$rss" -v t="$best" \
            'BEGIN {printf "%-11s %9.3f %10d %12.0f %9.1f %9.1f %12.0f\n", r, s, n, n / s, b / s / 1e6, m / 1024, n / t}'
    done
    echo "commands:"
    for row in $ONLY; do echo "  $row: $(cmd_of "$row") FILES..."; done
} | tee "$res"
echo "saved $res" >&2
