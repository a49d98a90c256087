/* test_xml.c: the Windows event XML reader on hand-written events modelled
 * on real ones (Sysmon 1, Security 4688, PowerShell 4104, UserData, classic
 * unnamed Data, wevtutil /f:RenderedXml): exact field values and order,
 * every input shape (wrapper, one per line, CRLF, byte order marks, UTF-16),
 * streaming in pieces of any size, and every kind of damage with its exact
 * message. */
#include <unistd.h>

#include "input/xml.h"
#include "test.h"

/* ------------------------------------------------------------ harness */

typedef struct got {
    sh_event *ev[64];
    int nev;
    char err[32][600];
    int nerr;
    int stop_after;           /* > 0: the sink stops after this many events */
} got;

static bool on_event(void *ctx, sh_event *e) {
    got *g = ctx;
    if (g->nev < 64) {
        sh_event_ref(e);
        g->ev[g->nev] = e;
    }
    g->nev++;
    return !(g->stop_after && g->nev >= g->stop_after);
}

static void on_error(void *ctx, const sh_diag *d) {
    got *g = ctx;
    if (g->nerr < 32) sh_diag_format(d, g->err[g->nerr], sizeof g->err[0]);
    g->nerr++;
}

static void got_free(got *g) {
    for (int i = 0; i < g->nev && i < 64; i++) sh_event_unref(g->ev[i]);
    memset(g, 0, sizeof *g);
}

/* read text; chunk > 0 feeds it in pieces of that size */
static sh_input_stats run_opts(got *g, const char *text, size_t len, size_t chunk, bool keep_raw) {
    sh_input_opts o = {.keep_raw = keep_raw};
    sh_input_sink sink = {.on_event = on_event, .on_error = on_error, .ctx = g};
    sh_input_stats st = {0};
    if (!chunk) {
        sh_xml_read("t.xml", text, len, &o, &sink, &st);
    } else {
        sh_xml_reader *x = sh_xml_new("t.xml", &o, &sink, &st, 1, 1);
        bool go = true;
        for (size_t i = 0; go && i < len; i += chunk) go = sh_xml_feed(x, text + i, len - i < chunk ? len - i : chunk);
        if (go) sh_xml_finish(x);
        sh_xml_free(x);
    }
    return st;
}

static sh_input_stats run(got *g, const char *text) { return run_opts(g, text, strlen(text), 0, false); }

static char *json_of(sh_event *e, char *out, size_t n) {
    sh_buf b = {0};
    sh_event_to_json(e, &b, true);
    snprintf(out, n, "%s", sh_buf_cstr(&b));
    sh_buf_free(&b);
    return out;
}

#define CHECK_JSON(e, want) do { char _j[8192]; CHECK_STR(json_of((e), _j, sizeof _j), (want)); } while (0)

static const sh_field *field(sh_event *e, const char *name) { return sh_event_find_cstr(e, name); }

/* ------------------------------------------------------------ samples */

#define NS "xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\""

/* Sysmon 1 as wevtutil / evtxexport pretty-print it */
static const char sysmon1[] =
    "<Event " NS ">\n"
    "  <System>\n"
    "    <Provider Name=\"Microsoft-Windows-Sysmon\" Guid=\"{5770385F-C22A-43E0-BF4C-06F5698FFBD9}\"/>\n"
    "    <EventID>1</EventID>\n"
    "    <Version>5</Version>\n"
    "    <Level>4</Level>\n"
    "    <Task>1</Task>\n"
    "    <Opcode>0</Opcode>\n"
    "    <Keywords>0x8000000000000000</Keywords>\n"
    "    <TimeCreated SystemTime=\"2024-05-14T13:21:37.6412345Z\"/>\n"
    "    <EventRecordID>48212</EventRecordID>\n"
    "    <Correlation/>\n"
    "    <Execution ProcessID=\"2972\" ThreadID=\"4416\"/>\n"
    "    <Channel>Microsoft-Windows-Sysmon/Operational</Channel>\n"
    "    <Computer>DESKTOP-R7T2LQE.lab.example</Computer>\n"
    "    <Security UserID=\"S-1-5-18\"/>\n"
    "  </System>\n"
    "  <EventData>\n"
    "    <Data Name=\"RuleName\">-</Data>\n"
    "    <Data Name=\"UtcTime\">2024-05-14 13:21:37.640</Data>\n"
    "    <Data Name=\"ProcessGuid\">{4BDC444E-D6F3-BEFA-0618-000000005B00}</Data>\n"
    "    <Data Name=\"ProcessId\">9508</Data>\n"
    "    <Data Name=\"Image\">C:\\Program Files (x86)\\Windows Kits\\10\\bin\\10.0.22621.0\\x64\\signtool.exe</Data>\n"
    "    <Data Name=\"FileVersion\">10.0.22621.755 (WinBuild.160101.0800)</Data>\n"
    "    <Data Name=\"Description\">Sign Tool</Data>\n"
    "    <Data Name=\"Product\">Microsoft\xc2\xae Windows\xc2\xae Operating System</Data>\n"
    "    <Data Name=\"Company\">Microsoft Corporation</Data>\n"
    "    <Data Name=\"OriginalFileName\">signtool.exe</Data>\n"
    "    <Data Name=\"CommandLine\">\"C:\\Program Files (x86)\\Windows Kits\\10\\bin\\10.0.22621.0\\x64\\signtool.exe\"  sign /f "
    "%TEMP%\\df00tech-codesign.pfx /p df00tech /fd SHA256 %TEMP%\\df00tech-signed.exe</Data>\n"
    "    <Data Name=\"CurrentDirectory\">C:\\Users\\jwalsh\\</Data>\n"
    "    <Data Name=\"User\">LAB\\jwalsh</Data>\n"
    "    <Data Name=\"LogonGuid\">{4BDC444E-7D5B-0000-0000-38FC3F086AAD}</Data>\n"
    "    <Data Name=\"LogonId\">0x5d9b2e</Data>\n"
    "    <Data Name=\"TerminalSessionId\">1</Data>\n"
    "    <Data Name=\"IntegrityLevel\">Medium</Data>\n"
    "    <Data Name=\"Hashes\">SHA1=5C3B6E1D2F0A,MD5=0F8E7D6C,SHA256=9A8B7C6D5E4F,IMPHASH=11AA22BB</Data>\n"
    "    <Data Name=\"ParentProcessGuid\">{4BDC444E-D6F3-BEFA-0618-000000005A00}</Data>\n"
    "    <Data Name=\"ParentProcessId\">5116</Data>\n"
    "    <Data Name=\"ParentImage\">C:\\Windows\\System32\\cmd.exe</Data>\n"
    "    <Data Name=\"ParentCommandLine\">\"C:\\Windows\\system32\\cmd.exe\" /c sign.bat</Data>\n"
    "    <Data Name=\"ParentUser\">LAB\\jwalsh</Data>\n"
    "  </EventData>\n"
    "</Event>\n";

