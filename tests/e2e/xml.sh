#!/usr/bin/env bash
# xml.sh: end-to-end tests of Windows event XML input (docs/xml.md). The seed-000 signtool
# scenario (tests/scenarios/000-3-*: Sysmon 1 of cmd.exe and signtool.exe, their Security 4688,
# Sysmon 11) is written here as wevtutil pretty-prints it; from it the script derives the other
# shapes a collector writes (one event a line as Splunk's XmlWinEventLog, CRLF, UTF-16 with a
# byte order mark, .gz, standard input through a slow pipe, cut short) and checks: exact `dump`
# lines, the same events from every shape, exact messages for bad events, `query` printing XML
# events as `dump` does, and `scan` with the bundled rules firing on the XML exactly as on the
# Winlogbeat NDJSON of the same events. The scenario folders' own XML renderings are compared
# with their NDJSON too. When ../shared/data is there, EVTX files are turned into XML with
# `evtxexport -f xml` (libevtx-utils) at test time and read back: record counts, values, and a
# comparison with shrike's own EVTX reader (printed as a note, never a failure).
# $SHRIKE is the binary, $SHRIKE_WRAP an optional wrapper (valgrind).
# Prints "xml: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 2
BIN=${SHRIKE:-build/shrike}
WRAP=${SHRIKE_WRAP:-}
PY=$(command -v python3 || true)
SHARED=../shared/data/evtx/hayabusa-sample-evtx
SCEN=tests/scenarios/000-3-signtool-selfsigned-pfx
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
expect_same() { # expect_same NAME FILE: stdout equals FILE
    if cmp -s "$T/out" "$1.ref" 2>/dev/null || cmp -s "$T/out" "$2"; then ok; else bad "$1: output differs from $2" "$(diff "$2" "$T/out" | head -4)"; fi
}
alert_counts() { # alert_counts FILE: "RULE_ID COUNT" lines of a jsonl alert file, sorted
    grep -o '"rule":{"id":"[^"]*"' "$1" | sort | uniq -c | awk '{sub(/.*"id":"/, "", $2); sub(/"$/, "", $2); print $2, $1}'
}

S="$T/s3.xml"
cat >"$S" <<'XMLEOF'
<?xml version="1.0" encoding="utf-8"?>
<Events>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
  <System>
    <Provider Name="Microsoft-Windows-Sysmon" Guid="{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"/>
    <EventID>1</EventID>
    <Version>5</Version>
    <Level>4</Level>
    <Task>1</Task>
    <Opcode>0</Opcode>
    <Keywords>0x8000000000000000</Keywords>
    <TimeCreated SystemTime="2024-05-14T13:21:37.6400000Z"/>
    <EventRecordID>48211</EventRecordID>
    <Correlation/>
    <Execution ProcessID="2972" ThreadID="4416"/>
    <Channel>Microsoft-Windows-Sysmon/Operational</Channel>
    <Computer>DESKTOP-R7T2LQE.lab.example</Computer>
    <Security UserID="S-1-5-18"/>
  </System>
  <EventData>
    <Data Name="RuleName">-</Data>
    <Data Name="UtcTime">2024-05-14 13:21:37.640</Data>
    <Data Name="ProcessGuid">{4BDC444E-D6F3-BEFA-0618-000000005B00}</Data>
    <Data Name="ProcessId">5116</Data>
    <Data Name="Image">C:\Windows\System32\cmd.exe</Data>
    <Data Name="FileVersion">10.0.22621.3085 (WinBuild.160101.0800)</Data>
    <Data Name="Description">Windows Command Processor</Data>
    <Data Name="Product">Microsoft® Windows® Operating System</Data>
    <Data Name="Company">Microsoft Corporation</Data>
    <Data Name="OriginalFileName">Cmd.Exe</Data>
    <Data Name="CommandLine">&quot;C:\Windows\system32\cmd.exe&quot; /c &quot;&quot;C:\Program Files (x86)\Windows Kits\10\bin\10.0.22621.0\x64\signtool.exe&quot; sign /f %TEMP%\df00tech-codesign.pfx /p df00tech /fd SHA256 %TEMP%\df00tech-signed.exe&quot;</Data>
    <Data Name="CurrentDirectory">C:\Users\jwalsh\</Data>
    <Data Name="User">LAB\jwalsh</Data>
    <Data Name="LogonGuid">{4BDC444E-7D5B-0000-0000-38FC3F086AAD}</Data>
    <Data Name="LogonId">0x5d9b2e</Data>
    <Data Name="TerminalSessionId">1</Data>
    <Data Name="IntegrityLevel">Medium</Data>
    <Data Name="Hashes">SHA1=92B01FB37F676C1583A0D2990A5117D89C79471D,MD5=4DE8D0426915186A7EE6C9F0E4FDE8B1,SHA256=D53B81912AE8AEF8901918C54F5B74C2A9085DE3B8E7B7B3FE81D4FBD4CA9691,IMPHASH=4611097272EB62A70030E18A7F194746</Data>
    <Data Name="ParentProcessGuid">{4BDC444E-C1BE-10F2-4D9A-000000002E00}</Data>
    <Data Name="ParentProcessId">9480</Data>
    <Data Name="ParentImage">C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe</Data>
    <Data Name="ParentCommandLine">&quot;C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe&quot; </Data>
    <Data Name="ParentUser">LAB\jwalsh</Data>
  </EventData>
