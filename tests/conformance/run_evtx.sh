#!/usr/bin/env bash
# run_evtx.sh: differential test of the EVTX reader over ../shared/data.
#
#   bash tests/conformance/run_evtx.sh [BUILD_DIR]      (from the repository root; default build)
#
# Every .evtx under ../shared/data/evtx (samples and hayabusa-sample-evtx) is read
# by `BUILD_DIR/shrike dump` and by libevtx's `evtxexport -f xml`; the records both
# read are compared field by field (tests/conformance/evtx_diff.py says how the XML
# is named and which renderings may differ). The damaged samples are listed
# separately: they must give errors, not crashes. The sigma regression .evtx/.json
# pairs are compared too (EVTX against the JSON reader on an evtx_dump rendering).
# Then the first 8 records of every file are compared the same way with Debian's
# python3-evtx (a second independent parser; it is slow, hence the sample).
# Prints "evtx differential (REF): N files, R records, M mismatching values, pass rate X%".
# Exit status 1 below the floor (set from the measured rate) or on a crash; 0 with
# a message when ../shared/data or evtxexport is missing.
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${1:-build}
BIN=$BUILD/shrike
DATA=../shared/data
FLOOR=${EVTX_FLOOR:-99.5}   # measured: 99.66% (the only differences: libevtx prints "\n" content as empty)

if [ ! -d "$DATA/evtx" ]; then
    echo "evtx differential: skipped ($DATA/evtx not found)"
    exit 0
fi
if ! command -v evtxexport >/dev/null 2>&1; then
    echo "evtx differential: skipped (evtxexport not installed: apt-get install -y libevtx-utils)"
    exit 0
fi
PY=$(command -v python3 || true)
if [ -z "$PY" ]; then
    echo "evtx differential: skipped (python3 not found)"
    exit 0
fi
if [ ! -x "$BIN" ]; then
    echo "evtx differential: $BIN not found (build it first)" >&2
    exit 1
fi

damaged=()
for f in sample_with_a_bad_chunk_magic.evtx sample-with-zero-data-size-event.evtx Application_no_crc32.evtx \
         security_bad_string_cache.evtx; do
    [ -f "$DATA/evtx/samples/$f" ] && damaged+=(--damaged "$DATA/evtx/samples/$f")
done
pairs=()
[ -d "$DATA/sigma/regression_data" ] && pairs=(--json-pairs "$DATA/sigma/regression_data")

rc=0
find "$DATA/evtx" -name '*.evtx' -print0 | sort -z |
    xargs -0 "$PY" tests/conformance/evtx_diff.py --shrike "$BIN" --floor "$FLOOR" "${damaged[@]}" "${pairs[@]}" || rc=1

# python3-evtx lives in Debian's python (the python3 on PATH may be another one)
PYEVTX=
for c in "$PY" /usr/bin/python3; do
    if [ -x "$c" ] && "$c" -c 'import Evtx.Evtx' 2>/dev/null; then PYEVTX=$c; break; fi
done
if [ -z "$PYEVTX" ]; then
    echo "evtx differential (python-evtx): skipped (python3-evtx not installed: apt-get install -y python3-evtx)"
else
    # measured: 98.4% (the string array of PowerShell 800 events, see evtx_diff.py)
    find "$DATA/evtx" -name '*.evtx' -print0 | sort -z |
        xargs -0 "$PY" tests/conformance/evtx_diff.py --shrike "$BIN" --ref python-evtx --python "$PYEVTX" \
            --max-records 8 --floor "${PYEVTX_FLOOR:-97.5}" | grep -v ' 0 differ$' || rc=1
fi
exit $rc
