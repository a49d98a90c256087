#!/usr/bin/env bash
# sigma.sh: end-to-end tests of Sigma through the command line.
#  - the bundled Sigma pack (rules/sigma) loads without rejection or warning;
#  - each bundled rule fires on exactly the events of its test cases
#    (tests/e2e/data/sigma/*.ndjson: every event carries "case": "match-..." or
#    "nomatch-..."), on Sysmon (Event.System rendering), Security 4688, Elastic
#    and macOS documents;
#  - the seed rules' Sigma versions on the acceptance scenarios (tests/scenarios):
#    exact alert counts per scenario file and rule;
#  - a correlation file through `scan`: the alert's shape (language, keys, events);
#  - `rules check` on broken Sigma files: exact lines.
# $SHRIKE is the binary, $SHRIKE_WRAP an optional wrapper (valgrind).
# Prints "sigma: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
BIN=${SHRIKE:-build/shrike}
WRAP=${SHRIKE_WRAP:-}
D=tests/e2e/data/sigma
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

run() { # run NAME EXPECTED_RC -- ARGS... ; stdout in $T/out, stderr in $T/err
    local name=$1 want=$2
    shift 3
    $WRAP "$BIN" "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ "$rc" != "$want" ]; then
        bad "$name: exit $rc, expected $want"
        sed 's/^/  stderr: /' "$T/err" | head -5
        return 1
    fi
    return 0
}

# ---- the bundled pack loads cleanly
run pack-check 0 -- rules check -r rules/sigma &&
    { [ "$(cat "$T/out")" = "5 loaded, 0 rejected" ] && ok || { bad "pack-check: $(cat "$T/out")"; }; }

# ---- test cases: RULE_ID_PREFIX FILE
case_check() {
    local id=$1 file=$2
    run "cases $file" 0 -- scan -q -r rules/sigma -f jsonl "$D/$file" || return
    jq -r --arg id "$id" 'select(.rule.id | startswith($id)) | .events[0] | (.case // .Event.EventData.case)' \
        <"$T/out" | LC_ALL=C sort >"$T/got"
    jq -r '(.case // .Event.EventData.case) | select(startswith("match-"))' <"$D/$file" | LC_ALL=C sort >"$T/want"
    if cmp -s "$T/got" "$T/want"; then ok; else
        bad "cases $file ($id): matched cases differ"
        diff "$T/want" "$T/got" | sed 's/^/  /' | head -10
    fi
}
case_check ea110d9c code_signing_certificates.ndjson
case_check 13ff85b3 code_signing_abuse.ndjson
case_check 656062f5 code_signing_cert_file_creation.ndjson
case_check 6626e0b2 codesign_adhoc.ndjson

# ---- the acceptance scenarios: SCENARIO FILE CERTS ABUSE CERTFILE
# (ea110d9c: T1587.002 code signing certificates; 13ff85b3: T1553.002 signing tool abuse
# with risk indicators; 656062f5: T1553.002 certificate file in a user-writable folder)
scenario() {
    local dir=tests/scenarios/$1 file=$2
    [ -f "$dir/$file" ] || { bad "scenario $1/$file: missing"; return; }
    run "scenario $1/$file" 0 -- scan -q -r rules/sigma -f jsonl "$dir/$file" || return
    local want="ea110d9c=$3 13ff85b3=$4 656062f5=$5 6626e0b2=0" got="" id n
    for id in ea110d9c 13ff85b3 656062f5 6626e0b2; do
        n=$(jq -r '.rule.id' <"$T/out" | grep -c "^$id")
        got="$got${got:+ }$id=$n"
    done
    [ "$got" = "$want" ] && ok || bad "scenario $1/$file: got $got, expected $want"
}
for f in endpoint.ndjson winlogbeat.ndjson; do
    scenario 000-1-powershell-new-selfsignedcertificate $f 1 0 1   # the cmdlet inside -Command: found in CommandLine; .pfx in Temp
    scenario 000-1b-powershell-art-executor $f 1 0 1
    scenario 000-2-openssl-codesigning-eku $f 1 0 1                # req -x509 with the EKU; pkcs12 -export has no EKU word
    scenario 000-4-certutil-addstore-root $f 1 1 0
    scenario benign-openssl-dev-csr $f 0 0 0
    scenario benign-root-store-refresh $f 0 0 0
    scenario benign-pki-admin-makecert $f 2 0 0                    # the page's own false positive: makecert
    scenario benign-certutil-store-enumeration $f 0 2 0            # the SPL's TrustedStoreTarget matches 'root'
    scenario benign-ci-signtool-timestamp $f 1 2 0                 # timestamped, but a cmd.exe parent scores
done
scenario 000-3-signtool-selfsigned-pfx endpoint.ndjson 1 1 0
scenario 000-3-signtool-selfsigned-pfx winlogbeat.ndjson 2 2 0     # Sysmon 1 and Security 4688

# ---- a correlation through scan: the alert's shape
cat >"$T/corr.yml" <<'EOF'
title: Failed logon
name: failed_logon
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4625
    condition: selection
---
title: Repeated failed logons
id: 5f7b8c3e-0d2a-4f51-9b7e-0c1d2e3f4a5b
correlation:
    type: event_count
    rules:
        - failed_logon
    group-by:
        - TargetUserName
    timespan: 5m
    condition:
        gte: 2
level: high
tags:
    - attack.t1110
EOF
cat >"$T/logons.ndjson" <<'EOF'
{"EventID":4625,"Channel":"Security","Computer":"dc1","TargetUserName":"bob","TimeCreated":"2026-03-02T10:00:00Z"}
{"EventID":4625,"Channel":"Security","Computer":"dc1","TargetUserName":"ann","TimeCreated":"2026-03-02T10:00:05Z"}
{"EventID":4625,"Channel":"Security","Computer":"dc1","TargetUserName":"bob","TimeCreated":"2026-03-02T10:01:00Z"}
EOF
run corr-scan 0 -- scan -q -r "$T/corr.yml" -f jsonl "$T/logons.ndjson" && {
    got=$(jq -c '{id:.rule.id, lang:.rule.language, sev:.rule.severity, t:.techniques, keys:.join_keys, n:(.events|length), ts:.timestamp}' <"$T/out")
    want='{"id":"5f7b8c3e-0d2a-4f51-9b7e-0c1d2e3f4a5b","lang":"sigma","sev":"high","t":["T1110"],"keys":["bob"],"n":2,"ts":"2026-03-02T10:01:00.000Z"}'
    [ "$got" = "$want" ] && ok || bad "corr-scan: got $got"
}

# ---- rules check: exact lines
mkdir -p "$T/bad"
printf 'title: x\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    sel:\n        Image|contanis: a\n    condition: sel\n' >"$T/bad/modifier.yml"
printf 'title: x\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    sel:\n        Imag: a\n    condition: sel or nope\n' >"$T/bad/ident.yml"
printf 'title: x\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    sel:\n        Imag: a\n    condition: sel\n' >"$T/bad/warn.yml"
run rules-check-bad 1 -- rules check -r "$T/bad" && {
    want="$T/bad/ident.yml:8: condition: unknown search identifier 'nope'
$T/bad/modifier.yml:7: 'Image|contanis': unknown modifier 'contanis'
$T/bad/warn.yml:1: warning: field 'Imag' (line 7) is not provided by any source of logsource windows/process_creation
1 loaded, 2 rejected"
    [ "$(cat "$T/out")" = "$want" ] && ok || { bad "rules-check-bad: output differs"; diff <(echo "$want") "$T/out" | head; }
}

echo "sigma: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
