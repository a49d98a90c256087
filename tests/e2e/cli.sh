#!/usr/bin/env bash
# cli.sh: end-to-end tests of the command line: exact output shapes, exact
# error messages, exit codes. $SHRIKE is the binary; $SHRIKE_WRAP an optional
# wrapper (valgrind). Prints "cli: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
BIN=${SHRIKE:-build/shrike}
WRAP=${SHRIKE_WRAP:-}
D=tests/e2e/data
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0

run() { # run NAME EXPECTED_RC -- ARGS... ; stdout in $T/out, stderr in $T/err
    local name=$1 want=$2
    shift 3
    $WRAP "$BIN" "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL $name: exit $rc, expected $want"; sed 's/^/  stderr: /' "$T/err" | head -5
        fail=$((fail + 1)); return 1
    fi
    return 0
}
expect_out() { # expect_out NAME EXPECTED_TEXT
    if [ "$(cat "$T/out")" == "$2" ]; then pass=$((pass + 1)); else
        echo "FAIL $1: stdout differs"; diff <(echo "$2") "$T/out" | head -10; fail=$((fail + 1)); fi
}
expect_err_line() { # expect_err_line NAME LINE (exact line present in stderr)
    if grep -qxF -- "$2" "$T/err"; then pass=$((pass + 1)); else
        echo "FAIL $1: stderr lacks line: $2"; sed 's/^/  stderr: /' "$T/err" | head -8; fail=$((fail + 1)); fi
}

# dump: flattened fields, bad lines reported with file:line:col and counted
run dump-ndjson 0 -- dump "$D/mixed.ndjson" && {
expect_out dump-ndjson '{"@timestamp":"2026-03-02T10:00:00.000Z","event.category":["process"],"event.type":["start"],"host.name":"WS01","process.name":"svchost.exe","process.args":["C:\\Windows\\system32\\svchost.exe","-k","netsvcs"],"process.pid":812}
{"@timestamp":"2026-03-02T10:00:01.000Z","event.category":["process"],"event.type":["start"],"host.name":"WS01","process.name":"certutil.exe","process.args":["certutil.exe","-addstore","Root","C:\\Users\\a\\AppData\\Local\\Temp\\x.cer"],"process.pid":4100}
{"@timestamp":"2026-03-02T10:00:02.000Z","event.category":["file"],"event.type":["creation"],"host.name":"WS01","file.path":"C:\\Users\\a\\AppData\\Local\\Temp\\x.pfx"}
{"@timestamp":"2026-03-02T10:00:03.000Z","event.category":["process"],"event.type":["start"],"host.name":"WS02","process.name":"SignTool.exe","process.args":["signtool.exe","sign","/f","a.pfx","b.exe"],"process.pid":4200}'
expect_err_line dump-bad-json "shrike: $D/mixed.ndjson:4:1: top-level value is not an object (found 't')"
expect_err_line dump-bad-utf8 "shrike: $D/mixed.ndjson:7:13: invalid UTF-8"
grep -q "4 events read, 2 rejected" "$T/err" && pass=$((pass + 1)) || { echo "FAIL dump-summary"; cat "$T/err"; fail=$((fail + 1)); }
}

# a JSON array and a pretty-printed Windows rendering
run dump-array 0 -- dump -q "$D/array.json" && expect_out dump-array '{"a":1,"event.category":"process"}
{"a":2,"event.category":"process"}'
run dump-pretty 0 -- dump -q "$D/sysmon-pretty.json" && expect_out dump-pretty '{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"pc9","TimeCreated":"2026-03-02T10:00:00Z","Image":"C:\\Tools\\openssl.exe","CommandLine":"openssl.exe req -x509 -newkey rsa:2048"}'

# gzip and stdin
gzip -c "$D/array.json" > "$T/a.json.gz"
run dump-gz 0 -- dump -q "$T/a.json.gz" && expect_out dump-gz '{"a":1,"event.category":"process"}
{"a":2,"event.category":"process"}'
$WRAP "$BIN" dump -q - < "$D/array.json" > "$T/out" 2>"$T/err" && expect_out dump-stdin '{"a":1,"event.category":"process"}
{"a":2,"event.category":"process"}'

# query: original documents out, case-insensitive ':' on process.name
run query-eql 0 -- query -q 'process where process.name : "signtool.exe" and process.args : "sign"' "$D/mixed.ndjson" &&
expect_out query-eql '{"@timestamp":"2026-03-02T10:00:03.000Z","event":{"category":["process"],"type":["start"]},"host":{"name":"WS02"},"process":{"name":"SignTool.exe","args":["signtool.exe","sign","/f","a.pfx","b.exe"],"pid":4200}}'

