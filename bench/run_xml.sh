#!/usr/bin/env bash
# bench/run_xml.sh: event XML reading speed, side by side in one run, on the same file:
#
#   xmllint      xmllint --stream --noout (libxml2's streaming reader: well-formedness only)
#   pyexpat      Python's expat binding, a start-element handler counting <Event> elements
#   expat        expat itself in C, no handlers, 64 KB pieces: the parsing floor
#   parse        shrike's XML reader alone, events built and dropped (a small C driver linked
#                with libshrike.a through sh_input_read, compiled here)
#   dump         shrike dump FILE > /dev/null      (XML to JSON lines)
#   scan         shrike scan FILE -f jsonl         (the bundled rule pack)
#
#   bench/run_xml.sh                       # ../shared/data/evtx/hayabusa-sample-evtx, median of 5
#   DATA=DIR REPEAT=2 RUNS=3 bench/run_xml.sh
#
# The input is made here: every .evtx under $DATA through `evtxexport -f xml` (Debian
# libevtx-utils), its banner dropped, the control characters XML forbids (evtxexport writes a
# few) deleted so that every tool reads every event, the whole repeated $REPEAT times and put
# in an <Events> wrapper (xmllint and expat want one root). That is the shape of a
# `wevtutil qe /f:xml /e:Events` export, pretty-printed. Rows are interleaved round by round so
# drift in machine load hits them alike; every timed command writes to /dev/null. Wall time
# is $EPOCHREALTIME around each command; peak RSS comes from GNU time -v; MB/s is over the
# bytes of the XML file. The table is printed and saved under $OUT (default bench/out/).
#
# Environment: DATA, REPEAT=4, RUNS=5, SHRIKE=build/shrike, BUILD=build (for libshrike.a),
# SKIP_BUILD=0 (1: use the existing binary), ONLY="xmllint pyexpat expat parse dump scan",
# OUT=bench/out
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

DATA=${DATA:-../shared/data/evtx/hayabusa-sample-evtx}
REPEAT=${REPEAT:-4}
RUNS=${RUNS:-5}
BUILD=${BUILD:-build}
SHRIKE=${SHRIKE:-$BUILD/shrike}
SKIP_BUILD=${SKIP_BUILD:-0}
ONLY=${ONLY:-xmllint pyexpat expat parse dump scan}
OUT=${OUT:-bench/out}

die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }
[ -d "$DATA" ] || die "no data folder $DATA (set DATA=...)"
[ -x /usr/bin/time ] || die "GNU time is not installed (apt-get install -y time)"
command -v evtxexport >/dev/null || die "evtxexport is not installed (apt-get install -y libevtx-utils)"
skip=""
command -v xmllint >/dev/null || skip="$skip xmllint"
command -v python3 >/dev/null || skip="$skip pyexpat"
for s in $skip; do ONLY=$(echo " $ONLY " | sed "s/ $s / /"); echo "bench: $s not installed; row skipped" >&2; done
[ "$SKIP_BUILD" = 1 ] || make -s BUILD="$BUILD" all >/dev/null
[ -x "$SHRIKE" ] || die "no shrike binary at $SHRIKE"
mkdir -p "$OUT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the input
mapfile -d '' files < <(find "$DATA" -name '*.evtx' -print0 | sort -z)
[ "${#files[@]}" -gt 0 ] || die "no .evtx files under $DATA"
for f in "${files[@]}"; do { evtxexport -f xml "$f" 2>/dev/null || true; } | sed -n '/^<Event/,$p'; done |
    tr -d '\000-\010\013\014\016-\037' >"$tmp/one.xml"
X="$tmp/events.xml"
{ echo '<?xml version="1.0" encoding="UTF-8"?>'; echo '<Events>'
  for ((i = 0; i < REPEAT; i++)); do cat "$tmp/one.xml"; done
  echo '</Events>'; } >"$X"
bytes=$(wc -c <"$X")
cat "$X" >/dev/null    # warm the page cache alike for every row

# the C drivers
if [[ " $ONLY " == *" parse "* ]]; then
    [ -f "$BUILD/libshrike.a" ] || die "no $BUILD/libshrike.a (build first or set BUILD)"
    cat >"$tmp/parse.c" <<'EOF'
