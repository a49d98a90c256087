#!/usr/bin/env bash
# evtx.sh: end-to-end tests of EVTX input. A small EVTX file is written at test
# time by tests/fuzz/make_evtx_corpus.py (Sysmon 1 and 11, Security 4688 and 1102
# with UserData, PowerShell 4104; two chunks), so this runs without ../shared:
# exact `dump` lines, .gz and standard input, `query` and `scan` with the bundled
# rules, damaged files reported with file, offset and reason. When ../shared/data
# is there, Sysmon EVTX files of hayabusa-sample-evtx are dumped, queried and
# scanned too. $SHRIKE is the binary, $SHRIKE_WRAP an optional wrapper (valgrind).
# Prints "evtx: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 2
BIN=${SHRIKE:-build/shrike}
WRAP=${SHRIKE_WRAP:-}
PY=$(command -v python3 || command -v /usr/bin/python3 || true)
SHARED=../shared/data/evtx/hayabusa-sample-evtx
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
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $1"; shift; for l in "$@"; do echo "  $l"; done; fail=$((fail + 1)); }
expect_line() { # expect_line NAME N EXPECTED: line N of stdout
    local got
    got=$(sed -n "$2p" "$T/out")
    if [ "$got" == "$3" ]; then ok; else bad "$1: line $2 differs" "expected: $3" "got:      $got"; fi
}
expect_err_line() { # expect_err_line NAME LINE (exact line present in stderr)
    if grep -qxF -- "$2" "$T/err"; then ok; else bad "$1: stderr lacks line: $2" "$(head -5 "$T/err")"; fi
}
expect_count() { # expect_count NAME N: lines of stdout
    local n
    n=$(wc -l <"$T/out")
    if [ "$n" -eq "$2" ]; then ok; else bad "$1: $n lines, expected $2"; fi
}

if [ -z "$PY" ]; then
    echo "evtx: python3 not found; generated-file tests skipped"