static const char sysmon1_json[] =
    "{\"Provider_Name\":\"Microsoft-Windows-Sysmon\",\"Provider_Guid\":\"{5770385F-C22A-43E0-BF4C-06F5698FFBD9}\","
    "\"EventID\":1,\"Version\":5,\"Level\":4,\"Task\":1,\"Opcode\":0,\"Keywords\":\"0x8000000000000000\","
    "\"TimeCreated\":\"2024-05-14T13:21:37.6412345Z\",\"EventRecordID\":48212,\"Execution_ProcessID\":2972,"
    "\"Execution_ThreadID\":4416,\"Channel\":\"Microsoft-Windows-Sysmon/Operational\","
    "\"Computer\":\"DESKTOP-R7T2LQE.lab.example\",\"Security_UserID\":\"S-1-5-18\",\"RuleName\":\"-\","
    "\"UtcTime\":\"2024-05-14 13:21:37.640\",\"ProcessGuid\":\"{4BDC444E-D6F3-BEFA-0618-000000005B00}\","
    "\"ProcessId\":\"9508\",\"Image\":\"C:\\\\Program Files (x86)\\\\Windows Kits\\\\10\\\\bin\\\\10.0.22621.0\\\\x64\\\\signtool.exe\","
    "\"FileVersion\":\"10.0.22621.755 (WinBuild.160101.0800)\",\"Description\":\"Sign Tool\","
    "\"Product\":\"Microsoft\xc2\xae Windows\xc2\xae Operating System\",\"Company\":\"Microsoft Corporation\","
    "\"OriginalFileName\":\"signtool.exe\",\"CommandLine\":\"\\\"C:\\\\Program Files (x86)\\\\Windows Kits\\\\10\\\\bin\\\\"
    "10.0.22621.0\\\\x64\\\\signtool.exe\\\"  sign /f %TEMP%\\\\df00tech-codesign.pfx /p df00tech /fd SHA256 "
    "%TEMP%\\\\df00tech-signed.exe\",\"CurrentDirectory\":\"C:\\\\Users\\\\jwalsh\\\\\",\"User\":\"LAB\\\\jwalsh\","
    "\"LogonGuid\":\"{4BDC444E-7D5B-0000-0000-38FC3F086AAD}\",\"LogonId\":\"0x5d9b2e\",\"TerminalSessionId\":\"1\","
    "\"IntegrityLevel\":\"Medium\",\"Hashes\":\"SHA1=5C3B6E1D2F0A,MD5=0F8E7D6C,SHA256=9A8B7C6D5E4F,IMPHASH=11AA22BB\","
    "\"ParentProcessGuid\":\"{4BDC444E-D6F3-BEFA-0618-000000005A00}\",\"ParentProcessId\":\"5116\","
    "\"ParentImage\":\"C:\\\\Windows\\\\System32\\\\cmd.exe\",\"ParentCommandLine\":\"\\\"C:\\\\Windows\\\\system32\\\\cmd.exe\\\" /c sign.bat\","
    "\"ParentUser\":\"LAB\\\\jwalsh\"}";

/* Security 4688 as Get-WinEvent ToXml() writes it: one line, single quotes */
static const char sec4688[] =
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider "
    "Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/><EventID>4688</EventID>"
    "<Version>2</Version><Level>0</Level><Task>13312</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords>"
    "<TimeCreated SystemTime='2024-05-14T13:21:37.6523145Z'/><EventRecordID>913346</EventRecordID><Correlation "
    "ActivityID='{0C7E2A66-A5F1-0002-A32B-7E0CF1A5DA01}'/><Execution ProcessID='4' ThreadID='5324'/><Channel>Security</Channel>"
    "<Computer>DESKTOP-R7T2LQE.lab.example</Computer><Security/></System><EventData><Data "
    "Name='SubjectUserSid'>S-1-5-21-2704131566-3318829013-1180593842-1107</Data><Data Name='SubjectUserName'>jwalsh</Data>"
    "<Data Name='SubjectDomainName'>LAB</Data><Data Name='SubjectLogonId'>0x5d9b2e</Data><Data "
    "Name='NewProcessId'>0x2524</Data><Data Name='NewProcessName'>C:\\Program Files (x86)\\Windows "
    "Kits\\10\\bin\\10.0.22621.0\\x64\\signtool.exe</Data><Data Name='TokenElevationType'>%%1938</Data><Data "
    "Name='ProcessId'>0x13fc</Data><Data Name='CommandLine'>signtool.exe sign /f a.pfx /p &quot;p&amp;w&quot; b.exe</Data>"
    "<Data Name='TargetUserSid'>S-1-0-0</Data><Data Name='TargetUserName'>-</Data><Data Name='TargetDomainName'>-</Data>"
    "<Data Name='TargetLogonId'>0x0</Data><Data Name='ParentProcessName'>C:\\Windows\\System32\\cmd.exe</Data><Data "
    "Name='MandatoryLabel'>S-1-16-8192</Data></EventData></Event>";

static const char sec4688_json[] =
    "{\"Provider_Name\":\"Microsoft-Windows-Security-Auditing\",\"Provider_Guid\":\"{54849625-5478-4994-a5ba-3e3b0328c30d}\","
    "\"EventID\":4688,\"Version\":2,\"Level\":0,\"Task\":13312,\"Opcode\":0,\"Keywords\":\"0x8020000000000000\","
    "\"TimeCreated\":\"2024-05-14T13:21:37.6523145Z\",\"EventRecordID\":913346,"
    "\"Correlation_ActivityID\":\"{0C7E2A66-A5F1-0002-A32B-7E0CF1A5DA01}\",\"Execution_ProcessID\":4,"
    "\"Execution_ThreadID\":5324,\"Channel\":\"Security\",\"Computer\":\"DESKTOP-R7T2LQE.lab.example\","
    "\"SubjectUserSid\":\"S-1-5-21-2704131566-3318829013-1180593842-1107\",\"SubjectUserName\":\"jwalsh\","
    "\"SubjectDomainName\":\"LAB\",\"SubjectLogonId\":\"0x5d9b2e\",\"NewProcessId\":\"0x2524\","
    "\"NewProcessName\":\"C:\\\\Program Files (x86)\\\\Windows Kits\\\\10\\\\bin\\\\10.0.22621.0\\\\x64\\\\signtool.exe\","
    "\"TokenElevationType\":\"%%1938\",\"ProcessId\":\"0x13fc\","
    "\"CommandLine\":\"signtool.exe sign /f a.pfx /p \\\"p&w\\\" b.exe\",\"TargetUserSid\":\"S-1-0-0\","
    "\"TargetUserName\":\"-\",\"TargetDomainName\":\"-\",\"TargetLogonId\":\"0x0\","
    "\"ParentProcessName\":\"C:\\\\Windows\\\\System32\\\\cmd.exe\",\"MandatoryLabel\":\"S-1-16-8192\"}";

