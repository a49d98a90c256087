#!/usr/bin/env bash
# shrike_test.sh: end-to-end tests of `shrike test`: the exact matrix, miss explanation and
# summary on a small fixed set of cases written here, the failure report and exit status when an
# expectation fails, case-format errors, exclusions in the matrix; then `shrike test` over the
# bundled scenarios (tests/scenarios) with the bundled pack and with the EQL rules alone, which
# must pass. $SHRIKE is the binary, $SHRIKE_WRAP an optional wrapper (valgrind).
# Prints "shrike_test: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
BIN=${SHRIKE:-build/shrike}
WRAP=${SHRIKE_WRAP:-}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0

run() { # run NAME EXPECTED_RC ARGS... ; stdout in $T/out, stderr in $T/err
    local name=$1 want=$2
    shift 2
    $WRAP "$BIN" "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL $name: exit $rc, expected $want"
        sed 's/^/  stdout: /' "$T/out" | tail -8
        sed 's/^/  stderr: /' "$T/err" | head -5
        fail=$((fail + 1))
        return 1
    fi
    return 0
}
expect_out() { # expect_out NAME EXPECTED_TEXT
    if [ "$(cat "$T/out")" == "$2" ]; then pass=$((pass + 1)); else
        echo "FAIL $1: stdout differs"; diff <(echo "$2") "$T/out" | head -20; fail=$((fail + 1)); fi
}
expect_line() { # expect_line NAME LINE (exact line present in stdout)
    if grep -qxF -- "$2" "$T/out"; then pass=$((pass + 1)); else
        echo "FAIL $1: stdout lacks line: $2"; tail -5 "$T/out" | sed 's/^/  stdout: /'; fail=$((fail + 1)); fi
}
expect_err_line() { # expect_err_line NAME LINE
    if grep -qxF -- "$2" "$T/err"; then pass=$((pass + 1)); else
        echo "FAIL $1: stderr lacks line: $2"; sed 's/^/  stderr: /' "$T/err" | head -5; fail=$((fail + 1)); fi
}

# ---- the fixture: two rules, three cases
mkdir -p "$T/rules" "$T/cases/attack-a" "$T/cases/benign-b" "$T/cases/data-c"
cat > "$T/rules/args.eql" <<'EOF'
// id: t-args
// name: Cmdlet as an argument
// severity: low
process where process.name : "powershell.exe" and process.args : "New-SelfSignedCertificate"
EOF
cat > "$T/rules/cmd.eql" <<'EOF'
// id: t-cmd
// name: Cmdlet in the command line
// severity: low
process where process.command_line : "*New-SelfSignedCertificate*"
EOF
cat > "$T/cases/attack-a/events.ndjson" <<'EOF'
{"@timestamp":"2024-05-01T10:00:00Z","event":{"category":["process"],"type":["start"]},"host":{"name":"WS1"},"user":{"name":"ann","domain":"LAB"},"process":{"name":"powershell.exe","command_line":"powershell.exe -Command \"New-SelfSignedCertificate -DnsName x\"","args":["powershell.exe","-Command","New-SelfSignedCertificate -DnsName x"]}}
{"@timestamp":"2024-05-01T10:00:01Z","event":{"category":["file"],"type":["creation"]},"host":{"name":"WS1"},"file":{"path":"C:\\t\\x.pfx"}}
EOF
printf '# the cmdlet sits inside -Command\n@kind\tattack\nevents.ndjson\tt-args\t0\twhole arguments only\nevents.ndjson\tt-cmd\t1\n' \
    > "$T/cases/attack-a/expected.tsv"
cat > "$T/cases/benign-b/events.ndjson" <<'EOF'
{"@timestamp":"2024-05-01T11:00:00Z","event":{"category":["process"],"type":["start"]},"host":{"name":"DEV-9"},"user":{"name":"bob","domain":"CORP"},"process":{"name":"powershell.exe","command_line":"powershell -c New-SelfSignedCertificate -DnsName localhost","args":["powershell","-c","New-SelfSignedCertificate","-DnsName","localhost"]}}
EOF
printf '@kind\tbenign\n*\tt-cmd\t1\tknown false positive\n' > "$T/cases/benign-b/expected.tsv"
printf 't-args\t1\n' | sed 's/^/*\t/' > "$T/cases/benign-b/expected-more.tsv"
# a case reading events from elsewhere, one of which is not there
printf '../attack-a/events.ndjson\n../benign-b/*.ndjson\nmissing/*.json\n' > "$T/cases/data-c/inputs.txt"
printf '../attack-a/events.ndjson\tt-cmd\t>=1\n../benign-b/*.ndjson\tt-cmd\t1\n' > "$T/cases/data-c/expected.tsv"

run fixture 0 test -r "$T/rules" "$T/cases" && expect_out fixture "rules
  R1   t-args                                 eql   Cmdlet as an argument
  R2   t-cmd                                  eql   Cmdlet in the command line

case / file                 R1     R2    
attack-a (attack)
  events.ndjson             -      1     
benign-b (benign)
  events.ndjson             1      1     
