#!/usr/bin/env bash
# spl.sh: SPL end to end. Page 003's search, verbatim (from the bundled rule,
# and from ../shared/seeds when it is there, which must be the same text), run
# with `shrike query -l spl` over every scenario file in Sysmon and Security
# XML and Winlogbeat NDJSON: every row, column and value must equal what the
# independent model tests/e2e/spl_seed_model.py computes from Splunk's
# documented semantics. Then the search on a generated EVTX file (exact rows),
# the readings' warnings, the Splunk view options, the errors for what shrike
# does not run, and the real ESCU files when ../shared is there.
set -u
cd "$(dirname "$0")/../.."
BIN=${SHRIKE:-build/shrike}
WRAP=${SHRIKE_WRAP:-}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
RULE=rules/spl/detect_code_signing_in_splunk.yml

# the rule's search block, de-indented
awk '/^search: \|/{f=1;next} f && /^[^ ]/{f=0} f' "$RULE" | sed 's/^  //' > "$T/q.spl"
# no trailing newline difference: compare without the last one
printf '%s' "$(cat "$T/q.spl")" > "$T/q.spl"
SEED=$(ls ../shared/seeds/003_*.txt 2>/dev/null | head -1)
if [ -n "$SEED" ]; then
    awk '/^spl$/{f=1;next} /severity/{f=0} f' "$SEED" > "$T/page.spl"
    printf '%s' "$(cat "$T/page.spl")" > "$T/page.spl"
    if cmp -s "$T/q.spl" "$T/page.spl"; then ok; else bad bundled-rule "the bundled rule's search differs from the page"; fi
fi
Q=$(cat "$T/q.spl")

# 1. every scenario file against the model
n=0
for f in tests/scenarios/*/*.xml tests/scenarios/*/winlogbeat.ndjson; do
    [ -f "$f" ] || continue
    $WRAP "$BIN" query -q -l spl "$Q" "$f" > "$T/rows" 2> "$T/err"
    rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then bad "$f" "exit $rc: $(head -2 "$T/err")"; continue; fi
    r=$(python3 tests/e2e/spl_seed_model.py --check "$T/rows" "$f" 2>&1)
    case "$r" in
    ok*) ok; n=$((n + $(wc -l < "$T/rows")));;
    *) bad "$f" "$r";;
    esac
done
echo "spl: page 003's search on the scenarios: $n rows, all equal to the model's"

# 2. the same search on EVTX: exact rows
if python3 tests/fuzz/make_evtx_corpus.py sample "$T/s.evtx" 2>/dev/null; then
    $WRAP "$BIN" query -q -l spl "$Q" "$T/s.evtx" > "$T/rows" 2>/dev/null
    cat > "$T/want" <<'EOF'
{"_time":1772445602.000,"host":"ws01.corp.example","User":"alice","Process":"C:\\Program Files (x86)\\Windows Kits\\10\\bin\\x64\\signtool.exe","CommandLine":"signtool.exe sign /f a.pfx /p secret b.exe","ParentProcess":"C:\\Windows\\System32\\cmd.exe","IsSigntool":1,"IsCertutil":0,"SigntoolSignCmd":0,"CertImport":0,"TrustedStoreTarget":0,"HasPFX":1,"SelfSigned":1,"SuspiciousParent":1,"RiskScore":3,"DetectionType":"SuspiciousCertFileCreation"}
{"_time":1772445600.000,"host":"ws01.corp.example","User":"WS01\\alice","Process":"C:\\Windows\\System32\\certutil.exe","CommandLine":"certutil.exe -addstore Root C:\\Users\\alice\\AppData\\Local\\Temp\\x.cer","ParentProcess":"C:\\Windows\\System32\\cmd.exe","IsSigntool":0,"IsCertutil":1,"SigntoolSignCmd":0,"CertImport":1,"TrustedStoreTarget":1,"HasPFX":0,"SelfSigned":0,"SuspiciousParent":1,"RiskScore":3}
EOF
    if cmp -s "$T/rows" "$T/want"; then ok; else bad evtx-rows "$(diff "$T/want" "$T/rows" | head -5)"; fi
    # scan with the bundled pack: the SPL rule's alerts carry the rows
    $WRAP "$BIN" scan -q -f jsonl "$T/s.evtx" > "$T/alerts" 2>/dev/null
    got=$(grep -c '"id":"6afe94ca-bb1c-4a27-8c6e-003000000001"' "$T/alerts")
    if [ "$got" = 2 ] && grep -q '"row":{"_time":1772445602.000,' "$T/alerts"; then ok; else bad evtx-scan "$got SPL alerts: $(head -c 300 "$T/alerts")"; fi