/* PowerShell 4104: a script block over several lines, with entities and
 * character references */
static const char ps4104[] =
    "<Event " NS "><System><Provider Name=\"Microsoft-Windows-PowerShell\" "
    "Guid=\"{A0C1853B-5C40-4B15-8766-3CF1C58F985A}\"/><EventID>4104</EventID><Version>1</Version><Level>5</Level>"
    "<Task>2</Task><Opcode>15</Opcode><Keywords>0x0</Keywords><TimeCreated SystemTime=\"2024-05-14T13:02:10.9914405Z\"/>"
    "<EventRecordID>20771</EventRecordID><Correlation ActivityID=\"{A3B2C1D0-0C1D-0002-88A4-1BA30C1DDA01}\"/>"
    "<Execution ProcessID=\"7716\" ThreadID=\"7820\"/><Channel>Microsoft-Windows-PowerShell/Operational</Channel>"
    "<Computer>DESKTOP-R7T2LQE.lab.example</Computer><Security UserID=\"S-1-5-21-2704131566-3318829013-1180593842-1107\"/>"
    "</System><EventData><Data Name=\"MessageNumber\">1</Data><Data Name=\"MessageTotal\">1</Data>"
    "<Data Name=\"ScriptBlockText\">$cert = New-SelfSignedCertificate -Type CodeSigningCert -Subject 'CN=Test' `\n"
    "    -CertStoreLocation Cert:\\CurrentUser\\My\n"
    "if ($cert.NotAfter -gt (Get-Date) -and $x -lt 3 &amp;&amp; 1) { \"&lt;ok&gt; &#x41;&#66;\" }&#13;&#10;"
    "Export-PfxCertificate -Cert $cert -FilePath $env:TEMP\\df00tech-codesign.pfx</Data>"
    "<Data Name=\"ScriptBlockId\">6d3e6f0e-3f4b-4a52-9c9e-2f1b0a7c5d11</Data><Data Name=\"Path\"></Data></EventData></Event>";

static const char ps4104_script[] =
    "$cert = New-SelfSignedCertificate -Type CodeSigningCert -Subject 'CN=Test' `\n"
    "    -CertStoreLocation Cert:\\CurrentUser\\My\n"
    "if ($cert.NotAfter -gt (Get-Date) -and $x -lt 3 && 1) { \"<ok> AB\" }\r\n"
    "Export-PfxCertificate -Cert $cert -FilePath $env:TEMP\\df00tech-codesign.pfx";

/* Security 1102 (log cleared): UserData with its wrapper, plus a made-up
 * nested element and attributes to pin down the naming of deeper levels */
static const char sec1102[] =
    "<Event " NS "><System><Provider Name=\"Microsoft-Windows-Eventlog\" Guid=\"{fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148}\"/>"
    "<EventID>1102</EventID><Version>0</Version><Level>4</Level><Task>104</Task><Opcode>0</Opcode>"
    "<Keywords>0x4020000000000000</Keywords><TimeCreated SystemTime=\"2024-05-14T14:00:00.0000000Z\"/>"
    "<EventRecordID>913400</EventRecordID><Correlation/><Execution ProcessID=\"1044\" ThreadID=\"2032\"/>"
    "<Channel>Security</Channel><Computer>DESKTOP-R7T2LQE.lab.example</Computer><Security/></System>"
    "<UserData><LogFileCleared xmlns=\"http://manifests.microsoft.com/win/2004/08/windows/eventlog\">"
    "<SubjectUserSid>S-1-5-21-2704131566-3318829013-1180593842-1107</SubjectUserSid>"
    "<SubjectUserName>jwalsh</SubjectUserName><SubjectDomainName>LAB</SubjectDomainName>"
    "<SubjectLogonId>0x5d9b2e</SubjectLogonId><BackupPath/>"
    "<Client Kind=\"rpc\"><Address Family=\"ipv4\">10.0.0.5</Address><Port>135</Port></Client>"
    "</LogFileCleared></UserData></Event>";

static const char sec1102_json[] =
    "{\"Provider_Name\":\"Microsoft-Windows-Eventlog\",\"Provider_Guid\":\"{fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148}\","
    "\"EventID\":1102,\"Version\":0,\"Level\":4,\"Task\":104,\"Opcode\":0,\"Keywords\":\"0x4020000000000000\","
    "\"TimeCreated\":\"2024-05-14T14:00:00.0000000Z\",\"EventRecordID\":913400,\"Execution_ProcessID\":1044,"
    "\"Execution_ThreadID\":2032,\"Channel\":\"Security\",\"Computer\":\"DESKTOP-R7T2LQE.lab.example\","
    "\"SubjectUserSid\":\"S-1-5-21-2704131566-3318829013-1180593842-1107\",\"SubjectUserName\":\"jwalsh\","
    "\"SubjectDomainName\":\"LAB\",\"SubjectLogonId\":\"0x5d9b2e\",\"BackupPath\":\"\","
    "\"Client.Address\":\"10.0.0.5\",\"Client.Address_Family\":\"ipv4\",\"Client.Port\":\"135\",\"Client_Kind\":\"rpc\"}";

/* a classic event: unnamed <Data> and <Binary>, EventID with Qualifiers,
 * Provider with EventSourceName */
static const char classic[] =
    "<Event " NS "><System><Provider Name=\"Service Control Manager\" Guid=\"{555908d1-a6d7-4695-8e1e-26931d2012f4}\" "
    "EventSourceName=\"Service Control Manager\"/><EventID Qualifiers=\"16384\">7036</EventID><Version>0</Version>"
    "<Level>4</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x8080000000000000</Keywords>"
    "<TimeCreated SystemTime=\"2024-05-14T13:00:01.1234567Z\"/><EventRecordID>4711</EventRecordID><Correlation/>"
    "<Execution ProcessID=\"620\" ThreadID=\"3640\"/><Channel>System</Channel><Computer>WS01</Computer><Security/>"
    "</System><EventData><Data>Windows Update</Data><Data>running</Data><Data/>"
    "<Binary>770075006100750073006500720076002F0034000000</Binary></EventData></Event>";

