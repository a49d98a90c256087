#!/usr/bin/env bash
# scenarios.sh: end-to-end acceptance run of the bundled EQL pack over the scenario events.
#
# For every folder under tests/scenarios/ that has an expected.tsv, and every event file in it
# (*.ndjson, *.xml), runs `shrike scan -r rules/eql -f jsonl FILE`, counts the alerts per rule id
# (.rule.id), and compares with expected.tsv (FILE<TAB>RULE_ID<TAB>COUNT<TAB>NOTE; '#' lines are
# comments, '@' lines are case directives such as @kind). Event XML files are checked only when
# `shrike dump` reads XML; until then each is skipped with a printed note.
# It also checks the shape of every alert (rule name, language eql, severity, ATT&CK id, a
# timestamp, the host, at least one event) and that no rule raises alerts the file does not
# expect. One line per check, `ok` or `FAIL`, then `scenarios: N passed, M failed`.
#
# Usage: tests/e2e/scenarios.sh [SCENARIO_FOLDER_NAME...]
# Environment: SHRIKE (binary, default build/shrike), SHRIKE_RULES (default rules/eql),
#              SCENARIOS_DIR (default tests/scenarios), VERBOSE=1 (print the notes).
# Exit status: 0 all passed, 1 a check failed, 2 the run could not start.

set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
shrike=${SHRIKE:-$root/build/shrike}
rules=${SHRIKE_RULES:-$root/rules/eql}
scen_dir=${SCENARIOS_DIR:-$root/tests/scenarios}
verbose=${VERBOSE:-0}

if ! command -v jq >/dev/null 2>&1; then
    echo "scenarios.sh: jq is required" >&2
    exit 2
fi
if [ ! -x "$shrike" ] && ! command -v "$shrike" >/dev/null 2>&1; then
    echo "scenarios.sh: shrike binary not found: $shrike (build it with make, or set SHRIKE)" >&2
    exit 2
fi
if [ ! -d "$scen_dir" ]; then
    echo "scenarios.sh: no scenario folder: $scen_dir" >&2
    exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/shrike-scenarios.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0

ok() {
    passed=$((passed + 1))
    if [ "$verbose" = 1 ] && [ -n "${2:-}" ]; then
        printf 'ok   %s  (%s)\n' "$1" "$2"
    else
        printf 'ok   %s\n' "$1"
    fi
}

fail() {
    failed=$((failed + 1))
    printf 'FAIL %s\n' "$1"
}

# The alert shape every alert of this pack must have (see docs/scenarios.md).
shape_filter='
  select(
    (.rule | type) != "object"
    or (.rule.id | type) != "string" or (.rule.id == "")
    or (.rule.name | type) != "string"
    or .rule.language != "eql"
    or (.rule.severity | type) != "string"
    or ((.techniques // []) | index(["T1587.002"]) | not)
    or (.timestamp | type) != "string"
    or (.host | type) != "string"
    or ((.events // []) | length) < 1
  ) | (.rule.id // "?")'

if [ "$#" -gt 0 ]; then
    dirs=()
    for name in "$@"; do dirs+=("$scen_dir/$name"); done
else
    dirs=()
    while IFS= read -r d; do dirs+=("$d"); done < <(find "$scen_dir" -mindepth 1 -maxdepth 1 -type d | LC_ALL=C sort)
fi

for dir in "${dirs[@]}"; do
    dir=${dir%/}
    name=$(basename "$dir")
    expected="$dir/expected.tsv"
    if [ ! -f "$expected" ]; then
        [ "$#" -gt 0 ] && fail "$name: no expected.tsv"
        continue
    fi

    # expected rows, comments and blank lines dropped, CR stripped
    rows="$tmp/rows"
    sed -e 's/\r$//' -e '/^#/d' -e '/^@/d' -e '/^[[:space:]]*$/d' "$expected" > "$rows"

    # rows that name a file the folder does not have
    while IFS=$'\t' read -r file rule count note; do
        [ -f "$dir/$file" ] || fail "$name/$file: listed in expected.tsv but missing"
    done < "$rows"

    while IFS= read -r input; do
        file=$(basename "$input")
        label="$name/$file"
        case "$file" in
        *.xml)
            if [ -z "${xml_ok:-}" ]; then
                # probe once: does this shrike read event XML?
                xml_ok=1
                if ! "$shrike" dump "$input" > /dev/null 2> "$tmp/probe" && grep -q 'not supported yet' "$tmp/probe"; then
                    xml_ok=0
                fi
            fi
            if [ "$xml_ok" = 0 ]; then
                echo "skip $label: shrike does not read event XML yet ($(head -c 200 "$tmp/probe" | tr '\n' ' '))"
                continue
            fi
            ;;
        esac
        out="$tmp/out" err="$tmp/err"
        "$shrike" scan -r "$rules" -f jsonl "$input" > "$out" 2> "$err"
        rc=$?

        nrows=$(awk -F'\t' -v f="$file" '$1 == f' "$rows" | wc -l)
        if [ "$nrows" -eq 0 ]; then
            fail "$label: no expectations in expected.tsv"
            continue
        fi
        if [ "$rc" -ne 0 ]; then
            fail "$label: shrike scan exited with status $rc: $(head -c 300 "$err" | tr '\n' ' ')"
            failed=$((failed + nrows - 1))
            continue
        fi

        # one rule id per alert line; a line that is not JSON fails the file
        if ! jq -r '.rule.id // "<no rule.id>"' < "$out" > "$tmp/ids" 2> "$tmp/jqerr"; then
            fail "$label: output is not JSON lines: $(head -c 200 "$tmp/jqerr" | tr '\n' ' ')"
            failed=$((failed + nrows - 1))
            continue
        fi

        while IFS=$'\t' read -r efile rule count note; do
            [ "$efile" = "$file" ] || continue
            got=$(grep -cxF -- "$rule" "$tmp/ids")
            if [ "$got" = "$count" ]; then
                ok "$label $rule: $got alert(s)" "$note"
            else
                fail "$label $rule: expected $count, got $got ($note)"
            fi
        done < "$rows"

        # alerts from rules the file does not expect
        unexpected=$(awk -F'\t' -v f="$file" '$1 == f { print $2 }' "$rows" | LC_ALL=C sort -u > "$tmp/known"
                     LC_ALL=C sort "$tmp/ids" | uniq -c | while read -r n id; do
                         grep -qxF -- "$id" "$tmp/known" || printf '%s x%s; ' "$id" "$n"
                     done)
        if [ -n "$unexpected" ]; then
            fail "$label: alerts from rules not in expected.tsv: $unexpected"
        else
            ok "$label: no unexpected rules"
        fi

        # alert shape
        if [ -s "$out" ]; then
            bad=$(jq -r "$shape_filter" < "$out" | LC_ALL=C sort | uniq -c |
                  while read -r n id; do printf '%s x%s; ' "$id" "$n"; done)
            if [ -n "$bad" ]; then
                fail "$label: alerts missing rule/technique/timestamp/host/events fields: $bad"
            else
                ok "$label: alert shape"
            fi
        fi
    done < <(find "$dir" -maxdepth 1 -type f \( -name '*.ndjson' -o -name '*.xml' \) | LC_ALL=C sort)
done

echo "scenarios: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