# query over a Windows rendering: ECS names through the field model
run query-fieldmodel 0 -- query -q 'process where event.type == "start" and process.name : "openssl.exe" and process.args : "-x509" and host.name == "pc9"' "$D/sysmon-pretty.json" &&
expect_out query-fieldmodel '{"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"pc9","TimeCreated":{"#attributes":{"SystemTime":"2026-03-02T10:00:00Z"}}},"EventData":{"Image":"C:\\Tools\\openssl.exe","CommandLine":"openssl.exe req -x509 -newkey rsa:2048"}}}'

# sequences carry _sequence
run query-seq 0 -- query -q 'sequence by host.name with maxspan=5s [process where process.name : "certutil.exe"] [file where file.path : "*.pfx"]' "$D/mixed.ndjson" &&
expect_out query-seq '{"@timestamp":"2026-03-02T10:00:01.000Z","event":{"category":["process"],"type":["start"]},"host":{"name":"WS01"},"process":{"name":"certutil.exe","args":["certutil.exe","-addstore","Root","C:\\Users\\a\\AppData\\Local\\Temp\\x.cer"],"pid":4100},"_sequence":1}
{"@timestamp":"2026-03-02T10:00:02.000Z","event":{"category":["file"],"type":["creation"]},"host":{"name":"WS01"},"file":{"path":"C:\\Users\\a\\AppData\\Local\\Temp\\x.pfx"},"_sequence":1}'

# a query that does not compile: exit 3 and a positioned reason
run query-bad 3 -- query 'process where process.name ==' "$D/mixed.ndjson" && { pass=$((pass + 1)); grep -q '^shrike query: query:1:' "$T/err" && pass=$((pass + 1)) || { echo "FAIL query-bad message"; cat "$T/err"; fail=$((fail + 1)); }; }

# usage errors and help
run usage-none 2 -- && pass=$((pass + 1))
run usage-unknown 2 -- frobnicate && { expect_err_line usage-unknown "shrike: unknown command 'frobnicate'"; }
for c in scan query dump; do run "help-$c" 0 -- $c --help && { grep -q "^usage: shrike $c" "$T/out" && pass=$((pass + 1)) || { echo "FAIL help-$c"; fail=$((fail + 1)); }; }; done
run help-rules 0 -- rules --help && pass=$((pass + 1))
run scan-no-input 2 -- scan && expect_err_line scan-no-input "shrike scan: no INPUT given (use - for standard input)"
run scan-bad-format 2 -- scan -f xml "$D/mixed.ndjson" && expect_err_line scan-bad-format "shrike scan: unknown format 'xml' (jsonl, csv or table)"

# missing input: reported, exit 4
run missing-input 4 -- dump /nonexistent/file.json && expect_err_line missing-input "shrike: /nonexistent/file.json: cannot open: No such file or directory"

# rules check on a folder with one good and one bad rule
mkdir -p "$T/rules"
printf 'process where process.name : "a.exe"\n' > "$T/rules/good.eql"
printf 'process where process.name : \n' > "$T/rules/bad.eql"
run rules-check 1 -- rules check "$T/rules" && {
    tail -1 "$T/out" | grep -qx "1 loaded, 1 rejected" && pass=$((pass + 1)) || { echo "FAIL rules-check count"; cat "$T/out"; fail=$((fail + 1)); }
    grep -qxF "$T/rules/bad.eql:2: expected a constant after ':', found end of query" "$T/out" && pass=$((pass + 1)) || { echo "FAIL rules-check location"; cat "$T/out"; fail=$((fail + 1)); }
}