else
    S="$T/s.evtx"
    "$PY" tests/fuzz/make_evtx_corpus.py sample "$S"

    # dump: one JSON object a record, System fields first, typed values
    run dump 0 -- dump "$S" && {
        expect_count dump 8
        expect_line dump-sysmon1 1 '{"Provider_Name":"Microsoft-Windows-Sysmon","Provider_Guid":"{5770385F-C22A-43E0-BF4C-06F5698FFBD9}","EventID":1,"Version":5,"Level":4,"Task":1,"Opcode":0,"Keywords":"0x8000000000000000","TimeCreated":"2026-03-02T10:00:00.000000Z","EventRecordID":1,"Execution_ProcessID":2928,"Execution_ThreadID":3904,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"ws01.corp.example","Security_UserID":"S-1-5-18","RuleName":"-","UtcTime":"2026-03-02 10:00:01.001","ProcessGuid":"{8A4A5C1E-6E4B-64F2-0E5F-030000000A00}","ProcessId":4100,"Image":"C:\\Windows\\System32\\certutil.exe","FileVersion":"10.0.19041.1","Description":"certutil.exe","Product":"Microsoft® Windows® Operating System","Company":"Microsoft Corporation","OriginalFileName":"certutil.exe","CommandLine":"certutil.exe -addstore Root C:\\Users\\alice\\AppData\\Local\\Temp\\x.cer","CurrentDirectory":"C:\\Users\\alice\\","User":"WS01\\alice","LogonGuid":"{8A4A5C1E-6E4B-64F2-0E5F-030000000000}","LogonId":"0x35f0e","TerminalSessionId":1,"IntegrityLevel":"High","Hashes":"SHA256=0000000000000000000000000000000000000000000000000000000001EF6BBC","ParentProcessGuid":"{8A4A5C1E-6E4B-64F2-AA00-000000000700}","ParentProcessId":4242,"ParentImage":"C:\\Windows\\System32\\cmd.exe","ParentCommandLine":"cmd.exe /c install.bat","ParentUser":"WS01\\alice"}'
        expect_line dump-4688 3 '{"Provider_Name":"Microsoft-Windows-Security-Auditing","Provider_Guid":"{54849625-5478-4994-A5BA-3E3B0328C30D}","EventID":4688,"Version":2,"Level":0,"Task":13312,"Opcode":0,"Keywords":"0x8020000000000000","TimeCreated":"2026-03-02T10:00:02.000000Z","EventRecordID":3,"Execution_ProcessID":4,"Execution_ThreadID":96,"Channel":"Security","Computer":"ws01.corp.example","SubjectUserSid":"S-1-5-21-1004336348-1177238915-682003330-1104","SubjectUserName":"alice","SubjectDomainName":"CORP","SubjectLogonId":"0x35f0e","NewProcessId":"0x1a2c","NewProcessName":"C:\\Program Files (x86)\\Windows Kits\\10\\bin\\x64\\signtool.exe","TokenElevationType":"%%1937","ProcessId":"0x1f40","CommandLine":"signtool.exe sign /f a.pfx /p secret b.exe","TargetUserSid":"S-1-0-0","TargetUserName":"-","TargetDomainName":"-","TargetLogonId":"0x0","ParentProcessName":"C:\\Windows\\System32\\cmd.exe","MandatoryLabel":"S-1-16-12288"}'
        expect_line dump-4104-utf16 4 '{"Provider_Name":"Microsoft-Windows-PowerShell","Provider_Guid":"{A0C1853B-5C40-4B15-8766-3CF1C58F985A}","EventID":4104,"Version":1,"Level":5,"Task":2,"Opcode":0,"Keywords":"0x0","TimeCreated":"2026-03-02T10:00:03.000000Z","EventRecordID":4,"Execution_ProcessID":4,"Execution_ThreadID":8,"Channel":"Microsoft-Windows-PowerShell/Operational","Computer":"ws01.corp.example","Security_UserID":"S-1-5-21-1004336348-1177238915-682003330-1104","MessageNumber":1,"MessageTotal":1,"ScriptBlockText":"New-SelfSignedCertificate -Type CodeSigningCert -Subject '"'"'CN=Test é€😀'"'"' -CertStoreLocation Cert:\\CurrentUser\\My","ScriptBlockId":"{6D0C0B8C-3F2A-4C4B-9C7E-2B3A9B1C0D11}","Path":""}'
        expect_line dump-userdata 5 '{"Provider_Name":"Microsoft-Windows-Eventlog","Provider_Guid":"{FC65DDD8-D6EF-4962-83D5-6E5CFE9CE148}","EventID":1102,"Version":0,"Level":4,"Task":104,"Opcode":0,"Keywords":"0x4020000000000000","TimeCreated":"2026-03-02T10:00:04.000000Z","EventRecordID":5,"Execution_ProcessID":1044,"Execution_ThreadID":2032,"Channel":"Security","Computer":"ws01.corp.example","SubjectUserSid":"S-1-5-21-1004336348-1177238915-682003330-1104","SubjectUserName":"alice","SubjectDomainName":"CORP","SubjectLogonId":"0x35f0e"}'
        grep -q "1 input (0 unreadable), 8 events read, 0 rejected, 8 printed" "$T/err" && ok || bad dump-summary "$(cat "$T/err")"
    }
    cp "$T/out" "$T/plain.out"

    # .gz and standard input give the same events
    gzip -c "$S" >"$T/s.evtx.gz"
    run dump-gz 0 -- dump -q "$T/s.evtx.gz" && { cmp -s "$T/out" "$T/plain.out" && ok || bad dump-gz "output differs from the plain file"; }
    $WRAP "$BIN" dump -q - <"$S" >"$T/out" 2>"$T/err" && cmp -s "$T/out" "$T/plain.out" && ok || bad dump-stdin "$(head -3 "$T/err")"

    # query: EQL over EVTX events through the field model
    run query 0 -- query -q 'process where process.name : "certutil.exe" and process.args : "-addstore" and host.name == "ws01.corp.example"' "$S" && {
        expect_count query 1
        grep -q '"EventRecordID":1,' "$T/out" && ok || bad query-record "$(cat "$T/out")"
    }
    run query-4688 0 -- query -q 'process where event.type == "start" and process.name : "signtool.exe" and process.args : "sign"' "$S" && {
        expect_count query-4688 1
        grep -q '"EventID":4688,' "$T/out" && ok || bad query-4688-record "$(cat "$T/out")"
    }

    # scan with the bundled EQL rules: the certutil and signtool starts are found
    run scan 0 -- scan -r rules/eql -f jsonl "$S" && {
        expect_count scan 4
        n=$(grep -c '"host":"ws01.corp.example"' "$T/out")
        [ "$n" -eq 4 ] && ok || bad scan-host "$n alerts with the host"
        for id in 3c61745c-61a8-5572-942c-0a3408dacc18 8140c134-a943-55dc-96ac-4124b754bb10; do
            for rec in 1 3; do
                grep -q "\"id\":\"$id\".*\"EventRecordID\":$rec," "$T/out" && ok || bad "scan-$id-$rec" "no alert of $id on record $rec"
            done
        done
        grep -q '"executable":"C:\\\\Windows\\\\System32\\\\certutil.exe"' "$T/out" && ok || bad scan-certutil "$(head -c 400 "$T/out")"
        grep -q "8 events read, 0 rejected, 4 alerts" "$T/err" && ok || bad scan-summary "$(cat "$T/err")"
    }
    # and the whole bundled pack runs over them without a problem
    run scan-pack 0 -- scan -f jsonl "$S" && { grep -q "8 events read, 0 rejected" "$T/err" && ok || bad scan-pack-summary "$(cat "$T/err")"; }

    # damage: a chunk with a bad signature is reported and skipped, the rest read
    "$PY" - "$S" "$T" <<'EOF'