#include <stdio.h>
#include "input/input.h"
static bool on_event(void *ctx, sh_event *e) { (void)e; (*(unsigned long *)ctx)++; return true; }
static void on_error(void *ctx, const sh_diag *d) { (void)ctx; (void)d; }
int main(int argc, char **argv) {
    unsigned long n = 0;
    sh_input_sink s = {on_event, on_error, &n, NULL};
    sh_input_stats st = {0};
    sh_input_opts o = {0};
    for (int i = 1; i < argc; i++) sh_input_read(argv[i], &o, &s, &st);
    printf("%lu\n", n);
    return 0;
}
EOF
    ${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Isrc -o "$tmp/parse" "$tmp/parse.c" "$BUILD/libshrike.a" \
        -lpcre2-8 -lyaml -lexpat -lhs -lz -lm -lpthread
fi
if [[ " $ONLY " == *" expat "* ]]; then
    cat >"$tmp/expat.c" <<'EOF'
#include <expat.h>
#include <stdio.h>
static unsigned long n;
static void on_start(void *u, const XML_Char *name, const XML_Char **a) {
    (void)u, (void)a;
    if (name[0] == 'E' && name[1] == 'v' && name[2] == 'e' && name[3] == 'n' && name[4] == 't' && !name[5]) n++;
}
int main(int argc, char **argv) {
    FILE *f = fopen(argv[1], "rb");
    if (!f) return 1;
    XML_Parser p = XML_ParserCreate(NULL);
    if (argc > 2) XML_SetStartElementHandler(p, on_start);   /* counting run only */
    static char buf[65536];
    size_t k;
    do {
        k = fread(buf, 1, sizeof buf, f);
        if (!XML_Parse(p, buf, (int)k, k == 0)) { fprintf(stderr, "%s\n", XML_ErrorString(XML_GetErrorCode(p))); return 1; }
    } while (k);
    printf("%lu\n", n);
    return 0;
}
EOF
    ${CC:-cc} -O2 -o "$tmp/expat" "$tmp/expat.c" -lexpat
fi
cat >"$tmp/count_events.py" <<'EOF'
import sys, xml.parsers.expat
n = 0
def start(name, attrs):
    global n
    if name == 'Event':
        n += 1
p = xml.parsers.expat.ParserCreate()
p.StartElementHandler = start
with open(sys.argv[1], 'rb') as f:
    while True:
        b = f.read(1 << 20)
        p.Parse(b, not b)
        if not b:
            break
print(n)
EOF

cmd_of() { # the command of a row, as words
    case $1 in
        xmllint) echo "xmllint --stream --noout" ;;
        pyexpat) echo "python3 count_events.py (xml.parsers.expat, a start handler counting <Event>)" ;;
        expat) echo "expat.c (XML_Parse over 64 KB pieces, no handlers)" ;;
        parse) echo "parse.c (sh_input_read, events dropped)" ;;
        dump) echo "$SHRIKE dump -q" ;;
        scan) echo "$SHRIKE scan -q -f jsonl" ;;
    esac
}

run_row() { # run_row ROW: appends "seconds rss_kb" to $tmp/ROW.times; output goes to /dev/null
    local row=$1 t0 t1
    t0=$EPOCHREALTIME
    case $row in
        xmllint) /usr/bin/time -v -o "$tmp/time" xmllint --stream --noout "$X" >/dev/null 2>&1 || true ;;
        pyexpat) /usr/bin/time -v -o "$tmp/time" python3 "$tmp/count_events.py" "$X" >/dev/null 2>&1 || true ;;
        expat) /usr/bin/time -v -o "$tmp/time" "$tmp/expat" "$X" >/dev/null 2>&1 || true ;;
        parse) /usr/bin/time -v -o "$tmp/time" "$tmp/parse" "$X" >/dev/null ;;
        dump) /usr/bin/time -v -o "$tmp/time" "$SHRIKE" dump -q "$X" >/dev/null 2>&1 || true ;;
        scan) /usr/bin/time -v -o "$tmp/time" "$SHRIKE" scan -q -f jsonl "$X" >/dev/null 2>&1 || true ;;
    esac
    t1=$EPOCHREALTIME
    local rss
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/time")
    echo "$t0 $t1 $rss" | awk '{printf "%.4f %d\n", $2 - $1, $3}' >>"$tmp/$row.times"
}

records_of() { # events each row sees (counted in a separate, untimed run)
    case $1 in
        xmllint) grep -c '^<Event ' "$X" || true ;;
        pyexpat) python3 "$tmp/count_events.py" "$X" ;;
        expat) "$tmp/expat" "$X" count ;;
        parse) "$tmp/parse" "$X" ;;
        dump|scan) "$SHRIKE" dump -q "$X" 2>/dev/null | wc -l ;;
    esac
}

for ((r = 1; r <= RUNS; r++)); do
    for row in $ONLY; do run_row "$row"; done
done

stamp=$(date -u +%Y%m%d-%H%M%S)
res="$OUT/xml-results-$stamp.txt"
{
    echo "event XML benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -m), load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "data: evtxexport -f xml of $DATA (${#files[@]} files) x $REPEAT: $bytes bytes; median of $RUNS runs"
    echo "shrike: $SHRIKE (built $(date -u -r "$SHRIKE" '+%Y-%m-%d %H:%M UTC')); expat $(dpkg-query -W -f='${Version}' libexpat1 2>/dev/null || echo '?')"
    printf '%-9s %9s %10s %12s %9s %9s\n' row seconds events events/s MB/s "RSS MB"
    for row in $ONLY; do
        med=$(sort -n "$tmp/$row.times" | awk '{t[NR]=$1; m[NR]=$2} END {i=int((NR+1)/2); print t[i], m[i]}')
        secs=${med% *}
        rss=${med#* }
        recs=$(records_of "$row")
        awk -v r="$row" -v s="$secs" -v n="$recs" -v b="$bytes" -v m="$rss" \
            'BEGIN {printf "%-9s %9.3f %10d %12.0f %9.1f %9.1f\n", r, s, n, n / s, b / s / 1e6, m / 1024}'
    done
    echo "commands:"
    for row in $ONLY; do echo "  $row: $(cmd_of "$row") FILE"; done
} | tee "$res"
echo "saved $res" >&2