</Event>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
  <System>
    <Provider Name="Microsoft-Windows-Security-Auditing" Guid="{54849625-5478-4994-A5BA-3E3B0328C30D}"/>
    <EventID>4688</EventID>
    <Version>2</Version>
    <Level>0</Level>
    <Task>13312</Task>
    <Opcode>0</Opcode>
    <Keywords>0x8020000000000000</Keywords>
    <TimeCreated SystemTime="2024-05-14T13:21:37.6484131Z"/>
    <EventRecordID>913345</EventRecordID>
    <Correlation/>
    <Execution ProcessID="4" ThreadID="5316"/>
    <Channel>Security</Channel>
    <Computer>DESKTOP-R7T2LQE.lab.example</Computer>
    <Security/>
  </System>
  <EventData>
    <Data Name="SubjectUserSid">S-1-5-21-2704131566-3318829013-1180593842-1107</Data>
    <Data Name="SubjectUserName">jwalsh</Data>
    <Data Name="SubjectDomainName">LAB</Data>
    <Data Name="SubjectLogonId">0x5d9b2e</Data>
    <Data Name="NewProcessId">0x13fc</Data>
    <Data Name="NewProcessName">C:\Windows\System32\cmd.exe</Data>
    <Data Name="TokenElevationType">%%1938</Data>
    <Data Name="ProcessId">0x2508</Data>
    <Data Name="CommandLine">&quot;C:\Windows\system32\cmd.exe&quot; /c &quot;&quot;C:\Program Files (x86)\Windows Kits\10\bin\10.0.22621.0\x64\signtool.exe&quot; sign /f %TEMP%\df00tech-codesign.pfx /p df00tech /fd SHA256 %TEMP%\df00tech-signed.exe&quot;</Data>
    <Data Name="TargetUserSid">S-1-0-0</Data>
    <Data Name="TargetUserName">-</Data>
    <Data Name="TargetDomainName">-</Data>
    <Data Name="TargetLogonId">0x0</Data>
    <Data Name="ParentProcessName">C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe</Data>
    <Data Name="MandatoryLabel">S-1-16-8192</Data>
  </EventData>