import sys
s = open(sys.argv[1], 'rb').read()
t = sys.argv[2]
b = bytearray(s); b[4096:4104] = b'XlfChnk\0'; open(t + '/badchunk.evtx', 'wb').write(b)
open(t + '/cut.evtx', 'wb').write(s[:4096 + 65536 + 3000])
open(t + '/tiny.evtx', 'wb').write(s[:100])
EOF
    run badchunk 0 -- dump "$T/badchunk.evtx" && {
        expect_count badchunk 3
        expect_err_line badchunk-message "shrike: $T/badchunk.evtx: offset 0x1000: chunk 0: bad chunk signature; chunk skipped"
        grep -q "3 events read, 1 rejected" "$T/err" && ok || bad badchunk-summary "$(cat "$T/err")"
    }
    run truncated 0 -- dump "$T/cut.evtx" && {
        expect_count truncated 5
        expect_err_line truncated-message "shrike: $T/cut.evtx: offset 0x11000: chunk 1: chunk truncated at 2488 of 5928 bytes of records"
    }
    run tiny 4 -- dump "$T/tiny.evtx" && expect_err_line tiny-message "shrike: $T/tiny.evtx: truncated EVTX file header (100 bytes)"

    # threads (-j): the same output, diagnostics, summary and exit status as one
    # thread, in the same order, over many files and over the chunks of one file
    # (80 chunks: 10 jobs), with damaged files among them; and when the reading
    # is stopped early (a query's head), the same events
    "$PY" bench/make_big_evtx.py "$T/big.evtx" 40 "$S" >/dev/null
    set -- "$S" "$T/badchunk.evtx" "$T/big.evtx" "$T/cut.evtx" "$T/tiny.evtx" "$T/s.evtx.gz" "$T/big.evtx" "$S"
    norm() { sed -E 's/, [0-9.]+ s, .*$//' "$T/err"; }
    for cmd in dump scan query-head; do
        for j in 1 2 3 8; do
            case $cmd in
            dump) $WRAP "$BIN" dump -j "$j" "$@" >"$T/out" 2>"$T/err" ;;
            scan) $WRAP "$BIN" scan -j "$j" -f jsonl "$@" >"$T/out" 2>"$T/err" ;;
            query-head) $WRAP "$BIN" query -j "$j" 'any where true | head 100' "$@" >"$T/out" 2>"$T/err" ;;
            esac
            echo "rc=$?" >>"$T/out"
            norm >>"$T/out"
            if [ "$j" = 1 ]; then cp "$T/out" "$T/j1.out"; continue; fi
            cmp -s "$T/out" "$T/j1.out" && ok || bad "threads-$cmd-j$j: differs from -j 1" "$(diff "$T/j1.out" "$T/out" | head -4)"
        done
    done
    n=$(grep -c '^{' "$T/j1.out"); [ "$n" -eq 100 ] && ok || bad "threads-query-head: $n events, expected 100"
    grep -q 'events read' "$T/j1.out" && ok || bad threads-summary "$(tail -3 "$T/j1.out")"
    run threads-bad 2 -- dump -j 0 "$S" && expect_err_line threads-bad-message "shrike dump: --threads must be a number from 1 to 64, not '0'"