static const char classic_json[] =
    "{\"Provider_Name\":\"Service Control Manager\",\"Provider_Guid\":\"{555908d1-a6d7-4695-8e1e-26931d2012f4}\","
    "\"Provider_EventSourceName\":\"Service Control Manager\",\"EventID\":7036,\"EventID_Qualifiers\":16384,"
    "\"Version\":0,\"Level\":4,\"Task\":0,\"Opcode\":0,\"Keywords\":\"0x8080000000000000\","
    "\"TimeCreated\":\"2024-05-14T13:00:01.1234567Z\",\"EventRecordID\":4711,\"Execution_ProcessID\":620,"
    "\"Execution_ThreadID\":3640,\"Channel\":\"System\",\"Computer\":\"WS01\","
    "\"Data\":[\"Windows Update\",\"running\",\"\"],\"Binary\":\"770075006100750073006500720076002F0034000000\"}";

/* wevtutil qe Security /f:RenderedXml */
static const char rendered[] =
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider "
    "Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/><EventID>4688</EventID>"
    "<Version>2</Version><Level>0</Level><Task>13312</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords>"
    "<TimeCreated SystemTime='2024-05-14T13:21:37.6523145Z'/><EventRecordID>913346</EventRecordID><Correlation/>"
    "<Execution ProcessID='4' ThreadID='5324'/><Channel>Security</Channel><Computer>WS01</Computer><Security/></System>"
    "<EventData><Data Name='NewProcessName'>C:\\Windows\\System32\\certutil.exe</Data>"
    "<Data Name='CommandLine'>certutil -addstore Root x.cer</Data></EventData>"
    "<RenderingInfo Culture='en-US'><Message>A new process has been created.&#13;&#10;&#13;&#10;Creator Subject:"
    "&#13;&#10;&#9;Security ID:&#9;&#9;S-1-5-18</Message><Level>Information</Level><Task>Process Creation</Task>"
    "<Opcode>Info</Opcode><Channel>Security</Channel><Provider>Microsoft Windows security auditing.</Provider>"
    "<Keywords><Keyword>Audit Success</Keyword><Keyword>Classic</Keyword></Keywords></RenderingInfo></Event>";

static const char rendered_json[] =
    "{\"Provider_Name\":\"Microsoft-Windows-Security-Auditing\",\"Provider_Guid\":\"{54849625-5478-4994-a5ba-3e3b0328c30d}\","
    "\"EventID\":4688,\"Version\":2,\"Level\":0,\"Task\":13312,\"Opcode\":0,\"Keywords\":\"0x8020000000000000\","
    "\"TimeCreated\":\"2024-05-14T13:21:37.6523145Z\",\"EventRecordID\":913346,\"Execution_ProcessID\":4,"
    "\"Execution_ThreadID\":5324,\"Channel\":\"Security\",\"Computer\":\"WS01\","
    "\"NewProcessName\":\"C:\\\\Windows\\\\System32\\\\certutil.exe\",\"CommandLine\":\"certutil -addstore Root x.cer\","
    "\"RenderingInfo.Message\":\"A new process has been created.\\r\\n\\r\\nCreator Subject:\\r\\n\\tSecurity ID:\\t\\tS-1-5-18\","
    "\"RenderingInfo.Level\":\"Information\",\"RenderingInfo.Task\":\"Process Creation\",\"RenderingInfo.Opcode\":\"Info\","
    "\"RenderingInfo.Channel\":\"Security\",\"RenderingInfo.Provider\":\"Microsoft Windows security auditing.\","
    "\"RenderingInfo.Keywords\":[\"Audit Success\",\"Classic\"],\"RenderingInfo_Culture\":\"en-US\"}";

/* a small event: <Event><System><EventID>N</EventID>...</System></Event> on one line */
static void small_event(char *out, size_t n, int id) {
    snprintf(out, n,
             "<Event " NS "><System><EventID>%d</EventID><Channel>Application</Channel><Computer>WS01</Computer>"
             "<TimeCreated SystemTime='2024-01-01T00:00:%02dZ'/></System><EventData><Data Name='n'>%d</Data></EventData></Event>",
             id, id % 60, id);
}

/* ------------------------------------------------------------ tests */

TEST(t_sysmon1) {
    got g = {0};
    sh_input_stats st = run(&g, sysmon1);
    CHECK_INT(g.nev, 1);
    CHECK_INT(g.nerr, 0);
    CHECK_INT(st.events, 1);
    CHECK_INT(st.rejected, 0);
    if (g.nev == 1) {
        sh_event *e = g.ev[0];
        CHECK_JSON(e, sysmon1_json);
        CHECK_INT(e->schema, SH_SCHEMA_WINDOWS);
        CHECK_INT(e->line, 1);
        CHECK_STR(e->source, "t.xml");
        CHECK_INT(e->ordinal, 0);
        CHECK(e->raw == NULL);
        CHECK_INT(e->ts, 1715692897641234500LL);
        const sh_field *f = field(e, "EventID");
        CHECK(f && f->vals[0].type == SH_INT && f->vals[0].i == 1);
        f = field(e, "ProcessId");
        CHECK(f && f->vals[0].type == SH_STR);
        CHECK(field(e, "Correlation") == NULL);
        CHECK(field(e, "Security") == NULL);
    }
    got_free(&g);
}

TEST(t_security_4688) {
    got g = {0};
    run(&g, sec4688);
    CHECK_INT(g.nev, 1);
    CHECK_INT(g.nerr, 0);
    if (g.nev == 1) {
        CHECK_JSON(g.ev[0], sec4688_json);
        const sh_field *f = field(g.ev[0], "Execution_ThreadID");
        CHECK(f && f->vals[0].type == SH_INT && f->vals[0].i == 5324);
    }
    got_free(&g);
}

