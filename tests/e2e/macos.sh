#!/usr/bin/env bash
# macos.sh: end-to-end tests of macOS input: eslogger (Endpoint Security) NDJSON and Elastic
# Endpoint macOS documents through the field model (docs/macos.md): the ECS names EQL rules use,
# the Windows-native names Sigma's macOS process_creation rules use, the Sigma logsource, alerts;
# and, when ../shared/data/macos is there, the exact error for a malformed document and the
# account of the whole set. $SHRIKE is the binary, $SHRIKE_WRAP an optional wrapper (valgrind).
# Prints "macos: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
BIN=${SHRIKE:-build/shrike}
WRAP=${SHRIKE_WRAP:-}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ES=tests/scenarios/003-4-macos-codesign-adhoc/eslogger.ndjson
EP=tests/scenarios/003-4-macos-codesign-adhoc/endpoint.ndjson

run() { # run NAME EXPECTED_RC ARGS... ; stdout in $T/out, stderr in $T/err
    local name=$1 want=$2
    shift 2
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
expect_lines() { # expect_lines NAME N (stdout has N lines)
    local n
    n=$(wc -l < "$T/out")
    if [ "$n" -eq "$2" ]; then pass=$((pass + 1)); else
        echo "FAIL $1: $n lines, expected $2"; head -3 "$T/out" | cut -c1-200; fail=$((fail + 1)); fi
}
expect_err_line() { # expect_err_line NAME LINE
    if grep -qxF -- "$2" "$T/err"; then pass=$((pass + 1)); else
        echo "FAIL $1: stderr lacks line: $2"; sed 's/^/  stderr: /' "$T/err" | head -8; fail=$((fail + 1)); fi
}

# ---- eslogger: the exec of codesign, every ECS field the field model gives, with exact values
run es-exec 0 query -q 'process where event.type == "start" and event.action == "exec" and
    host.os.type == "macos" and host.os.family == "macos" and
    process.executable == "/usr/bin/codesign" and process.name == "codesign" and
    process.args == "-" and process.command_line == "codesign --sign - --force /tmp/df00tech-adhoc" and
    process.pid == 4413 and process.working_directory == "/Users/jwalsh" and
    process.code_signature.signing_id == "com.apple.codesign" and process.code_signature.team_id == null and
    process.parent.pid == 4410 and process.parent.executable == "/bin/sh" and process.parent.name == "sh" and
    process.parent.code_signature.signing_id == "com.apple.sh" and user.id == 501' "$ES" &&
    expect_lines es-exec 1
# process.args is the argument vector itself (an argument with blanks stays one element)
run es-args 0 query -q 'process where process.name == "sh" and
    process.args == "cp /bin/ls /tmp/df00tech-adhoc && codesign --sign - --force /tmp/df00tech-adhoc && codesign -dv /tmp/df00tech-adhoc && spctl --assess --type execute /tmp/df00tech-adhoc"' "$ES" &&
    expect_lines es-args 1
# fork: the child still runs its parent's image; the acting process is the parent
run es-fork 0 query -q 'process where event.action == "fork" and event.type == "start" and
    process.executable == "/bin/sh" and process.parent.executable == "/bin/sh" and process.parent.pid == 4410' "$ES" &&
    expect_lines es-fork 4
run es-fork-first 0 query -q 'process where event.action == "fork" and process.pid == 4410 and
    process.parent.pid == 1931 and process.parent.name == "zsh"' "$ES" && expect_lines es-fork-first 1
# the Windows-native names Sigma uses
cat > "$T/fields.yml" <<'EOF'
title: eslogger fields for Sigma
id: 0b6f6f0e-5d0a-4c55-9a43-1f0c2d6e1a01
logsource:
    category: process_creation
    product: macos
detection:
    selection:
        Image: /usr/bin/codesign
        ParentImage|endswith: /sh
        CommandLine|contains: '--sign - '
    condition: selection
level: low
EOF
run es-sigma-fields 0 scan -q -r "$T/fields.yml" -f jsonl "$ES" && {
    jq -c '[.rule.id, .timestamp, .process.executable, .process.command_line, .process.pid, .process.parent.executable]' \
        < "$T/out" > "$T/sel" && cp "$T/sel" "$T/out"
    expect_out es-sigma-fields '["0b6f6f0e-5d0a-4c55-9a43-1f0c2d6e1a01","2024-05-22T15:40:11.341612239Z","/usr/bin/codesign","codesign --sign - --force /tmp/df00tech-adhoc",4413,"/bin/sh"]'
}
# the bundled macOS rule on both renderings of test 4 and of its variant
for f in "$ES" "$EP" tests/scenarios/003-4b-macos-codesign-s-dash-python/eslogger.ndjson \
         tests/scenarios/003-4b-macos-codesign-s-dash-python/endpoint.ndjson; do
    run "adhoc-rule $f" 0 scan -q -r rules/sigma/proc_creation_macos_codesign_adhoc.yml -f jsonl "$f" &&
        expect_lines "adhoc-rule $f" 1
done
# Elastic Endpoint macOS documents (Elasticsearch hits): ECS as they are
run ep-exec 0 query -q 'process where event.action == "exec" and process.name == "codesign" and process.args == "-"
    and process.parent.name == "sh" and host.os.type == "macos" and user.name == "jwalsh"' "$EP" && expect_lines ep-exec 1
# a generic document with event_type but not eslogger's shape is not taken for one
printf '{"event_type":9,"process":{"executable":{"path":"/x"}}}\n' > "$T/generic.ndjson"
run generic 0 query -q 'any where host.os.type == "macos" or process.executable == "/x"' "$T/generic.ndjson" &&
    expect_lines generic 0

# ---- the real macOS set (when ../shared/data is there)
MAC=../shared/data/macos
if [ -d "$MAC" ]; then
    run malformed 0 dump -q "$MAC/Lateral Movement/lateral_movement_ssh_from_python_procexec.json" &&
        expect_err_line malformed "shrike: $MAC/Lateral Movement/lateral_movement_ssh_from_python_procexec.json:28:4: unexpected ']'"
    run malformed-2 0 dump -q "$MAC/Discovery/discovery_system_profile_sw_vers.json" &&
        expect_err_line malformed-2 "shrike: $MAC/Discovery/discovery_system_profile_sw_vers.json:131:1: expected ',' or '}' in object, found end of input"
    # every document read or rejected with a reason
    run macos-set 0 dump "$MAC"/*/*.json && {
        expect_lines macos-set 83
        grep -q "66 inputs (0 unreadable), 83 events read, 12 rejected" "$T/err" && pass=$((pass + 1)) || {
            echo "FAIL macos-set summary"; tail -1 "$T/err"; fail=$((fail + 1)); }
    }
    # Endpoint's own codesign event in the set: the EQL and Sigma names answer
    run macos-codesign 0 query -q 'process where process.name == "codesign" and process.args == "--remove-signature"
        and host.os.type == "macos"' "$MAC/Defense Evasion/evasion_remove_codesign.json" && expect_lines macos-codesign 1
else
    echo "skip macOS data checks: $MAC not present"
fi

echo "macos: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