</Event>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
  <System>
    <Provider Name="Microsoft-Windows-Sysmon" Guid="{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"/>
    <EventID>1</EventID>
    <Version>5</Version>
    <Level>4</Level>
    <Task>1</Task>
    <Opcode>0</Opcode>
    <Keywords>0x8000000000000000</Keywords>
    <TimeCreated SystemTime="2024-05-14T13:21:37.7140000Z"/>
    <EventRecordID>48213</EventRecordID>
    <Correlation/>
    <Execution ProcessID="2972" ThreadID="4424"/>
    <Channel>Microsoft-Windows-Sysmon/Operational</Channel>
    <Computer>DESKTOP-R7T2LQE.lab.example</Computer>
    <Security UserID="S-1-5-18"/>
  </System>
  <EventData>
    <Data Name="RuleName">-</Data>
    <Data Name="UtcTime">2024-05-14 13:21:37.714</Data>
    <Data Name="ProcessGuid">{4BDC444E-7391-B951-300B-000000000100}</Data>
    <Data Name="ProcessId">9964</Data>
    <Data Name="Image">C:\Program Files (x86)\Windows Kits\10\bin\10.0.22621.0\x64\signtool.exe</Data>
    <Data Name="FileVersion">10.0.22621.755 (WinBuild.160101.0800)</Data>
    <Data Name="Description">Sign Tool</Data>
    <Data Name="Product">Microsoft® Windows® Operating System</Data>
    <Data Name="Company">Microsoft Corporation</Data>
    <Data Name="OriginalFileName">signtool.exe</Data>
    <Data Name="CommandLine">&quot;C:\Program Files (x86)\Windows Kits\10\bin\10.0.22621.0\x64\signtool.exe&quot;  sign /f C:\Users\jwalsh\AppData\Local\Temp\df00tech-codesign.pfx /p df00tech /fd SHA256 C:\Users\jwalsh\AppData\Local\Temp\df00tech-signed.exe</Data>
    <Data Name="CurrentDirectory">C:\Users\jwalsh\</Data>
    <Data Name="User">LAB\jwalsh</Data>
    <Data Name="LogonGuid">{4BDC444E-7D5B-0000-0000-38FC3F086AAD}</Data>
    <Data Name="LogonId">0x5d9b2e</Data>
    <Data Name="TerminalSessionId">1</Data>
    <Data Name="IntegrityLevel">Medium</Data>
    <Data Name="Hashes">SHA1=82899F980251FE020531EF9D97993A1208136A33,MD5=F277BA6604F1A3D59E93C628D17F9A39,SHA256=004A4AA35A3D6B4004D44123797F4E11501C3A38976B081395C95B896F278EE8,IMPHASH=D4AD3AED395C4219F2A325EEB7FF3764</Data>
    <Data Name="ParentProcessGuid">{4BDC444E-D6F3-BEFA-0618-000000005B00}</Data>
    <Data Name="ParentProcessId">5116</Data>
    <Data Name="ParentImage">C:\Windows\System32\cmd.exe</Data>
    <Data Name="ParentCommandLine">&quot;C:\Windows\system32\cmd.exe&quot; /c &quot;&quot;C:\Program Files (x86)\Windows Kits\10\bin\10.0.22621.0\x64\signtool.exe&quot; sign /f %TEMP%\df00tech-codesign.pfx /p df00tech /fd SHA256 %TEMP%\df00tech-signed.exe&quot;</Data>
    <Data Name="ParentUser">LAB\jwalsh</Data>
  </EventData>
</Event>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
  <System>
    <Provider Name="Microsoft-Windows-Security-Auditing" Guid="{54849625-5478-4994-A5BA-3E3B0328C30D}"/>
    <EventID>4688</EventID>
    <Version>2</Version>
    <Level>0</Level>
    <Task>13312</Task>
    <Opcode>0</Opcode>
    <Keywords>0x8020000000000000</Keywords>
    <TimeCreated SystemTime="2024-05-14T13:21:37.7224131Z"/>
    <EventRecordID>913347</EventRecordID>
    <Correlation/>
    <Execution ProcessID="4" ThreadID="5324"/>
    <Channel>Security</Channel>
    <Computer>DESKTOP-R7T2LQE.lab.example</Computer>
    <Security/>
  </System>
  <EventData>
    <Data Name="SubjectUserSid">S-1-5-21-2704131566-3318829013-1180593842-1107</Data>
    <Data Name="SubjectUserName">jwalsh</Data>
    <Data Name="SubjectDomainName">LAB</Data>
    <Data Name="SubjectLogonId">0x5d9b2e</Data>
    <Data Name="NewProcessId">0x26ec</Data>
    <Data Name="NewProcessName">C:\Program Files (x86)\Windows Kits\10\bin\10.0.22621.0\x64\signtool.exe</Data>
    <Data Name="TokenElevationType">%%1938</Data>
    <Data Name="ProcessId">0x13fc</Data>
    <Data Name="CommandLine">&quot;C:\Program Files (x86)\Windows Kits\10\bin\10.0.22621.0\x64\signtool.exe&quot;  sign /f C:\Users\jwalsh\AppData\Local\Temp\df00tech-codesign.pfx /p df00tech /fd SHA256 C:\Users\jwalsh\AppData\Local\Temp\df00tech-signed.exe</Data>
    <Data Name="TargetUserSid">S-1-0-0</Data>
    <Data Name="TargetUserName">-</Data>
    <Data Name="TargetDomainName">-</Data>
    <Data Name="TargetLogonId">0x0</Data>
    <Data Name="ParentProcessName">C:\Windows\System32\cmd.exe</Data>
    <Data Name="MandatoryLabel">S-1-16-8192</Data>
  </EventData>
