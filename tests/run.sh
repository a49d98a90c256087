#!/usr/bin/env bash
# run.sh: shrike's whole test suite. Builds a normal tree (build/) and an
# ASan+UBSan tree (build-asan/), runs the unit tests and the end-to-end tests
# on both, the end-to-end tests once more under valgrind, and the conformance
# suites over ../shared/data when it is there (they print their pass rates).
# The end-to-end scripts of each pass run as many at a time as there are
# processors, their outputs printed whole and in order, each with its time.
# Ends with one line "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)
passed=0
failed=0
failures=()

note() { printf '\n== %s\n' "$*"; }
record() { # record NAME STATUS
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$1"); fi
}

build() { # build DIR SANFLAGS
    if ! make -s -j"$JOBS" BUILD="$1" SAN="$2" all unit; then
        echo "build of $1 failed" >&2
        return 1
    fi
}

unit_tests() { # unit_tests DIR
    local t rc
    for t in "$1"/tests/test_*; do
        [ -x "$t" ] || continue
        "$t"
        rc=$?
        record "$(basename "$t") ($1)" $rc
    done
}

# The end-to-end scripts run $JOBS at a time (each works in its own mktemp
# folder); each one's output is printed whole, in the order of the scripts,
# as soon as it and those before it are done, with its time.
e2e_tests() { # e2e_tests BINARY [WRAPPER]
    local bin=$1 wrap=${2:-} out s k=0 shown=0 list=()
    out=$(mktemp -d)
    for s in tests/e2e/*.sh; do [ -f "$s" ] && list+=("$s"); done
    e2e_flush() {
        while [ "$shown" -lt "${#list[@]}" ] && [ -f "$out/$shown.rc" ]; do
            cat "$out/$shown.log"
            echo "($(basename "${list[$shown]}"): $(cat "$out/$shown.time") s)"
            record "$(basename "${list[$shown]}") ($bin${wrap:+ under valgrind})" "$(cat "$out/$shown.rc")"
            shown=$((shown + 1))
        done
    }
    for s in "${list[@]}"; do
        while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
            wait -n
            e2e_flush
        done
        (
            t0=$EPOCHREALTIME
            SHRIKE="$bin" SHRIKE_WRAP="$wrap" bash "$s" >"$out/$k.log" 2>&1
            rc=$?
            awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }' >"$out/$k.time"
            echo "$rc" >"$out/$k.rc.tmp" && mv "$out/$k.rc.tmp" "$out/$k.rc"
        ) &
        k=$((k + 1))
    done
    wait
    e2e_flush
    rm -rf "$out"
}

note "normal build"
build build "" || { echo "tests: 0 passed, 1 failed"; exit 1; }
unit_tests build
e2e_tests build/shrike

note "ASan+UBSan build"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
build build-asan "-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" || { record "asan build" 1; }
unit_tests build-asan
e2e_tests build-asan/shrike

if command -v valgrind >/dev/null; then
    note "valgrind (end-to-end)"
    # SHRIKE_NO_JIT: valgrind cannot follow PCRE2's JIT code (false "uninitialised" reports)
    e2e_tests build/shrike "env SHRIKE_NO_JIT=1 valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
fi

note "conformance (../shared/data)"
for c in tests/conformance/run_*.sh; do
    [ -f "$c" ] || continue
    bash "$c" build
    record "$(basename "$c")" $?
done

note "summary"
for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