fi

# 3. rules check names each reading
$WRAP "$BIN" rules check -r "$RULE" > "$T/out" 2>&1
rc=$?
grep -c "warning: line [0-9]*: " "$T/out" > "$T/nw"
if [ $rc -eq 0 ] && [ "$(cat "$T/nw")" = 4 ] \
    && grep -qF "$RULE:22: warning: line 10: text beginning with '(' follows the eval expression with no '|' before it: Splunk rejects this (malformed eval expression); shrike reads it as a \`| search (...)\` command" "$T/out" \
    && grep -qF "$RULE:22: warning: line 11: subsearch [...] used as a search filter" "$T/out" \
    && grep -qF "$RULE:22: warning: line 17: subsearch [...] used as a search filter" "$T/out" \
    && grep -qF "$RULE:22: warning: line 38: appendcols pastes the subsearch's results onto the main results by position" "$T/out" \
    && grep -qx "1 loaded, 0 rejected" "$T/out"; then ok; else bad rules-check "rc=$rc $(cat "$T/out")"; fi

# 4. Splunk's view can be set: another index, classic sourcetypes
F=tests/scenarios/000-3-signtool-selfsigned-pfx/sysmon.xml
c1=$($WRAP "$BIN" query -q -l spl "$Q" "$F" 2>/dev/null | wc -l)
c2=$($WRAP "$BIN" query -q -l spl --splunk-index main "$Q" "$F" 2>/dev/null | wc -l)
c3=$($WRAP "$BIN" query -q -l spl --splunk-index main 'index=main EventCode=1 | stats count' "$F" 2>/dev/null)
c4=$($WRAP "$BIN" query -q -l spl --splunk-sourcetype classic "$Q" "$F" 2>/dev/null | wc -l)
c5=$($WRAP "$BIN" query -q -l spl --splunk-sourcetype classic 'sourcetype="WinEventLog:Microsoft-Windows-Sysmon/Operational" | stats count by EventCode' "$F" 2>/dev/null)
if [ "$c1" = 1 ] && [ "$c2" = 0 ] && [ "$c3" = '{"count":2}' ] && [ "$c4" = 0 ] \
    && [ "$c5" = "$(printf '{"EventCode":"1","count":2}\n{"EventCode":"11","count":1}')" ]; then ok
else bad splunk-view "c1=$c1 c2=$c2 c3=$c3 c4=$c4 c5=$c5"; fi

# 5. what shrike does not run: exit 3 and the reason
expect_error() { # NAME QUERY MESSAGE
    $WRAP "$BIN" query -q -l spl "$2" "$F" > /dev/null 2> "$T/err"
    local rc=$?
    if [ $rc -eq 3 ] && grep -qF "$3" "$T/err"; then ok; else bad "$1" "rc=$rc $(cat "$T/err")"; fi
}
expect_error tstats '| tstats count from datamodel=Endpoint.Processes by Processes.dest' \
    "1:3: tstats is not supported: tstats reads Splunk's indexed fields and accelerated data models"
expect_error macro '`sysmon` EventCode=1 | table Image' '1:1: macro `sysmon` is not expanded'
expect_error lookup 'EventCode=1 | lookup assets host' "1:15: lookup is not supported: lookups are Splunk's tables"
expect_error function 'EventCode=1 | eval h=sha256(Image)' '1:22: eval function sha256() is not supported'
expect_error quote 'EventCode=1 | where Image="C:\\x' "1:27: unterminated string: no closing '\"'"

# 6. the real ESCU detections: each loads or is rejected with its reason
ESCU=../shared/data/splunk/security_content
if [ -d "$ESCU" ]; then
    $WRAP "$BIN" rules check -r "$ESCU" > "$T/out" 2>&1
    total=$(find "$ESCU" -name '*.yml' | wc -l)
    rej=$(grep -c ': tstats is not supported: \|: macro `[^`]*` is not expanded' "$T/out")
    if grep -qx "0 loaded, $total rejected" "$T/out" && [ "$rej" = "$total" ]; then ok
    else bad escu "$(tail -3 "$T/out")"; fi
    echo "spl: ESCU detections: $(tail -1 "$T/out") ($(grep -c 'tstats is not supported' "$T/out") tstats, $(grep -c 'is not expanded' "$T/out") macros)"
fi

echo "spl: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
