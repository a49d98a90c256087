#!/usr/bin/env bash
# prefilter.sh: the literal prefilter and the category index may only skip
# rules that could not match. Runs all of Elastic's detection rules over real
# and scenario data, and SigmaHQ's Windows rules and the bundled pack over the
# EVTX samples, with and without them (SHRIKE_NO_PREFILTER=1) and requires
# byte-identical alerts. Needs ../shared/data; skipped without it.
set -u
cd "$(dirname "$0")/../.."
BIN=${SHRIKE:-build/shrike}
WRAP=${SHRIKE_WRAP:-}
RULES=../shared/data/eql/detection-rules/rules
if [ ! -d "$RULES" ] || [ -n "$WRAP" ]; then
    echo "prefilter: skipped (no $RULES, or under a wrapper: too slow there)"
    echo "prefilter: 0 passed, 0 failed"
    exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
# generated traffic with an attack every 200 events: hundreds of alerts
python3 bench/gen_ecs.py --events 20000 --seed 7 --attack-rate 200 --quiet -o "$T/gen.ndjson"
for data in "$T/gen.ndjson" tests/scenarios ../shared/data/ecs/otrf ../shared/data/ecs/elastic-golden ../shared/data/macos; do
    [ -e "$data" ] || continue
    "$BIN" scan -q -r "$RULES" -f jsonl "$data" > "$T/with" 2>/dev/null
    SHRIKE_NO_PREFILTER=1 "$BIN" scan -q -r "$RULES" -f jsonl "$data" > "$T/without" 2>/dev/null
    if cmp -s "$T/with" "$T/without"; then
        pass=$((pass + 1)); echo "ok $data: $(wc -l < "$T/with") alerts either way"
    else
        fail=$((fail + 1)); echo "FAIL $data: $(wc -l < "$T/with") alerts with the prefilter, $(wc -l < "$T/without") without"
    fi
done
# SigmaHQ's Windows rules and the bundled pack (Sigma, EQL, SPL: the SPL searches' EventCode and
# sourcetype tests are looked up as text) over the EVTX samples
SIGMA=../shared/data/sigma/rules/windows
for set in "$SIGMA" rules; do
    [ -d "$set" ] && [ -d ../shared/data/evtx ] || continue
    "$BIN" scan -q -r "$set" -f jsonl ../shared/data/evtx > "$T/with" 2>/dev/null
    SHRIKE_NO_PREFILTER=1 "$BIN" scan -q -r "$set" -f jsonl ../shared/data/evtx > "$T/without" 2>/dev/null
    if cmp -s "$T/with" "$T/without"; then
        pass=$((pass + 1)); echo "ok $set on ../shared/data/evtx: $(wc -l < "$T/with") alerts either way"
    else
        fail=$((fail + 1)); echo "FAIL $set on ../shared/data/evtx: $(wc -l < "$T/with") alerts with the prefilter, $(wc -l < "$T/without") without"
    fi
done
echo "prefilter: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