# scan: alerts as JSONL with rule metadata, deterministic across runs
run scan-jsonl 0 -- scan -q -r "$T/rules/good.eql" -f jsonl "$D/mixed.ndjson" && expect_out scan-jsonl ''
printf '// name: Signtool sign\n// id: test-signtool\n// severity: medium\n// techniques: T1553.002\nprocess where process.name : "signtool.exe" and process.args : "sign"\n' > "$T/rules/sign.eql"
run scan-alert 0 -- scan -q -r "$T/rules/sign.eql" -f jsonl "$D/mixed.ndjson" &&
expect_out scan-alert '{"rule":{"id":"test-signtool","name":"Signtool sign","language":"eql","severity":"medium","path":"'"$T"'/rules/sign.eql"},"techniques":["T1553.002"],"timestamp":"2026-03-02T10:00:03.000Z","host":"WS02","user":null,"process":{"name":"SignTool.exe","pid":4200},"events":[{"@timestamp":"2026-03-02T10:00:03.000Z","event":{"category":["process"],"type":["start"]},"host":{"name":"WS02"},"process":{"name":"SignTool.exe","args":["signtool.exe","sign","/f","a.pfx","b.exe"],"pid":4200}}]}'
cp "$T/out" "$T/first"
run scan-again 0 -- scan -q -r "$T/rules/sign.eql" -f jsonl "$D/mixed.ndjson" && { cmp -s "$T/out" "$T/first" && pass=$((pass + 1)) || { echo "FAIL scan not deterministic"; fail=$((fail + 1)); }; }
run scan-csv 0 -- scan -q -r "$T/rules/sign.eql" -f csv "$D/mixed.ndjson" &&
expect_out scan-csv 'timestamp,rule_id,rule_name,language,severity,confidence,techniques,host,user,process_executable,process_command_line,parent_executable,events
2026-03-02T10:00:03.000Z,test-signtool,Signtool sign,eql,medium,,T1553.002,WS02,,,,,1'

# lines of many megabytes, from standard input
{ printf '{"event":{"category":"process"},"process":{"name":"big.exe","command_line":"'; head -c 6000000 /dev/zero | tr '\0' x; printf '"}}\n{"event":{"category":"process"},"process":{"name":"small.exe"}}\n'; } > "$T/big.ndjson"
$WRAP "$BIN" query -q 'process where process.name : "*.exe" and length(process.command_line) > 5999999' - < "$T/big.ndjson" > "$T/out" 2>"$T/err"
if [ "$(wc -c < "$T/out")" = "$(head -1 "$T/big.ndjson" | wc -c)" ] && grep -q '"big.exe"' "$T/out"; then pass=$((pass + 1)); else echo "FAIL big-line: $(wc -c < "$T/out") bytes"; fail=$((fail + 1)); fi

# damaged input: nothing after a bad document is lost, and every problem is reported
{ echo '{"a":'; for i in 1 2 3; do echo "{\"i\":$i}"; done; } > "$T/firstbad.ndjson"
run firstbad 0 -- dump "$T/firstbad.ndjson" && { expect_out firstbad '{"i":1}
{"i":2}
{"i":3}'; expect_err_line firstbad-msg "shrike: $T/firstbad.ndjson:1:6: unexpected end of input"; }
printf '[{"a":1},,{"a":2}, }, {"a":3} {"a":4}]' > "$T/arr.json"
run garbage-array 0 -- dump "$T/arr.json" && { expect_out garbage-array '{"a":1}
{"a":2}
{"a":3}
{"a":4}'; expect_err_line garbage-array-msg "shrike: $T/arr.json:1:20: unexpected '}' between documents; skipped to the next '{'"; }
printf '{\n  "i": 1\n}\n{\n  "i": 2,\n  "x": {\n    "y": 1\n}\n{\n  "i": 3\n}\n' > "$T/pretty-bad.json"
run pretty-missing-brace 0 -- dump "$T/pretty-bad.json" && { expect_out pretty-missing-brace '{"i":1}
{"i":3}'; grep -q "1 rejected" "$T/err" && pass=$((pass + 1)) || { echo "FAIL pretty-missing-brace count"; cat "$T/err"; fail=$((fail + 1)); }; }
for i in $(seq 1 2000); do echo "{\"i\":$i}"; done | gzip > "$T/t.gz"
head -c 3000 "$T/t.gz" > "$T/trunc.gz"
run truncated-gzip 4 -- dump "$T/trunc.gz" && { grep -q "^shrike: $T/trunc.gz: read error after [0-9]* bytes: .*unexpected end of file" "$T/err" && pass=$((pass + 1)) || { echo "FAIL truncated-gzip message"; cat "$T/err"; fail=$((fail + 1)); }; }
mkdir -p "$T/loop/sub" && ln -s .. "$T/loop/sub/up" && ln -s . "$T/loop/self" && echo '{"z":1}' > "$T/loop/sub/e.json"
run symlink-loop 0 -- dump "$T/loop" && expect_out symlink-loop '{"z":1}'

# output that cannot be written is an error, not a silent loss
if [ -w /dev/full ]; then
    $WRAP "$BIN" dump "$D/array.json" > /dev/full 2>"$T/err"; rc=$?
    if [ "$rc" = 5 ] && grep -q "^shrike dump: cannot write standard output" "$T/err"; then pass=$((pass + 1)); else echo "FAIL write-error: exit $rc"; fail=$((fail + 1)); fi
fi

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
