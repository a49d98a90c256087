/* fuzz_sigma.c: libFuzzer target for the Sigma rule loader and front end.
 * Each input is a rule file: split into YAML documents by the loader
 * (rules/load_sigma.c), every document compiled through the engine in pass
 * order (detection rules, then filters and correlations), then a few fixed
 * events (Sysmon, Security 4688, Elastic, with times) are fed and the input
 * finished, so evaluation and correlation state run too. Every rejection
 * must carry a reason; everything is freed, so leaks show. */
#include <stdlib.h>
#include <string.h>

#include "input/json.h"
#include "rules/loader_int.h"
#include "shrike/shrike.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* the literal prefilter compiles a Vectorscan database per input: slow, and
 * not what this target is about (the rules are) */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    setenv("SHRIKE_NO_PREFILTER", "1", 1);
    return 0;
}

static void on_reject(void *ctx, const sh_diag *d) {
    (void)ctx;
    if (!d->msg[0]) abort();
}

static void on_alert(void *ctx, const shrike_alert *a) {
    size_t *n = ctx;
    if (!a->rule || !a->match) abort();
    for (uint32_t i = 0; i < a->match->nevents; i++)
        if (!a->match->events[i]) abort();
    (*n)++;
}

static const char *const events[] = {
    "{\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"Computer\":\"ws1\","
    "\"UtcTime\":\"2026-03-02 10:00:00.000\",\"Image\":\"C:\\\\Windows\\\\System32\\\\certutil.exe\","
    "\"CommandLine\":\"certutil -addstore Root x.cer\",\"ParentImage\":\"C:\\\\cmd.exe\",\"User\":\"LAB\\\\bob\","
    "\"ProcessId\":4100,\"DestinationIp\":\"10.1.2.3\",\"Hashes\":\"SHA256=ABC,MD5=DEF\"}",
    "{\"EventID\":4688,\"Channel\":\"Security\",\"Computer\":\"ws1\",\"TimeCreated\":\"2026-03-02T10:00:01Z\","
    "\"NewProcessName\":\"C:\\\\k\\\\signtool.exe\",\"CommandLine\":\"signtool sign /f a.pfx b.exe\","
    "\"SubjectUserName\":\"bob\",\"SubjectDomainName\":\"LAB\",\"TargetUserName\":\"bob\"}",
    "{\"@timestamp\":\"2026-03-02T10:00:02Z\",\"event\":{\"category\":[\"process\"],\"type\":[\"start\"]},"
    "\"host\":{\"name\":\"ws1\",\"os\":{\"family\":\"windows\"}},\"process\":{\"executable\":\"C:\\\\x\\\\a.exe\","
    "\"args\":[\"a.exe\",\"-e\",\"d2hvYW1p\"],\"command_line\":\"a.exe -e d2hvYW1p\"},\"user\":{\"name\":null}}",
    "{\"EventID\":4625,\"Channel\":\"Security\",\"TimeCreated\":\"2026-03-02T10:00:03Z\",\"TargetUserName\":\"bob\"}",
};

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    if (size > 1 << 16) return 0;
    char *text = malloc(size + 1);
    if (!text) abort();
    memcpy(text, data, size);
    text[size] = 0;
    if (!sh_utf8_valid(text, size) || memchr(text, 0, size)) { /* the loader refuses these before */
        free(text);
        return 0;
    }
    sh_ruleset rs = {0};
    sh_rload l = {.rs = &rs, .cb = on_reject};
    sh_rload_sigma(&l, "fuzz.yml", text, size);
    shrike *s = shrike_new();
    for (int pass = 0; pass <= 1; pass++)
        for (size_t i = 0; i < rs.n; i++) {
            sh_rule *r = rs.rules[i];
            if (!r || (pass == 0) != (r->pass <= 0)) continue;
            sh_diag d;
            if (shrike_add_rule(s, r, &d)) rs.rules[i] = NULL;
            else if (!d.msg[0]) abort();
        }
    size_t alerts = 0;
    for (size_t i = 0; i < sizeof events / sizeof *events; i++) {
        sh_event *e = sh_event_new();
        sh_json_opts o = {.unwrap = true};
        sh_diag d;
        if (!sh_json_parse_event(events[i], strlen(events[i]), e, &o, &d)) abort();
        e->ordinal = i + 1;
        shrike_feed(s, e, on_alert, &alerts);
        sh_event_unref(e);
    }
    shrike_finish(s, on_alert, &alerts);
    shrike_free(s);
    sh_ruleset_free(&rs);
    free(text);
    return 0;
}