data-c (attack)
  ../attack-a/events.ndjson -      1     
  ../benign-b/*.ndjson      1?     1     
  missing/*.json            skip   skip  

  N alerts raised   - none   ~K of them suppressed by exclusions   ! expectation failed
  ? no expectation for the rule in this case   skip reader not available   err input error

not run
  data-c/missing/*.json: skipped: not present

misses on attack cases (the first condition no event met)
  attack-a R1: \`process.args : \"New-SelfSignedCertificate\"\` is false; process.args = [powershell.exe, -Command, \"New-SelfSignedCertificate -DnsName x\"] (events.ndjson:1)

shrike test: 3 cases, 5 event files (1 skipped), 2 rules; 6 checks, 0 failed; 1 alert from rules without expectations"

# --strict: alerts of a rule a case has no expectation for fail
run strict 1 test --strict -q -r "$T/rules" "$T/cases" &&
expect_out strict "
FAIL data-c/../benign-b/*.ndjson t-args: 1 alert(s) and the case has no expectation for the rule

shrike test: 3 cases, 5 event files (1 skipped), 2 rules; 6 checks, 1 failed; 1 alert from rules without expectations"

# a failed expectation: exit 1, the FAIL line names the row, the cell is marked
printf 'events.ndjson\tt-cmd\t2\twant two\n' > "$T/cases/attack-a/expected-extra.tsv"
run failing 1 test -r "$T/rules" "$T/cases/attack-a" && {
expect_line failing-cell "  events.ndjson    -      1!    "
expect_line failing-line "FAIL attack-a/events.ndjson t-cmd: expected 2, got 1 ($T/cases/attack-a/expected-extra.tsv:1: want two)"
expect_line failing-summary "shrike test: 1 case, 1 event file (0 skipped), 2 rules; 3 checks, 1 failed"
}
rm "$T/cases/attack-a/expected-extra.tsv"

# exclusions: suppressed alerts still count as raised, and the matrix shows them
cat > "$T/excl.toml" <<'EOF'
[[exclude]]
name = "dev-localhost"
host = "DEV-*"
command_line = "*-DnsName localhost*"
EOF
run excl 0 test -r "$T/rules" --exclusions "$T/excl.toml" "$T/cases/benign-b" && {
expect_line excl-cell "  events.ndjson    1~1    1~1   "
expect_line excl-summary "shrike test: 1 case, 1 event file (0 skipped), 2 rules; 2 checks, 0 failed; 2 alerts suppressed by exclusions"
}
printf '[[exclude]]\nhots = "x"\n' > "$T/bad.toml"
run excl-bad 2 test -r "$T/rules" --exclusions "$T/bad.toml" "$T/cases" &&
expect_err_line excl-bad "shrike test: $T/bad.toml:2: unknown key 'hots' in [[exclude]] (known: name, reason, rules, host, user, parent, path, command_line, signer, file, fields)" &&
pass=$((pass + 1))

# case-format errors are failures with file:line
mkdir -p "$T/bad/case"
cp "$T/cases/attack-a/events.ndjson" "$T/bad/case/"
printf 'events.ndjson\tt-cmd\tmany\n@kind\tmaybe\nevents.ndjson\n' > "$T/bad/case/expected.tsv"
run format 1 test -q -r "$T/rules" "$T/bad" && {
expect_line format-count "FAIL $T/bad/case/expected.tsv:1: COUNT must be a number or >=N, not 'many'"
expect_line format-kind "FAIL $T/bad/case/expected.tsv:2: @kind is attack or benign, not 'maybe'"
expect_line format-cols "FAIL $T/bad/case/expected.tsv:3: an expectation is FILE<TAB>RULE_ID<TAB>COUNT[<TAB>NOTE]"
}
run usage 2 test -r "$T/rules" "$T/nonexistent" &&
expect_err_line usage "shrike test: not a folder: $T/nonexistent" && pass=$((pass + 1))
run nocase 2 test -r "$T/rules" "$T/rules" &&
expect_err_line nocase "shrike test: no test case found (a case is a folder with an expected*.tsv)" && pass=$((pass + 1))

# ---- the bundled scenarios: the bundled pack (with its exclusions), and the EQL rules alone
run scenarios-pack 0 test -q tests/scenarios && {
    grep -q '^shrike test: [0-9]* cases, .* 0 failed' "$T/out" && pass=$((pass + 1)) || {
        echo "FAIL scenarios-pack summary"; tail -3 "$T/out"; fail=$((fail + 1)); }
}
# the hand-written variants: every rule's count on every file, and no alert from a rule without rows
run variants-pack 0 test -q --strict tests/variants && {
    grep -q '^shrike test: 30 cases, 115 event files (0 skipped), 9 rules; [0-9]* checks, 0 failed' "$T/out" && pass=$((pass + 1)) || {
        echo "FAIL variants-pack summary"; tail -3 "$T/out"; fail=$((fail + 1)); }
}
run scenarios-eql 0 test -r rules/eql tests/scenarios && {
    # the Sigma rules' expectations name rules not loaded here: said, not failed
    grep -q '^shrike test: [0-9]* cases, .* 0 failed; [0-9]* expectations name rules not loaded$' "$T/out" && pass=$((pass + 1)) || {
        echo "FAIL scenarios-eql summary"; tail -3 "$T/out"; fail=$((fail + 1)); }
    # the verbatim rule's documented miss, explained
    expect_line scenarios-eql-miss "  000-1-powershell-new-selfsignedcertificate R1: \`process.args : (\"New-SelfSignedCertificate\", \"Export-PfxCertificate\", \"Export-Certificate\", \"X509Certificate2\", \"CertEnroll.CX509\", \"codeSigning\", \"1.3.6.1.5.5.7.3.3\")\` is false; process.args = [C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe, -NoProfile, -ExecutionPolicy, Bypass, -Command, \"\$cert = New-SelfSignedCertificate -Type CodeSigningCert -Subject 'CN=Mic...\"] (endpoint.ndjson:1)"
}

echo "shrike_test: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