TEST(t_powershell_4104) {
    got g = {0};
    run(&g, ps4104);
    CHECK_INT(g.nev, 1);
    CHECK_INT(g.nerr, 0);
    if (g.nev == 1) {
        const sh_field *f = field(g.ev[0], "ScriptBlockText");
        CHECK(f && f->nvals == 1);
        if (f) {
            CHECK_STR(f->vals[0].s, ps4104_script);
            CHECK_INT(f->vals[0].len, strlen(ps4104_script));
        }
        f = field(g.ev[0], "Path");
        CHECK(f && f->nvals == 1 && f->vals[0].type == SH_STR && f->vals[0].len == 0);
        f = field(g.ev[0], "MessageNumber");
        CHECK(f && f->vals[0].type == SH_STR);
        f = field(g.ev[0], "Correlation_ActivityID");
        CHECK(f && strcmp(f->vals[0].s, "{A3B2C1D0-0C1D-0002-88A4-1BA30C1DDA01}") == 0);
        f = field(g.ev[0], "Keywords");
        CHECK(f && f->vals[0].type == SH_STR && strcmp(f->vals[0].s, "0x0") == 0);
    }
    got_free(&g);
}

TEST(t_userdata) {
    got g = {0};
    run(&g, sec1102);
    CHECK_INT(g.nev, 1);
    CHECK_INT(g.nerr, 0);
    if (g.nev == 1) CHECK_JSON(g.ev[0], sec1102_json);
    got_free(&g);
}

TEST(t_unnamed_data) {
    got g = {0};
    run(&g, classic);
    CHECK_INT(g.nev, 1);
    CHECK_INT(g.nerr, 0);
    if (g.nev == 1) {
        CHECK_JSON(g.ev[0], classic_json);
        const sh_field *f = field(g.ev[0], "EventID_Qualifiers");
        CHECK(f && f->vals[0].type == SH_INT && f->vals[0].i == 16384);
    }
    got_free(&g);
    /* one unnamed <Data> is a list of one; EventData's own attributes are kept */
    run(&g, "<Event><System><EventID>150</EventID></System><EventData Name='DNS_EVENT_PLUGIN_INIT_FAILED'>"
            "<Data>SessionEnv</Data></EventData></Event>");
    CHECK_INT(g.nev, 1);
    if (g.nev == 1)
        CHECK_JSON(g.ev[0], "{\"EventID\":150,\"Data\":[\"SessionEnv\"],\"EventData_Name\":\"DNS_EVENT_PLUGIN_INIT_FAILED\"}");
    got_free(&g);
}

TEST(t_rendering_info) {
    got g = {0};
    run(&g, rendered);
    CHECK_INT(g.nev, 1);
    CHECK_INT(g.nerr, 0);
    if (g.nev == 1) CHECK_JSON(g.ev[0], rendered_json);
    got_free(&g);
}

/* several events in a wrapper, with the XML declaration and a comment */
TEST(t_wrapper) {
    sh_buf b = {0};
    sh_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<!-- exported -->\n<Events>\n");
    sh_buf_puts(&b, sysmon1);   /* lines 4-46 */
    sh_buf_puts(&b, sec4688);   /* line 47 */
    sh_buf_puts(&b, "\n\n  ");
    sh_buf_puts(&b, ps4104);    /* line 49 */
    sh_buf_puts(&b, "\n</Events>\n");
    got g = {0};
    sh_input_stats st = run_opts(&g, b.data, b.len, 0, false);
    CHECK_INT(g.nev, 3);
    CHECK_INT(g.nerr, 0);
    CHECK_INT(st.events, 3);
    CHECK_INT(st.rejected, 0);
    if (g.nev == 3) {
        CHECK_JSON(g.ev[0], sysmon1_json);
        CHECK_JSON(g.ev[1], sec4688_json);
        CHECK_INT(g.ev[0]->line, 4);
        CHECK_INT(g.ev[1]->line, 47);
        CHECK_INT(g.ev[2]->line, 49);
        CHECK_INT(g.ev[2]->ordinal, 2);
    }
    got_free(&g);
    /* the same fed one byte at a time, and in pieces of 7 and 4096 bytes */
    size_t chunks[] = {1, 7, 4096};
    for (size_t i = 0; i < 3; i++) {
        st = run_opts(&g, b.data, b.len, chunks[i], false);
        CHECK_INT(g.nev, 3);
        CHECK_INT(g.nerr, 0);
        if (g.nev == 3) {
            CHECK_JSON(g.ev[0], sysmon1_json);
            CHECK_JSON(g.ev[1], sec4688_json);
            CHECK_INT(g.ev[2]->line, 49);
        }
        got_free(&g);
    }
    sh_buf_free(&b);
}

/* Splunk XmlWinEventLog export: one event a line */
TEST(t_splunk_lines) {
    sh_buf b = {0};
    sh_buf_puts(&b, sec4688);
    sh_buf_putc(&b, '\n');
    sh_buf_puts(&b, rendered);
    sh_buf_putc(&b, '\n');
    sh_buf_puts(&b, classic);
    sh_buf_putc(&b, '\n');
    got g = {0};
    run_opts(&g, b.data, b.len, 0, false);
    CHECK_INT(g.nev, 3);
    CHECK_INT(g.nerr, 0);
    if (g.nev == 3) {
        CHECK_INT(g.ev[0]->line, 1);
        CHECK_INT(g.ev[1]->line, 2);
        CHECK_INT(g.ev[2]->line, 3);
        CHECK_JSON(g.ev[2], classic_json);
    }
    got_free(&g);
    /* events back to back with nothing between them (wevtutil qe /f:xml) */
    sh_buf_clear(&b);
    sh_buf_puts(&b, sec4688);
    sh_buf_puts(&b, classic);
    run_opts(&g, b.data, b.len, 0, false);
    CHECK_INT(g.nev, 2);
    CHECK_INT(g.nerr, 0);
    got_free(&g);
    sh_buf_free(&b);
}

/* a prefix before <Event on a line is reported, the event read */
TEST(t_text_outside) {
    char e1[512], e2[512];
    small_event(e1, sizeof e1, 1);
    small_event(e2, sizeof e2, 2);
    char text[1200];
    snprintf(text, sizeof text, "05/14/2024 01:02:03 PM ws01 %s\n%s trailing\n", e1, e2);
    got g = {0};
    sh_input_stats st = run(&g, text);
    CHECK_INT(g.nev, 2);
    CHECK_INT(g.nerr, 2);
    CHECK_STR(g.err[0], "t.xml:1:1: text outside an event; skipped");
    CHECK_STR(g.err[1], "t.xml:2:265: text outside an event; skipped");
    CHECK_INT(st.rejected, 2);
    if (g.nev == 2) CHECK_INT(g.ev[0]->line, 1);
    got_free(&g);
}

/* CRLF line ends: lines counted right; line ends inside a value are kept as
 * the input has them (not turned into LF as XML would), like the EVTX reader */
