/* fuzz_exclusions.c: libFuzzer target for exclusion files (api/exclude.c).
 * Each input is parsed with shrike_exclusions_parse. An error must name the
 * file and carry a line and a reason. A set that parses is checked (every
 * entry has a name, counts start at zero) and applied to fixed alerts: an
 * ECS process event, Sysmon 1 and Security 4688 (the Windows-native names
 * the field model derives from), a macOS signing event, values with
 * non-ASCII text, several values and a number, a sequence with a missing
 * event, an SPL row, and rules with and without an id or a name, so the
 * rule selection, every kind of condition and the wildcard matcher run.
 * Events are made afresh for each input and everything is freed, so leaks
 * show. */
#include <stdlib.h>
#include <string.h>

#include "api/exclude.h"
#include "engine/query.h"
#include "input/json.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char *const event_json[] = {
    "{\"@timestamp\":\"2024-01-02T03:04:05Z\",\"host\":{\"name\":\"BUILD-AGENT-07.corp.example\"},"
    "\"user\":{\"name\":\"svc_build\",\"domain\":\"CORP\",\"id\":501},"
    "\"process\":{\"name\":\"signtool.exe\",\"executable\":\"C:\\\\Program Files\\\\sdk\\\\signtool.exe\","
    "\"command_line\":\"signtool.exe sign /tr http://ts /fd sha256 out\\\\app.exe\","
    "\"args\":[\"signtool.exe\",\"sign\",\"/tr\",\"http://ts\"],"
    "\"parent\":{\"name\":\"Agent.Worker.exe\",\"executable\":\"C:\\\\agent\\\\bin\\\\Agent.Worker.exe\"},"
    "\"code_signature\":{\"subject_name\":\"Microsoft Corporation\"}},"
    "\"file\":{\"path\":\"C:\\\\out\\\\app.exe\",\"name\":\"app.exe\"},\"event\":{\"code\":\"1\"}}",
    "{\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"Computer\":\"PKI-ADMIN-02.corp.example\","
    "\"User\":\"CORP\\\\pkiadmin\",\"Image\":\"C:\\\\Windows\\\\System32\\\\certutil.exe\","
    "\"CommandLine\":\"certutil  -store root \",\"ParentImage\":\"C:\\\\Windows\\\\explorer.exe\","
    "\"TargetFilename\":\"C:\\\\t\\\\a.PFX\"}",
    "{\"EventID\":4688,\"Channel\":\"Security\",\"Computer\":\"DEV-13\",\"SubjectUserName\":\"Jwalsh\","
    "\"SubjectDomainName\":\"LAB\",\"NewProcessName\":\"C:\\\\Program Files\\\\PowerShell\\\\7\\\\pwsh.exe\","
    "\"CommandLine\":\"pwsh -c New-SelfSignedCertificate -DnsName localhost\",\"TokenElevationType\":\"%%1937\"}",
    "{\"event\":{\"action\":\"exec\"},\"host\":{\"name\":\"mac-01\"},"
    "\"process\":{\"executable\":\"/usr/bin/codesign\",\"name\":\"codesign\","
    "\"parent\":{\"executable\":\"/opt/homebrew/Library/Homebrew/vendor/portable-ruby/3.3.1/bin/ruby\"},"
    "\"code_signature\":{\"signing_id\":\"com.apple.codesign\",\"team_id\":\"7XK2Q9ABCD\"},"
    "\"command_line\":\"codesign -f -s - /opt/homebrew/Cellar/x/1/bin/x\"}}",
    "{\"host\":{\"name\":[\"\\u00c4RGER-\\u0130\\u03a3.\",\"\",\"*?\"]},"
    "\"user\":{\"name\":\"\\u00dcber\\u1e9e\",\"domain\":\"\\u0410\\u0411\"},"
    "\"process\":{\"command_line\":null,\"args\":[\"a\",\"\",\"\\\\\\\\?\\\\C:\"],\"pid\":-4.5e3}}",
};
#define NEVENTS (sizeof event_json / sizeof *event_json)

static sh_event *make_event(const char *json) {
    sh_event *e = sh_event_new();
    sh_json_opts o = {.keep_raw = false, .unwrap = true};
    sh_diag d;
    if (!sh_json_parse_event(json, strlen(json), e, &o, &d)) abort();
    return e;
}

static void check_match(shrike_exclusions *x, const sh_rule *r, sh_event **evs, uint32_t n, sh_event *row) {
    sh_match m = {.events = evs, .nevents = n, .row = row};
    shrike_alert a = {.rule = r, .match = &m};
    long k = shrike_exclusions_match(x, &a);
    if (k < -1 || k >= (long)shrike_exclusions_count(x)) abort();
    if (k >= 0) sh_exclusions_hit(x, (size_t)k);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    sh_diag d;
    shrike_exclusions *x = shrike_exclusions_parse((const char *)data, size, "fuzz.toml", &d);
    if (!x) {
        if (strcmp(d.file, "fuzz.toml") != 0 || d.line < 1 || !d.msg[0]) abort();
        return 0;
    }
    if (strcmp(shrike_exclusions_file(x), "fuzz.toml") != 0) abort();
    size_t n = shrike_exclusions_count(x);
    for (size_t i = 0; i < n; i++)
        if (!shrike_exclusions_name(x, i) || shrike_exclusions_hits(x, i) != 0) abort();

    sh_event *evs[NEVENTS];
    for (size_t i = 0; i < NEVENTS; i++) evs[i] = make_event(event_json[i]);
    sh_rule rules[4];
    memset(rules, 0, sizeof rules);
    rules[0].id = (char *)"3c61745c-61a8-5572-942c-0a3408dacc18";
    rules[0].name = (char *)"Detect Code Signing Certificates (command line)";
    rules[1].id = (char *)"8140c134";
    rules[1].name = (char *)"";
    rules[2].name = (char *)"Ad-Hoc Code Signing \xc3\x84\xce\xa3";
    rules[3].id = (char *)"OTHER";

    for (size_t r = 0; r < 4; r++) {
        for (size_t i = 0; i < NEVENTS; i++) check_match(x, &rules[r], &evs[i], 1, NULL);
        sh_event *seq[3] = {evs[2], NULL, evs[4]};
        check_match(x, &rules[r], seq, 3, NULL);
        check_match(x, &rules[r], NULL, 0, evs[(r + 1) % NEVENTS]);
    }
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) total += shrike_exclusions_hits(x, i);
    if (total > 4 * (NEVENTS + 2)) abort();

    for (size_t i = 0; i < NEVENTS; i++) sh_event_unref(evs[i]);
    shrike_exclusions_free(x);
    return 0;
}