</Event>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
  <System>
    <Provider Name="Microsoft-Windows-Sysmon" Guid="{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"/>
    <EventID>11</EventID>
    <Version>2</Version>
    <Level>4</Level>
    <Task>11</Task>
    <Opcode>0</Opcode>
    <Keywords>0x8000000000000000</Keywords>
    <TimeCreated SystemTime="2024-05-14T13:21:38.5420000Z"/>
    <EventRecordID>48214</EventRecordID>
    <Correlation/>
    <Execution ProcessID="2972" ThreadID="4428"/>
    <Channel>Microsoft-Windows-Sysmon/Operational</Channel>
    <Computer>DESKTOP-R7T2LQE.lab.example</Computer>
    <Security UserID="S-1-5-18"/>
  </System>
  <EventData>
    <Data Name="RuleName">-</Data>
    <Data Name="UtcTime">2024-05-14 13:21:38.542</Data>
    <Data Name="ProcessGuid">{4BDC444E-7391-B951-300B-000000000100}</Data>
    <Data Name="ProcessId">9964</Data>
    <Data Name="Image">C:\Program Files (x86)\Windows Kits\10\bin\10.0.22621.0\x64\signtool.exe</Data>
    <Data Name="TargetFilename">C:\Users\jwalsh\AppData\Local\Temp\df00tech-signed.exe</Data>
    <Data Name="CreationUtcTime">2024-05-14 13:20:57.292</Data>
    <Data Name="User">LAB\jwalsh</Data>
  </EventData>
</Event>
</Events>
XMLEOF