TEST(t_crlf) {
    const char *text =
        "<Events>\r\n"
        "<Event " NS ">\r\n"
        "  <System>\r\n"
        "    <EventID>4104</EventID>\r\n"
        "    <Channel>Microsoft-Windows-PowerShell/Operational</Channel>\r\n"
        "    <Computer>WS01</Computer>\r\n"
        "  </System>\r\n"
        "  <EventData>\r\n"
        "    <Data Name=\"ScriptBlockText\">line1\r\nline2&#13;&#10;line3 \r \n</Data>\r\n"
        "  </EventData>\r\n"
        "</Event>\r\n"
        "<Event " NS ">\r\n"
        "  <System><EventID>4104</EventID></Systm>\r\n"
        "</Event>\r\n"
        "</Events>\r\n";
    got g = {0};
    run(&g, text);
    CHECK_INT(g.nev, 1);
    CHECK_INT(g.nerr, 1);
    CHECK_STR(g.err[0], "t.xml:15:36: mismatched tag; event at line 14 skipped");
    if (g.nev == 1) {
        CHECK_INT(g.ev[0]->line, 2);
        CHECK_JSON(g.ev[0], "{\"EventID\":4104,\"Channel\":\"Microsoft-Windows-PowerShell/Operational\",\"Computer\":\"WS01\","
                            "\"ScriptBlockText\":\"line1\\r\\nline2\\r\\nline3 \\r \\n\"}");
    }
    got_free(&g);
}

static void write_file(const char *path, const char *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(data, 1, n, f);
    fclose(f);
}

static sh_input_stats read_path(got *g, const char *path, bool keep_raw) {
    sh_input_opts o = {.keep_raw = keep_raw};
    sh_input_sink sink = {.on_event = on_event, .on_error = on_error, .ctx = g};
    sh_input_stats st = {0};
    sh_input_read(path, &o, &sink, &st);
    return st;
}

/* byte order marks: UTF-8 (through the input layer and directly), UTF-16LE
 * and UTF-16BE as PowerShell's Out-File writes them */
TEST(t_bom) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/shrike-test-xml-%d.xml", (int)getpid());
    sh_buf b = {0};
    sh_buf_puts(&b, "\xef\xbb\xbf");
    sh_buf_puts(&b, sec4688);
    sh_buf_puts(&b, "\n");
    sh_buf_puts(&b, sec1102);
    write_file(path, b.data, b.len);
    got g = {0};
    sh_input_stats st = read_path(&g, path, false);
    CHECK_INT(g.nev, 2);
    CHECK_INT(g.nerr, 0);
    CHECK_INT(st.inputs_failed, 0);
    if (g.nev == 2) {
        CHECK_JSON(g.ev[0], sec4688_json);
        CHECK_JSON(g.ev[1], sec1102_json);
        CHECK_INT(g.ev[1]->line, 2);
        CHECK_STR(g.ev[0]->source, path);
    }
    got_free(&g);
    run_opts(&g, b.data, b.len, 1, false);
    CHECK_INT(g.nev, 2);
    CHECK_INT(g.nerr, 0);
    got_free(&g);

    for (int be = 0; be < 2; be++) {
        sh_buf u = {0};
        sh_buf_puts(&u, be ? "\xfe\xff" : "\xff\xfe");
        const char *src = b.data + 3;
        /* UTF-8 to UTF-16 (the samples hold BMP characters only, plus one pair) */
        const char *extra = "<!-- \xf0\x9f\x98\x80 -->\n";
        for (int part = 0; part < 2; part++) {
            const unsigned char *p = (const unsigned char *)(part ? src : extra);
            size_t n = part ? b.len - 3 : strlen(extra);
            for (size_t i = 0; i < n;) {
                uint32_t cp;
                if (p[i] < 0x80) cp = p[i++];
                else if (p[i] < 0xe0) cp = (uint32_t)(p[i] & 0x1f) << 6 | (p[i + 1] & 0x3f), i += 2;
                else if (p[i] < 0xf0) cp = (uint32_t)(p[i] & 0x0f) << 12 | (uint32_t)(p[i + 1] & 0x3f) << 6 | (p[i + 2] & 0x3f), i += 3;
                else cp = (uint32_t)(p[i] & 0x07) << 18 | (uint32_t)(p[i + 1] & 0x3f) << 12 | (uint32_t)(p[i + 2] & 0x3f) << 6 | (p[i + 3] & 0x3f), i += 4;
                uint16_t units[2];
                int nu = 1;
                if (cp >= 0x10000) {
                    units[0] = (uint16_t)(0xd800 + ((cp - 0x10000) >> 10));
                    units[1] = (uint16_t)(0xdc00 + ((cp - 0x10000) & 0x3ff));
                    nu = 2;
                } else {
                    units[0] = (uint16_t)cp;
                }
                for (int k = 0; k < nu; k++) {
                    char two[2] = {(char)(be ? units[k] >> 8 : units[k] & 0xff), (char)(be ? units[k] & 0xff : units[k] >> 8)};
                    sh_buf_put(&u, two, 2);
                }
            }
        }
        write_file(path, u.data, u.len);
        st = read_path(&g, path, false);
        CHECK_INT(g.nev, 2);
        CHECK_INT(g.nerr, 0);
        CHECK_INT(st.inputs_failed, 0);
        if (g.nev == 2) {
            CHECK_JSON(g.ev[0], sec4688_json);
            CHECK_JSON(g.ev[1], sec1102_json);
            CHECK_INT(g.ev[0]->line, 2);
        }
        got_free(&g);
        /* in pieces of 3 bytes: code units and pairs split across pieces */
        run_opts(&g, u.data, u.len, 3, false);
        CHECK_INT(g.nev, 2);
        CHECK_INT(g.nerr, 0);
        got_free(&g);
        sh_buf_free(&u);
    }
    unlink(path);
    sh_buf_free(&b);
}

/* a malformed event between two good ones: reported at its line and
 * column with expat's reason, both good events delivered */
TEST(t_malformed_between) {
    char e1[512], e3[512];
    small_event(e1, sizeof e1, 1);
    small_event(e3, sizeof e3, 3);
    char text[2048];
    snprintf(text, sizeof text,
             "%s\n"
             "<Event " NS ">\n"
             "  <System><EventID>2</EventID></System>\n"
             "  <EventData><Data Name=\"a\">x < y</Data></EventData>\n"
             "</Event>\n"
             "%s\n",
             e1, e3);
    for (size_t chunk = 0; chunk < 3; chunk++) {
        got g = {0};
        sh_input_stats st = run_opts(&g, text, strlen(text), chunk, false);
        CHECK_INT(g.nev, 2);
        CHECK_INT(g.nerr, 1);
        CHECK_STR(g.err[0], "t.xml:4:32: not well-formed (invalid token); event at line 2 skipped");
        CHECK_INT(st.events, 2);
        CHECK_INT(st.rejected, 1);
        if (g.nev == 2) {
            CHECK_INT(g.ev[0]->line, 1);
            CHECK_INT(g.ev[1]->line, 6);
            CHECK_STR(field(g.ev[1], "n")->vals[0].s, "3");
            CHECK_INT(g.ev[1]->ordinal, 1);
        }
        got_free(&g);
    }
}