fi

# real Sysmon logs, when ../shared is there
if [ -d "$SHARED" ]; then
    F1="$SHARED/YamatoSecurity/DefenseEvasion/T1218.004_SignedBinaryProxyExecutionInstallUtil_Sysmon.evtx"
    F2="$SHARED/EVTX-to-MITRE-Attack/TA0006-Credential Access/T1003-Credential dumping/ID1-LSASS dump with LSASSY (SYSMON).evtx"
    run shared-dump1 0 -- dump "$F1" && {
        expect_count shared-dump1 7
        grep -q '"EventID":1,.*"Image":"C:\\\\Windows\\\\Microsoft.NET\\\\Framework\\\\v4.0.30319\\\\InstallUtil.exe",.*"CommandLine":"C:\\\\Windows\\\\Microsoft.NET\\\\Framework\\\\v4.0.30319\\\\InstallUtil.exe  /logfile= /LogToConsole=false /U C:\\\\Users\\\\pc1-user\\\\Desktop\\\\zoom-update.exe"' "$T/out" && ok || bad shared-dump1-cmdline
        grep -q "7 events read, 0 rejected" "$T/err" && ok || bad shared-dump1-summary "$(cat "$T/err")"
    }
    run shared-dump2 0 -- dump -q "$F2" && {
        expect_count shared-dump2 14
        n=$(grep -c '"Channel":"Microsoft-Windows-Sysmon/Operational"' "$T/out")
        [ "$n" -eq 14 ] && ok || bad shared-dump2-channel "$n"
    }
    run shared-query 0 -- query -q 'process where process.name : "rundll32.exe" and process.command_line : "*comsvcs.dll*MiniDump*"' "$F2" && {
        expect_count shared-query 1
        grep -q '"EventID":1,' "$T/out" && ok || bad shared-query-event
    }
    run shared-query-installutil 0 -- query -q 'process where event.type == "start" and process.name : "InstallUtil.exe"' "$F1" && expect_count shared-query-installutil 1
    # the bundled EQL rules run over them (none is about these: no alert), and the whole pack
    run shared-scan 0 -- scan -r rules/eql -f jsonl "$F1" "$F2" && {
        expect_count shared-scan 0
        grep -q "2 inputs (0 unreadable), 21 events read, 0 rejected, 0 alerts" "$T/err" && ok || bad shared-scan-summary "$(cat "$T/err")"
    }
    run shared-scan-pack 0 -- scan -f jsonl "$F1" "$F2" && {
        grep -q "2 inputs (0 unreadable), 21 events read, 0 rejected" "$T/err" && ok || bad shared-scan-pack-summary "$(cat "$T/err")"
    }
else
    echo "evtx: ../shared/data absent; hayabusa-sample-evtx tests skipped"
fi

echo "evtx: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