# dump: one line an event, System fields first, EventData by name, exact values
run dump 0 -- dump "$S" && {
    expect_count dump 5
    expect_line dump-sysmon1 3 '{"Provider_Name":"Microsoft-Windows-Sysmon","Provider_Guid":"{5770385F-C22A-43E0-BF4C-06F5698FFBD9}","EventID":1,"Version":5,"Level":4,"Task":1,"Opcode":0,"Keywords":"0x8000000000000000","TimeCreated":"2024-05-14T13:21:37.7140000Z","EventRecordID":48213,"Execution_ProcessID":2972,"Execution_ThreadID":4424,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"DESKTOP-R7T2LQE.lab.example","Security_UserID":"S-1-5-18","RuleName":"-","UtcTime":"2024-05-14 13:21:37.714","ProcessGuid":"{4BDC444E-7391-B951-300B-000000000100}","ProcessId":"9964","Image":"C:\\Program Files (x86)\\Windows Kits\\10\\bin\\10.0.22621.0\\x64\\signtool.exe","FileVersion":"10.0.22621.755 (WinBuild.160101.0800)","Description":"Sign Tool","Product":"Microsoft® Windows® Operating System","Company":"Microsoft Corporation","OriginalFileName":"signtool.exe","CommandLine":"\"C:\\Program Files (x86)\\Windows Kits\\10\\bin\\10.0.22621.0\\x64\\signtool.exe\"  sign /f C:\\Users\\jwalsh\\AppData\\Local\\Temp\\df00tech-codesign.pfx /p df00tech /fd SHA256 C:\\Users\\jwalsh\\AppData\\Local\\Temp\\df00tech-signed.exe","CurrentDirectory":"C:\\Users\\jwalsh\\","User":"LAB\\jwalsh","LogonGuid":"{4BDC444E-7D5B-0000-0000-38FC3F086AAD}","LogonId":"0x5d9b2e","TerminalSessionId":"1","IntegrityLevel":"Medium","Hashes":"SHA1=82899F980251FE020531EF9D97993A1208136A33,MD5=F277BA6604F1A3D59E93C628D17F9A39,SHA256=004A4AA35A3D6B4004D44123797F4E11501C3A38976B081395C95B896F278EE8,IMPHASH=D4AD3AED395C4219F2A325EEB7FF3764","ParentProcessGuid":"{4BDC444E-D6F3-BEFA-0618-000000005B00}","ParentProcessId":"5116","ParentImage":"C:\\Windows\\System32\\cmd.exe","ParentCommandLine":"\"C:\\Windows\\system32\\cmd.exe\" /c \"\"C:\\Program Files (x86)\\Windows Kits\\10\\bin\\10.0.22621.0\\x64\\signtool.exe\" sign /f %TEMP%\\df00tech-codesign.pfx /p df00tech /fd SHA256 %TEMP%\\df00tech-signed.exe\"","ParentUser":"LAB\\jwalsh"}'
    expect_line dump-4688 4 '{"Provider_Name":"Microsoft-Windows-Security-Auditing","Provider_Guid":"{54849625-5478-4994-A5BA-3E3B0328C30D}","EventID":4688,"Version":2,"Level":0,"Task":13312,"Opcode":0,"Keywords":"0x8020000000000000","TimeCreated":"2024-05-14T13:21:37.7224131Z","EventRecordID":913347,"Execution_ProcessID":4,"Execution_ThreadID":5324,"Channel":"Security","Computer":"DESKTOP-R7T2LQE.lab.example","SubjectUserSid":"S-1-5-21-2704131566-3318829013-1180593842-1107","SubjectUserName":"jwalsh","SubjectDomainName":"LAB","SubjectLogonId":"0x5d9b2e","NewProcessId":"0x26ec","NewProcessName":"C:\\Program Files (x86)\\Windows Kits\\10\\bin\\10.0.22621.0\\x64\\signtool.exe","TokenElevationType":"%%1938","ProcessId":"0x13fc","CommandLine":"\"C:\\Program Files (x86)\\Windows Kits\\10\\bin\\10.0.22621.0\\x64\\signtool.exe\"  sign /f C:\\Users\\jwalsh\\AppData\\Local\\Temp\\df00tech-codesign.pfx /p df00tech /fd SHA256 C:\\Users\\jwalsh\\AppData\\Local\\Temp\\df00tech-signed.exe","TargetUserSid":"S-1-0-0","TargetUserName":"-","TargetDomainName":"-","TargetLogonId":"0x0","ParentProcessName":"C:\\Windows\\System32\\cmd.exe","MandatoryLabel":"S-1-16-8192"}'
    expect_line dump-sysmon11 5 '{"Provider_Name":"Microsoft-Windows-Sysmon","Provider_Guid":"{5770385F-C22A-43E0-BF4C-06F5698FFBD9}","EventID":11,"Version":2,"Level":4,"Task":11,"Opcode":0,"Keywords":"0x8000000000000000","TimeCreated":"2024-05-14T13:21:38.5420000Z","EventRecordID":48214,"Execution_ProcessID":2972,"Execution_ThreadID":4428,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"DESKTOP-R7T2LQE.lab.example","Security_UserID":"S-1-5-18","RuleName":"-","UtcTime":"2024-05-14 13:21:38.542","ProcessGuid":"{4BDC444E-7391-B951-300B-000000000100}","ProcessId":"9964","Image":"C:\\Program Files (x86)\\Windows Kits\\10\\bin\\10.0.22621.0\\x64\\signtool.exe","TargetFilename":"C:\\Users\\jwalsh\\AppData\\Local\\Temp\\df00tech-signed.exe","CreationUtcTime":"2024-05-14 13:20:57.292","User":"LAB\\jwalsh"}'
    grep -q "1 input (0 unreadable), 5 events read, 0 rejected, 5 printed" "$T/err" && ok || bad dump-summary "$(cat "$T/err")"
}
cp "$T/out" "$T/plain.out"

# the same events from every shape of the same file
gzip -c "$S" >"$T/s3.xml.gz"
run dump-gz 0 -- dump -q "$T/s3.xml.gz" && expect_same dump-gz "$T/plain.out"
$WRAP "$BIN" dump -q - <"$S" >"$T/out" 2>"$T/err" && expect_same dump-stdin "$T/plain.out" || bad dump-stdin "$(head -3 "$T/err")"
{ head -c 3000 "$S"; sleep 0.3; tail -c +3001 "$S"; } | $WRAP "$BIN" dump -q - >"$T/out" 2>"$T/err" && expect_same dump-pipe "$T/plain.out" || bad dump-pipe "$(head -3 "$T/err")"
if command -v iconv >/dev/null; then
    iconv -f UTF-8 -t UTF-16LE "$S" | { printf '\377\376'; cat; } >"$T/s3-utf16.xml"
    run dump-utf16 0 -- dump -q "$T/s3-utf16.xml" && expect_same dump-utf16 "$T/plain.out"