/* other damage: an undefined entity, a mismatched tag on one line, a missing
 * </Event> cut at the next event, stray end tags */
TEST(t_damage) {
    char e1[512], e2[512];
    small_event(e1, sizeof e1, 1);
    small_event(e2, sizeof e2, 2);
    char text[4096];
    snprintf(text, sizeof text,
             "<Event " NS "><System><EventID>7</EventID></System><EventData><Data>&nbsp;</Data></EventData></Event>\n"
             "<Event><System><EventID>8</EventID></System><EventData></Data></EventData></Event>\n"
             "<Event " NS "><System><EventID>9</EventID></System><EventData><Data>no end\n"
             "%s\n"
             "<Event " NS "><System><EventID>10</EventID></System>\n"
             "  %s\n"
             "%s\n",
             e1, e2, e1);
    got g = {0};
    sh_input_stats st = run(&g, text);
    CHECK_INT(g.nerr, 4);
    CHECK_STR(g.err[0], "t.xml:1:124: undefined entity; event at line 1 skipped");
    CHECK_STR(g.err[1], "t.xml:2:58: mismatched tag; event at line 2 skipped");
    CHECK_STR(g.err[2], "t.xml:4:1: <Event> at line 3 has no end tag before this <Event>; event skipped");
    CHECK_STR(g.err[3], "t.xml:6:3: <Event> at line 5 has no end tag before this <Event>; event skipped");
    CHECK_INT(g.nev, 3);
    CHECK_INT(st.rejected, 4);
    if (g.nev == 3) {
        CHECK_INT(g.ev[0]->line, 4);
        CHECK_INT(g.ev[1]->line, 6);
        CHECK_INT(g.ev[2]->line, 7);
    }
    got_free(&g);
}

/* the input ends inside an event */
TEST(t_truncated) {
    char e1[512];
    small_event(e1, sizeof e1, 1);
    char text[2048];
    snprintf(text, sizeof text, "<Events>\n%s\n<Event " NS "><System><EventID>2</EventID></System><EventData><Data Name=\"a\">abc", e1);
    got g = {0};
    sh_input_stats st = run(&g, text);
    CHECK_INT(g.nev, 1);
    CHECK_INT(g.nerr, 1);
    CHECK_STR(g.err[0], "t.xml:3:136: no element found: the input ends inside the <Event> of line 3; event skipped");
    CHECK_INT(st.rejected, 1);
    got_free(&g);
    /* inside a tag */
    snprintf(text, sizeof text, "%s\n<Event " NS "><System><EventID>2</EventID></System><EventData><Data Name=\"a", e1);
    st = run(&g, text);
    CHECK_INT(g.nev, 1);
    CHECK_INT(g.nerr, 1);
    CHECK_STR(g.err[0], "t.xml:2:118: unclosed token: the input ends inside the <Event> of line 2; event skipped");
    got_free(&g);
    /* right after "<Event" */
    snprintf(text, sizeof text, "%s\n<Event", e1);
    st = run(&g, text);
    CHECK_INT(g.nev, 1);
    CHECK_INT(g.nerr, 1);
    CHECK_STR(g.err[0], "t.xml:2:1: unterminated markup outside an event; skipped");
    got_free(&g);
}

/* a DOCTYPE is refused and never parsed: the billion laughs do not expand,
 * an entity it declares is undefined, and the events after it are read */
TEST(t_doctype) {
    char e1[512];
    small_event(e1, sizeof e1, 1);
    char text[4096];
    snprintf(text, sizeof text,
             "<?xml version=\"1.0\"?>\n"
             "<!DOCTYPE lolz [\n"
             " <!ENTITY lol \"lol\">\n"
             " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
             " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
             " <!ENTITY lol9 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
             " <!ENTITY ext SYSTEM \"file:///etc/passwd\">\n"
             "]>\n"
             "<lolz>\n"
             "<Event><System><EventID>1</EventID></System><EventData><Data>&lol9;&ext;</Data></EventData></Event>\n"
             "%s\n"
             "</lolz>\n",
             e1);
    got g = {0};
    sh_input_stats st = run(&g, text);
    CHECK_INT(g.nev, 1);
    CHECK_INT(g.nerr, 2);
    CHECK_STR(g.err[0], "t.xml:2:1: document type declaration refused (DTDs and entities are not read); skipped");
    CHECK_STR(g.err[1], "t.xml:10:62: undefined entity; event at line 10 skipped");
    CHECK_INT(st.rejected, 2);
    if (g.nev == 1) CHECK_INT(g.ev[0]->line, 11);
    got_free(&g);
    /* a DOCTYPE inside an event is a syntax error to expat */
    st = run(&g, "<Event><!DOCTYPE x [<!ENTITY a \"b\">]><System/></Event>");
    CHECK_INT(g.nev, 0);
    CHECK_INT(g.nerr, 1);
    CHECK_STR(g.err[0], "t.xml:1:10: not well-formed (invalid token); event at line 1 skipped");
    got_free(&g);
}

/* nesting deeper than SH_XML_MAX_DEPTH is refused; the next event is read */
TEST(t_deep) {
    sh_buf b = {0};
    sh_buf_puts(&b, "<Event><UserData><W>");
    for (int i = 0; i < 300; i++) sh_buf_puts(&b, "<a>");
    for (int i = 0; i < 300; i++) sh_buf_puts(&b, "</a>");
    sh_buf_puts(&b, "</W></UserData></Event>\n");
    char e1[512];
    small_event(e1, sizeof e1, 1);
    sh_buf_puts(&b, e1);
    got g = {0};
    sh_input_stats st = run_opts(&g, b.data, b.len, 0, false);
    CHECK_INT(g.nev, 1);
    CHECK_INT(g.nerr, 1);
    CHECK_STR(g.err[0], "t.xml:1:780: elements nested deeper than 256; event skipped");
    CHECK_INT(st.rejected, 1);
    got_free(&g);
    /* 250 levels are fine: the names are dotted */
    sh_buf_clear(&b);
    sh_buf_puts(&b, "<Event><UserData><W>");
    for (int i = 0; i < 250; i++) sh_buf_puts(&b, "<a>");
    sh_buf_puts(&b, "deep");
    for (int i = 0; i < 250; i++) sh_buf_puts(&b, "</a>");
    sh_buf_puts(&b, "</W></UserData></Event>");
    run_opts(&g, b.data, b.len, 0, false);
    CHECK_INT(g.nev, 1);
    CHECK_INT(g.nerr, 0);
    if (g.nev == 1) {
        CHECK_INT(g.ev[0]->nfields, 1);
        CHECK_INT(g.ev[0]->fields[0]->nlen, 250 * 2 - 1);
        CHECK_STR(g.ev[0]->fields[0]->vals[0].s, "deep");
    }
    got_free(&g);
    sh_buf_free(&b);
}