fi

# Splunk XmlWinEventLog: one event a line (no declaration, no wrapper), here with a bad event
# as line 2; then the same with CRLF line ends
sed -n '/^<Event/,/^<\/Event>/p' "$S" | sed 's/^ *//' | tr -d '\n' | sed 's#</Event>#</Event>\n#g' >"$T/one.xml"
{ head -n 1 "$T/one.xml"
  echo "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>1</EventID></System><EventData><Data Name='Image'>C:\\Tools\\x.exe</Dta></EventData></Event>"
  tail -n +2 "$T/one.xml"; } >"$T/lines.xml"
run lines 0 -- dump "$T/lines.xml" && {
    expect_same lines "$T/plain.out"
    expect_err_line lines-bad-event "shrike: $T/lines.xml:2:153: mismatched tag; event at line 2 skipped"
    grep -q "1 input (0 unreadable), 5 events read, 1 rejected, 5 printed" "$T/err" && ok || bad lines-summary "$(cat "$T/err")"
}
sed 's/$/\r/' "$T/lines.xml" >"$T/crlf.xml"
run crlf 0 -- dump "$T/crlf.xml" && {
    expect_same crlf "$T/plain.out"
    expect_err_line crlf-bad-event "shrike: $T/crlf.xml:2:153: mismatched tag; event at line 2 skipped"
}

# cut short inside the last event: four events, then the reason at the end of the input
head -c -40 "$S" >"$T/cut.xml"
run cut 0 -- dump "$T/cut.xml" && {
    expect_count cut 4
    expect_err_line cut-message "shrike: $T/cut.xml:184:33: unclosed token: the input ends inside the <Event> of line 159; event skipped"
}

# a document type declaration is refused, never expanded; the event after it is read
{ printf '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n'
  head -n 1 "$T/one.xml"; } >"$T/dtd.xml"
run doctype 0 -- dump -q "$T/dtd.xml" && {
    expect_count doctype 1
    expect_err_line doctype-message "shrike: $T/dtd.xml:2:1: document type declaration refused (DTDs and entities are not read); skipped"
}

# query prints XML events as dump does (the fields, not the XML)
run query 0 -- query -q 'process where process.name : "signtool.exe" and process.args : "sign"' "$S" && {
    expect_count query 2
    expect_line query-sysmon 1 "$(sed -n 3p "$T/plain.out")"
    expect_line query-4688 2 "$(sed -n 4p "$T/plain.out")"
}

# scan: the bundled EQL rules fire on the XML as on the Winlogbeat NDJSON of the same events
# (2 alerts a rule: the signtool start in Sysmon 1 and in Security 4688)
run scan 0 -- scan -r rules/eql -f jsonl "$S" && {
    expect_count scan 4
    got=$(alert_counts "$T/out" | tr '\n' ' ')
    [ "$got" == "3c61745c-61a8-5572-942c-0a3408dacc18 2 8140c134-a943-55dc-96ac-4124b754bb10 2 " ] && ok || bad scan-counts "$got"
    cp "$T/out" "$T/scan.out"
    if [ -f "$SCEN/winlogbeat.ndjson" ]; then
        want=$(awk -F'\t' '$1 == "winlogbeat.ndjson" && $3 > 0 { print $2, $3 }' "$SCEN/expected.tsv" | sort | tr '\n' ' ')
        [ "$got" == "$want" ] && ok || bad scan-expected-tsv "xml: $got" "expected.tsv (winlogbeat.ndjson): $want"
    fi
}
# and the whole bundled pack (Sigma too): the same alerts as on the NDJSON
run scan-pack 0 -- scan -f jsonl "$S" && {
    grep -q "5 events read, 0 rejected" "$T/err" && ok || bad scan-pack-summary "$(cat "$T/err")"
    alert_counts "$T/out" >"$T/pack-xml.counts"
    if [ -f "$SCEN/winlogbeat.ndjson" ] && run scan-pack-ndjson 0 -- scan -f jsonl "$SCEN/winlogbeat.ndjson"; then
        alert_counts "$T/out" >"$T/pack-ndjson.counts"
        cmp -s "$T/pack-xml.counts" "$T/pack-ndjson.counts" && ok || bad scan-pack-same "xml: $(tr '\n' ' ' <"$T/pack-xml.counts")" "ndjson: $(tr '\n' ' ' <"$T/pack-ndjson.counts")"
    fi
}