/* keep_raw: the exact bytes from <Event to </Event>; printed as fields */
TEST(t_keep_raw) {
    char text[4096];
    snprintf(text, sizeof text, "<Events>\n  %s\n  %s  \n</Events>", sec4688, classic);
    got g = {0};
    run_opts(&g, text, strlen(text), 0, true);
    CHECK_INT(g.nev, 2);
    if (g.nev == 2) {
        CHECK_INT(g.ev[0]->raw_kind, SH_RAW_XML);
        CHECK_INT(g.ev[0]->raw_len, strlen(sec4688));
        CHECK(g.ev[0]->raw && memcmp(g.ev[0]->raw, sec4688, strlen(sec4688)) == 0);
        CHECK(g.ev[1]->raw && g.ev[1]->raw_len == strlen(classic) && memcmp(g.ev[1]->raw, classic, strlen(classic)) == 0);
        CHECK_JSON(g.ev[0], sec4688_json);   /* prefer_raw: still the fields */
    }
    got_free(&g);
    /* and in pieces */
    run_opts(&g, text, strlen(text), 5, true);
    CHECK_INT(g.nev, 2);
    if (g.nev == 2) CHECK(g.ev[1]->raw && memcmp(g.ev[1]->raw, classic, strlen(classic)) == 0);
    got_free(&g);
}

/* the sink stops the reading */
TEST(t_stop) {
    sh_buf b = {0};
    for (int i = 0; i < 10; i++) {
        char e[512];
        small_event(e, sizeof e, i);
        sh_buf_puts(&b, e);
        sh_buf_putc(&b, '\n');
    }
    got g = {0};
    g.stop_after = 3;
    sh_input_opts o = {0};
    sh_input_sink sink = {.on_event = on_event, .on_error = on_error, .ctx = &g};
    sh_input_stats st = {0};
    CHECK(!sh_xml_read("t.xml", b.data, b.len, &o, &sink, &st));
    CHECK_INT(g.nev, 3);
    CHECK_INT(st.events, 3);
    got_free(&g);
    sh_buf_free(&b);
}

/* names: namespace prefixes dropped, xmlns attributes ignored, values of
 * System numbers that are not numbers kept as text, an encoding declared */
TEST(t_names) {
    const char *text =
        "<e:Event xmlns:e='http://schemas.microsoft.com/win/2004/08/events/event'><e:System>"
        "<e:EventID>4624</e:EventID><e:Level>Information</e:Level><e:Task> 12544 </e:Task>"
        "<e:Execution e:ProcessID='636'/></e:System><e:EventData><e:Data Name='LogonType'>3</e:Data>"
        "<e:Data Name='LogonType'>10</e:Data></e:EventData></e:Event>";
    got g = {0};
    run(&g, text);
    CHECK_INT(g.nev, 1);
    CHECK_INT(g.nerr, 0);
    if (g.nev == 1)
        CHECK_JSON(g.ev[0], "{\"EventID\":4624,\"Level\":\"Information\",\"Task\":12544,\"Execution_ProcessID\":636,"
                            "\"LogonType\":[\"3\",\"10\"]}");
    got_free(&g);
    /* ISO-8859-1 declared: bytes above 0x7f become UTF-8 */
    run(&g, "<?xml version='1.0' encoding='ISO-8859-1'?><Event><System><Computer>caf\xe9</Computer></System></Event>");
    CHECK_INT(g.nev, 1);
    CHECK_INT(g.nerr, 0);
    if (g.nev == 1) CHECK_JSON(g.ev[0], "{\"Computer\":\"caf\xc3\xa9\"}");
    got_free(&g);
    /* invalid UTF-8 is an error */
    run(&g, "<Event><System><Computer>caf\xe9</Computer></System></Event>");
    CHECK_INT(g.nev, 0);
    CHECK_INT(g.nerr, 1);
    CHECK_STR(g.err[0], "t.xml:1:29: not well-formed (invalid token); event at line 1 skipped");
    got_free(&g);
}

/* nothing, whitespace, a wrapper only */
TEST(t_empty) {
    got g = {0};
    sh_input_stats st = run(&g, "");
    CHECK_INT(g.nev + g.nerr, 0);
    st = run(&g, "  \n\t\n");
    CHECK_INT(g.nev + g.nerr, 0);
    st = run(&g, "<?xml version='1.0'?>\n<Events>\n</Events>\n");
    CHECK_INT(g.nev + g.nerr, 0);
    CHECK_INT(st.rejected, 0);
    got_free(&g);
}

TEST(t_detect) {
    CHECK(sh_xml_detect("<Event", 6));
    CHECK(sh_xml_detect("<?xml", 5));
    CHECK(sh_xml_detect("\xff\xfe<\0E\0", 6));
    CHECK(sh_xml_detect("evtxexport 20181227\n\n<Event xmlns", 33));
    CHECK(!sh_xml_detect("{\"a\":\"<Event >\"}", 16));
    CHECK(!sh_xml_detect("hello <Eventful>", 16));
    CHECK(!sh_xml_detect("", 0));
}

int main(void) {
    RUN(t_sysmon1);
    RUN(t_security_4688);
    RUN(t_powershell_4104);
    RUN(t_userdata);
    RUN(t_unnamed_data);
    RUN(t_rendering_info);
    RUN(t_wrapper);
    RUN(t_splunk_lines);
    RUN(t_text_outside);
    RUN(t_crlf);
    RUN(t_bom);
    RUN(t_malformed_between);
    RUN(t_damage);
    RUN(t_truncated);
    RUN(t_doctype);
    RUN(t_deep);
    RUN(t_keep_raw);
    RUN(t_stop);
    RUN(t_names);
    RUN(t_empty);
    RUN(t_detect);
    TEST_MAIN_END();
}