# the seed-000 scenarios' own XML renderings (all channels together) against their NDJSON
for d in tests/scenarios/000-*/; do
    ls "$d"*.xml >/dev/null 2>&1 && [ -f "$d/winlogbeat.ndjson" ] || continue
    n=$(basename "$d")
    run "scenario-$n-xml" 0 -- scan -r rules/eql -f jsonl "$d"*.xml || continue
    alert_counts "$T/out" >"$T/a.counts"
    run "scenario-$n-ndjson" 0 -- scan -r rules/eql -f jsonl "$d/winlogbeat.ndjson" || continue
    alert_counts "$T/out" >"$T/b.counts"
    cmp -s "$T/a.counts" "$T/b.counts" && ok || bad "scenario-$n: XML and NDJSON alerts differ" "xml: $(tr '\n' ' ' <"$T/a.counts")" "ndjson: $(tr '\n' ' ' <"$T/b.counts")"
done

# real logs: EVTX files turned into XML by evtxexport, read back
if [ -d "$SHARED" ] && command -v evtxexport >/dev/null; then
    to_xml() { evtxexport -f xml "$1" 2>/dev/null | sed -n '/^<Event/,$p' >"$2"; } # drops evtxexport's banner
    check_file() { # check_file NAME EVTX EVENTS BAD: the XML has EVENTS+BAD events, BAD of them malformed
        local name=$1 f=$2 want=$3 badn=$4 x="$T/$1.xml"
        to_xml "$f" "$x"
        local n
        n=$(grep -c '^<Event ' "$x")
        [ "$n" -eq $((want + badn)) ] && ok || bad "$name: evtxexport wrote $n events, expected $((want + badn))"
        run "$name" 0 -- dump "$x" || return 1
        expect_count "$name" "$want"
        grep -q "1 input (0 unreadable), $want events read, $badn rejected" "$T/err" && ok || bad "$name-summary" "$(tail -1 "$T/err")"
        [ "$(grep -c 'event at line [0-9]* skipped' "$T/err")" -eq "$badn" ] && ok || bad "$name-errors" "$(head -3 "$T/err")"
        cp "$T/out" "$T/$name.jsonl"
        if [ -n "$PY" ] && [ -z "$WRAP" ]; then
            $WRAP "$BIN" dump -q "$f" >"$T/$name.evtx.jsonl" 2>/dev/null
            "$PY" - "$T/$name.evtx.jsonl" "$T/$name.jsonl" "$name" <<'PY'
import json, re, sys
# shrike's EVTX reader and this XML reader on the same records: the same names, the same
# values once types (EVTX numbers, XML text) and time precision are set aside
def time(v):
    m = re.match(r'(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z?$', v)
    return m.group(1) + '.' + ((m.group(2) or '') + '000000')[:6] if m else v
def norm(v):
    if isinstance(v, list): return [norm(x) for x in v]
    s = str(v).lower() if isinstance(v, bool) else str(v)
    if re.match(r'\d{4}-\d\d-\d\dT', s): return time(s)
    if re.fullmatch(r'0x[0-9a-fA-F]+', s): return int(s, 16)
    if re.fullmatch(r'-?\d+', s): return int(s)
    return s
try:
    a = [json.loads(l) for l in open(sys.argv[1])]
    b = [json.loads(l) for l in open(sys.argv[2])]
except Exception as e:
    print("note: xml: %s: EVTX cross-check not run (%s)" % (sys.argv[3], e)); sys.exit(0)
ids = {x.get('EventRecordID'): x for x in a}
diff = 0
for y in b:
    x = ids.get(y.get('EventRecordID'))
    if x is None or list(x) != list(y) or any(norm(x[k]) != norm(y[k]) for k in x):
        diff += 1
print("note: xml: %s: EVTX cross-check: %d XML events, %d EVTX events, %d differ" % (sys.argv[3], len(b), len(a), diff))
PY
        fi
        return 0
    }
    check_file shared-sysmon "$SHARED/YamatoSecurity/DefenseEvasion/T1218.004_SignedBinaryProxyExecutionInstallUtil_Sysmon.evtx" 7 0 && {
        grep -q '"EventID":1,.*"Image":"C:\\\\Windows\\\\Microsoft.NET\\\\Framework\\\\v4.0.30319\\\\InstallUtil.exe",.*"CommandLine":"C:\\\\Windows\\\\Microsoft.NET\\\\Framework\\\\v4.0.30319\\\\InstallUtil.exe  /logfile= /LogToConsole=false /U C:\\\\Users\\\\pc1-user\\\\Desktop\\\\zoom-update.exe"' "$T/out" && ok || bad shared-sysmon-cmdline
    }
    check_file shared-lsassy "$SHARED/EVTX-to-MITRE-Attack/TA0006-Credential Access/T1003-Credential dumping/ID1-LSASS dump with LSASSY (SYSMON).evtx" 14 0 && {
        n=$(grep -c '"Channel":"Microsoft-Windows-Sysmon/Operational"' "$T/out")
        [ "$n" -eq 14 ] && ok || bad shared-lsassy-channel "$n"
        run shared-lsassy-query 0 -- query -q 'process where process.name : "rundll32.exe" and process.command_line : "*comsvcs.dll*MiniDump*"' "$T/shared-lsassy.xml" && expect_count shared-lsassy-query 1
    }
    check_file shared-4688 "$SHARED/EVTX-to-MITRE-Attack/TA0007-Discovery/T1087-Account discovery/ID4688-User enumeration via command.evtx" 4 0 && {
        sed -n 1p "$T/out" | grep -q '"EventID":4688,.*"EventRecordID":1101625,.*"NewProcessName":"C:\\\\Windows\\\\System32\\\\net.exe",.*"CommandLine":"net  user administrator"' &&
            ok || bad shared-4688-first "$(sed -n 1p "$T/out")"
    }
    check_file shared-4104 "$SHARED/EVTX-to-MITRE-Attack/TA0007-Discovery/T1087-Account discovery/ID4103-4104 - SPN discovery (moder nPowerShell).evtx" 21 0 && {
        grep -q '"EventID":4104,.*"ScriptBlockText":"$SPNName = '"'"'MSSQLSvc/Svc-SQL-DB01.offsec.lan'"'"'"' "$T/out" && ok || bad shared-4104-script
        grep -q '"ContextInfo":"        Severity = Informational\\r\\n        Host Name = ConsoleHost\\r\\n' "$T/out" && ok || bad shared-4103-crlf "line ends inside values are kept as CRLF"
    }
    check_file shared-userdata "$SHARED/DeepBlueCLI/disablestop-eventlog.evtx" 13 0 && {
        grep -q '"EventID":104,.*"Channel":\["System","System"\],.*"SubjectUserName":"jwrig","SubjectDomainName":"DESKTOP-JR78RLP","BackupPath":""}' "$T/out" && ok || bad shared-userdata-104
        grep -q '"EventID":7040,"EventID_Qualifiers":16384,' "$T/out" && ok || bad shared-qualifiers
    }
    # evtxexport writes a control character (U+000F) that XML forbids: the event is reported
    check_file shared-badchar "$SHARED/EVTX-to-MITRE-Attack/TA0004-Privilege Escalation/T1134.005-Access Token Manipulation SID-History Injection/ID 4765 - SID history added.evtx" 2 1 &&
        expect_err_line shared-badchar-message "shrike: $T/shared-badchar.xml:43:34: not well-formed (invalid token); event at line 1 skipped"
    # every file of the sample set (not under a wrapper: it takes long there): each event
    # evtxexport writes is read or reported
    if [ -z "$WRAP" ]; then
        total=0
        while IFS= read -r -d '' f; do
            evtxexport -f xml "$f" 2>/dev/null | sed -n '/^<Event/,$p'
        done < <(find "$SHARED" -name '*.evtx' -print0 | sort -z) >"$T/all.xml"
        total=$(grep -c '^<Event ' "$T/all.xml")
        run shared-all 0 -- dump -q "$T/all.xml" && {
            n=$(wc -l <"$T/out")
            badn=$(grep -c 'event at line [0-9]* skipped' "$T/err")
            [ $((n + badn)) -eq "$total" ] && [ "$badn" -le 2 ] && ok || bad shared-all "$total events written, $n read, $badn reported"
            echo "note: xml: all of hayabusa-sample-evtx through evtxexport: $total events, $n read, $badn malformed"
        }
    fi
else
    echo "xml: ../shared/data or evtxexport absent; tests on real logs skipped"
fi

echo "xml: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
