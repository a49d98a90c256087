/* test_sigma.c: the Sigma front end through the public API: rules go
 * through the real loader (a YAML file) and the engine, events through the
 * JSON reader. Every modifier, wildcards and escapes, null and empty values,
 * keywords, the condition grammar and its two-valued `not`, logsource
 * selection and the field mapping (Sysmon, Security 4688, Elastic), exact
 * rejection messages and warnings, loader metadata, filters, correlations,
 * and the regex limits. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "input/json.h"
#include "shrike/shrike.h"
#include "test.h"
#include "test_events.h"

/* ------------------------------------------------------------- helpers */

static char g_dir[64];
static int g_seq;

#define MAX_MSG 32
typedef struct run {
    shrike *s;
    char path[128];
    char msg[MAX_MSG][700];     /* rejections: "LINE[:COL]: reason" (file left out) */
    int nmsg;
    char warn[MAX_MSG][700];    /* warnings of the loaded rules */
    int nwarn;
    int alerts;
    char rule[64][128];         /* per alert: rule name, events, keys */
    int nev[64];
    char keys[64][256];
    uint64_t ordinal;
} run;

static void on_reject(void *ctx, const sh_diag *d) {
    run *r = ctx;
    if (r->nmsg == MAX_MSG) return;
    if (d->line > 0 && d->col > 0) snprintf(r->msg[r->nmsg++], sizeof r->msg[0], "%ld:%ld: %s", d->line, d->col, d->msg);
    else if (d->line > 0) snprintf(r->msg[r->nmsg++], sizeof r->msg[0], "%ld: %s", d->line, d->msg);
    else snprintf(r->msg[r->nmsg++], sizeof r->msg[0], "%s", d->msg);
}

static void load(run *r, const char *yaml) {
    memset(r, 0, sizeof *r);
    snprintf(r->path, sizeof r->path, "%s/r%d.yml", g_dir, g_seq++);
    FILE *f = fopen(r->path, "w");
    fputs(yaml, f);
    fclose(f);
    r->s = shrike_new();
    sh_ruleset rs = {0};
    sh_rules_load(r->path, &rs, on_reject, r);
    for (int pass = 0; pass <= 1; pass++)
        for (size_t i = 0; i < rs.n; i++) {
            sh_rule *x = rs.rules[i];
            if (!x || (pass == 0) != (x->pass <= 0)) continue;
            sh_diag d;
            if (shrike_add_rule(r->s, x, &d)) {
                rs.rules[i] = NULL;
                const char *const *w = shrike_rule_warnings(r->s, shrike_rule_count(r->s) - 1);
                for (; w && *w && r->nwarn < MAX_MSG; w++) snprintf(r->warn[r->nwarn++], sizeof r->warn[0], "%s", *w);
            } else {
                on_reject(r, &d);
            }
        }
    sh_ruleset_free(&rs);
}

static void on_alert(void *ctx, const shrike_alert *a) {
    run *r = ctx;
    if (r->alerts < 64) {
        snprintf(r->rule[r->alerts], sizeof r->rule[0], "%s", a->rule->name);
        r->nev[r->alerts] = (int)a->match->nevents;
        r->keys[r->alerts][0] = 0;
        for (uint32_t i = 0; i < a->match->nkeys; i++) {
            size_t l = strlen(r->keys[r->alerts]);
            snprintf(r->keys[r->alerts] + l, sizeof r->keys[0] - l, "%s%s", i ? "," : "", a->match->keys[i]);
        }
    }
    r->alerts++;
}

/* JSON written with ' for " */
static void feed(run *r, const char *json) {
    sh_event *e = test_event(json);
    if (!e) return;
    e->ordinal = ++r->ordinal;
    shrike_feed(r->s, e, on_alert, r);
    sh_event_unref(e);
}

static void finish(run *r) { shrike_finish(r->s, on_alert, r); }
static void done(run *r) {
    shrike_free(r->s);
    unlink(r->path);
}

#define HDR "title: t\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n"
#define SYS1 "{'EventID':1,'Channel':'Microsoft-Windows-Sysmon/Operational',"

/* alerts of one rule (HDR + body) on one event; -1 when it does not load */
static int m(const char *body, const char *json) {
    char yaml[8192];
    snprintf(yaml, sizeof yaml, HDR "%s", body);
    run r;
    load(&r, yaml);
    if (r.nmsg) {
        fprintf(stderr, "rule rejected: %s\n%s\n", r.msg[0], body);
        done(&r);
        return -1;
    }
    feed(&r, json);
    finish(&r);
    int n = r.alerts;
    done(&r);
    return n;
}

/* the first rejection of a rule text ("" when it loads) */
static char g_err[700];
static const char *err(const char *yaml) {
    run r;
    load(&r, yaml);
    snprintf(g_err, sizeof g_err, "%s", r.nmsg ? r.msg[0] : "");
    done(&r);
    return g_err;
}

static const char *body_err(const char *body) {
    char yaml[8192];
    snprintf(yaml, sizeof yaml, HDR "%s", body);
    return err(yaml);
}

/* ------------------------------------------------------------- strings */

TEST(strings_case_and_wildcards) {
    const char *ev = SYS1 "'Image':'C:\\\\Windows\\\\System32\\\\CMD.EXE','CommandLine':'cmd /c WHOAMI /all'}";
    CHECK_INT(m("    sel:\n        Image: 'c:\\windows\\system32\\cmd.exe'\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        Image|cased: 'c:\\windows\\system32\\cmd.exe'\n    condition: sel\n", ev), 0);
    CHECK_INT(m("    sel:\n        Image|cased: 'C:\\Windows\\System32\\CMD.EXE'\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        CommandLine: '*whoami*'\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        CommandLine: 'whoami*'\n    condition: sel\n", ev), 0);
    CHECK_INT(m("    sel:\n        Image: '*\\cm?.exe'\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        Image: '*\\cm??.exe'\n    condition: sel\n", ev), 0);
    CHECK_INT(m("    sel:\n        Image|endswith: '\\cmd.exe'\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        Image|startswith: 'C:\\Windows\\'\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        CommandLine|contains: ' /C '\n    condition: sel\n", ev), 1);
    /* a list is any of its values */
    CHECK_INT(m("    sel:\n        CommandLine|contains:\n            - 'nope'\n            - 'whoami'\n    condition: sel\n", ev), 1);
}

TEST(many_contains_values) {
    /* eight or more `contains` values go through one literal scan */
    const char *rule = "    sel:\n        CommandLine|contains:\n            - 'alpha'\n            - 'bravo'\n"
                       "            - 'charlie'\n            - 'delta'\n            - 'echo'\n            - 'foxtrot'\n"
                       "            - 'golf'\n            - 'HOTEL'\n            - 'ПРИВЕТ'\n            - 'a*z'\n"
                       "            - 'x\\*y'\n    condition: sel\n";
    CHECK_INT(m(rule, SYS1 "'CommandLine':'run Hotel now'}"), 1);
    CHECK_INT(m(rule, SYS1 "'CommandLine':'run hotel now'}"), 1);
    CHECK_INT(m(rule, SYS1 "'CommandLine':'скажи привет'}"), 1);
    CHECK_INT(m(rule, SYS1 "'CommandLine':'GOLF'}"), 1);
    CHECK_INT(m(rule, SYS1 "'CommandLine':'1 A 2 Z 3'}"), 1);   /* the wildcard pattern */
    CHECK_INT(m(rule, SYS1 "'CommandLine':'1 x*y 3'}"), 1);     /* the literal star */
    CHECK_INT(m(rule, SYS1 "'CommandLine':'1 xzy 3'}"), 0);
    CHECK_INT(m(rule, SYS1 "'CommandLine':'nothing here'}"), 0);
    CHECK_INT(m(rule, SYS1 "'CommandLine':''}"), 0);
    /* every value of a multi-valued field is searched */
    CHECK_INT(m(rule, SYS1 "'CommandLine':['none','also none','DELTA force']}"), 1);
    /* `all`: each value on its own */
    CHECK_INT(m("    sel:\n        CommandLine|contains|all:\n            - 'a1'\n            - 'a2'\n            - 'a3'\n"
                "            - 'a4'\n            - 'a5'\n            - 'a6'\n            - 'a7'\n            - 'a8'\n"
                "    condition: sel\n", SYS1 "'CommandLine':'a8 a7 a6 a5 a4 a3 a2 a1'}"), 1);
    CHECK_INT(m("    sel:\n        CommandLine|contains|all:\n            - 'a1'\n            - 'a2'\n            - 'a3'\n"
                "            - 'a4'\n            - 'a5'\n            - 'a6'\n            - 'a7'\n            - 'a9'\n"
                "    condition: sel\n", SYS1 "'CommandLine':'a8 a7 a6 a5 a4 a3 a2 a1'}"), 0);
}

/* The same wildcard test in several rules is evaluated once per event and
 * remembered; tests that differ only in patterns moved into literal sets
 * (eight or more contains values) or in negation must not share a result. */
TEST(shared_tests_across_rules) {
    const char *many1 = "        CommandLine|contains:\n            - 'alpha'\n            - 'bravo'\n            - 'charlie'\n"
                        "            - 'delta'\n            - 'echo'\n            - 'foxtrot'\n            - 'golf'\n"
                        "            - 'hotel'\n";
    const char *many2 = "        CommandLine|contains:\n            - 'india'\n            - 'juliett'\n            - 'kilo'\n"
                        "            - 'lima'\n            - 'mike'\n            - 'november'\n            - 'oscar'\n"
                        "            - 'papa'\n";
    char yaml[8192];
    snprintf(yaml, sizeof yaml,
             "title: many1\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    sel:\n%s"
             "    condition: sel\n---\n"
             "title: many2\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    sel:\n%s"
             "    condition: sel\n---\n"
             "title: img\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    sel:\n"
             "        Image|endswith: '\\\\certutil.exe'\n    condition: sel\n---\n"
             "title: img-again\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    sel:\n"
             "        Image|endswith: '\\\\certutil.exe'\n    condition: sel\n---\n"
             "title: not-img\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    sel:\n"
             "        Image|endswith: '\\\\certutil.exe'\n    condition: not sel\n",
             many1, many2);
    run r;
    load(&r, yaml);
    CHECK_INT(r.nmsg, 0);
    feed(&r, SYS1 "'Image':'C:\\\\Windows\\\\System32\\\\certutil.exe','CommandLine':'run november now'}");
    feed(&r, SYS1 "'Image':'C:\\\\Windows\\\\cmd.exe','CommandLine':'alpha'}");
    finish(&r);
    CHECK_INT(r.alerts, 5);
    if (r.alerts == 5) {
        CHECK_STR(r.rule[0], "many2");
        CHECK_STR(r.rule[1], "img");
        CHECK_STR(r.rule[2], "img-again");
        CHECK_STR(r.rule[3], "many1");
        CHECK_STR(r.rule[4], "not-img");
    }
    done(&r);
}

TEST(strings_escapes) {
    /* \* and \? are plain characters; \\ before a wildcard is one backslash */
    const char *star = SYS1 "'CommandLine':'a*b'}", *other = SYS1 "'CommandLine':'axb'}";
    CHECK_INT(m("    sel:\n        CommandLine: 'a\\*b'\n    condition: sel\n", star), 1);
    CHECK_INT(m("    sel:\n        CommandLine: 'a\\*b'\n    condition: sel\n", other), 0);
    CHECK_INT(m("    sel:\n        CommandLine: 'a*b'\n    condition: sel\n", other), 1);
    CHECK_INT(m("    sel:\n        CommandLine: 'a\\?b'\n    condition: sel\n", SYS1 "'CommandLine':'a?b'}"), 1);
    CHECK_INT(m("    sel:\n        CommandLine: 'a\\?b'\n    condition: sel\n", other), 0);
    /* literal * inside contains: a stringContains test, not a wildcard */
    CHECK_INT(m("    sel:\n        CommandLine|contains: 'x\\*y'\n    condition: sel\n", SYS1 "'CommandLine':'1 x*y 2'}"), 1);
    CHECK_INT(m("    sel:\n        CommandLine|contains: 'x\\*y'\n    condition: sel\n", SYS1 "'CommandLine':'1 xzy 2'}"), 0);
    /* literal * and a wildcard in one value: a regex */
    CHECK_INT(m("    sel:\n        CommandLine: 'a\\**z'\n    condition: sel\n", SYS1 "'CommandLine':'a*bcz'}"), 1);
    CHECK_INT(m("    sel:\n        CommandLine: 'a\\**z'\n    condition: sel\n", SYS1 "'CommandLine':'abcz'}"), 0);
    /* C:\\* : a backslash, then any text */
    CHECK_INT(m("    sel:\n        Image: 'C:\\\\*'\n    condition: sel\n", SYS1 "'Image':'C:\\\\x.exe'}"), 1);
    CHECK_INT(m("    sel:\n        Image: 'C:\\\\*'\n    condition: sel\n", SYS1 "'Image':'C:x.exe'}"), 0);
    /* \\\* : a backslash and a star, both plain */
    CHECK_INT(m("    sel:\n        Image: 'a\\\\\\*'\n    condition: sel\n", SYS1 "'Image':'a\\\\*'}"), 1);
    CHECK_INT(m("    sel:\n        Image: 'a\\\\\\*'\n    condition: sel\n", SYS1 "'Image':'a\\\\x'}"), 0);
    /* a backslash before anything else stands for itself */
    CHECK_INT(m("    sel:\n        Image: 'C:\\Temp\\x.exe'\n    condition: sel\n", SYS1 "'Image':'C:\\\\Temp\\\\x.exe'}"), 1);
}

TEST(strings_unicode_case) {
    const char *ev = SYS1 "'CommandLine':'echo äöü ПРИВЕТ ΣΟΦΙΑ'}";
    CHECK_INT(m("    sel:\n        CommandLine|contains: 'ÄÖÜ'\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        CommandLine|contains: 'привет'\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        CommandLine|contains: 'σοφια'\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        CommandLine|contains|cased: 'привет'\n    condition: sel\n", ev), 0);
    CHECK_INT(m("    sel:\n        CommandLine|re|i: 'ÄÖÜ\\s+привет'\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        CommandLine|re: 'ÄÖÜ'\n    condition: sel\n", ev), 0);
}

TEST(null_empty_and_two_valued_not) {
    const char *no_parent = SYS1 "'Image':'x.exe'}";
    const char *null_parent = SYS1 "'Image':'x.exe','ParentImage':null}";
    const char *parent = SYS1 "'Image':'x.exe','ParentImage':'p.exe'}";
    const char *empty = SYS1 "'Image':'x.exe','ParentImage':''}";
    const char *null_rule = "    sel:\n        ParentImage: null\n    condition: sel\n";
    CHECK_INT(m(null_rule, no_parent), 1);
    CHECK_INT(m(null_rule, null_parent), 1);
    CHECK_INT(m(null_rule, parent), 0);
    CHECK_INT(m(null_rule, empty), 0);
    const char *empty_rule = "    sel:\n        ParentImage: ''\n    condition: sel\n";
    CHECK_INT(m(empty_rule, empty), 1);
    CHECK_INT(m(empty_rule, no_parent), 0);
    CHECK_INT(m(empty_rule, parent), 0);
    /* not on a field the event lacks: the test is false, so `not` holds */
    const char *notr = "    sel:\n        Image: 'x.exe'\n    filter:\n        ParentImage|endswith: '\\explorer.exe'\n"
                       "    condition: sel and not filter\n";
    CHECK_INT(m(notr, no_parent), 1);
    CHECK_INT(m(notr, parent), 1);
    CHECK_INT(m(notr, SYS1 "'Image':'x.exe','ParentImage':'C:\\\\explorer.exe'}"), 0);
    CHECK_INT(m("    sel:\n        ParentImage: 'x'\n    condition: not sel\n", no_parent), 1);
    CHECK_INT(m("    sel:\n        ParentImage: 'x'\n    condition: not not sel\n", no_parent), 0);
}

TEST(numbers_bools_and_compare) {
    const char *ev = SYS1 "'Image':'x.exe','ProcessId':4242,'TerminalSessionId':'2','Flag':true,'Ratio':'2.5'}";
    CHECK_INT(m("    sel:\n        EventID: 1\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        EventID: '1'\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        ProcessId: 4242\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        TerminalSessionId: 2\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        ProcessId:\n            - 1\n            - 4242\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        ProcessId|gt: 4241\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        ProcessId|gt: 4242\n    condition: sel\n", ev), 0);
    CHECK_INT(m("    sel:\n        ProcessId|gte: 4242\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        ProcessId|lt: 4242\n    condition: sel\n", ev), 0);
    CHECK_INT(m("    sel:\n        ProcessId|lte: 4242\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        TerminalSessionId|lt: 10\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        Ratio|gt: 2.4\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        Ratio|lt: '2.4'\n    condition: sel\n", ev), 0);
    CHECK_INT(m("    sel:\n        ProcessId|neq: 4242\n    condition: sel\n", ev), 0);
    CHECK_INT(m("    sel:\n        ProcessId|neq: 1\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        Image|neq:\n            - 'a.exe'\n            - 'X.EXE'\n    condition: sel\n", ev), 0);
    CHECK_INT(m("    sel:\n        Image|neq: 'a.exe'\n    condition: sel\n", ev), 1);
    /* neq on a field the event lacks holds (two-valued) */
    CHECK_INT(m("    sel:\n        Missing|neq: 'a'\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        Flag: true\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        Flag: false\n    condition: sel\n", ev), 0);
    CHECK_INT(m("    sel:\n        Flag: 'TRUE'\n    condition: sel\n", ev), 1);
}

TEST(all_and_keywords) {
    const char *ev = SYS1 "'Image':'C:\\\\w\\\\certutil.exe','CommandLine':'certutil -addstore Root x.cer'}";
    CHECK_INT(m("    sel:\n        CommandLine|contains|all:\n            - '-addstore'\n            - 'root'\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        CommandLine|contains|all:\n            - '-addstore'\n            - 'TrustedPublisher'\n    condition: sel\n", ev), 0);
    /* a list of maps is OR, a map is AND */
    CHECK_INT(m("    sel:\n        - Image|endswith: '\\nope.exe'\n        - CommandLine|contains: 'addstore'\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        Image|endswith: '\\nope.exe'\n        CommandLine|contains: 'addstore'\n    condition: sel\n", ev), 0);
    /* keywords: anywhere in any value of the event */
    CHECK_INT(m("    keywords:\n        - 'ADDSTORE root'\n        - 'nothing'\n    condition: keywords\n", ev), 1);
    CHECK_INT(m("    keywords:\n        - 'certutil*.cer'\n    condition: keywords\n", ev), 1);
    CHECK_INT(m("    keywords:\n        - 'Sysmon/Operational'\n    condition: keywords\n", ev), 1);
    CHECK_INT(m("    keywords:\n        - 'absent text'\n    condition: keywords\n", ev), 0);
    CHECK_INT(m("    keywords:\n        '|all':\n            - 'certutil'\n            - 'x.cer'\n    condition: keywords\n", ev), 1);
    CHECK_INT(m("    keywords:\n        '|all':\n            - 'certutil'\n            - 'y.cer'\n    condition: keywords\n", ev), 0);
    CHECK_INT(m("    keywords: 'x.cer'\n    condition: keywords\n", ev), 1);
    /* keywords see only the event's own fields, not derived ones */
    CHECK_INT(m("    keywords:\n        - 'certutil.exe'\n    condition: keywords\n", SYS1 "'Image':'C:\\\\certutil.exe'}"), 1);
    CHECK_INT(m("    keywords:\n        - 'process'\n    condition: keywords\n", SYS1 "'Image':'C:\\\\certutil.exe'}"), 0);
}

TEST(encodings) {
    const char *b64 = SYS1 "'CommandLine':'powershell -enc d2hvYW1p'}";
    CHECK_INT(m("    sel:\n        CommandLine|base64|contains: 'whoami'\n    condition: sel\n", b64), 1);
    CHECK_INT(m("    sel:\n        CommandLine|base64: 'whoami'\n    condition: sel\n", b64), 0);
    CHECK_INT(m("    sel:\n        CommandLine|base64|endswith: 'whoami'\n    condition: sel\n", b64), 1);
    /* base64offset: the three alignments */
    const char *rule = "    sel:\n        CommandLine|base64offset|contains: 'http://'\n    condition: sel\n";
    CHECK_INT(m(rule, SYS1 "'CommandLine':'eHggaHR0cDovL2V2aWw='}"), 1);   /* 'xx http://evil' */
    CHECK_INT(m(rule, SYS1 "'CommandLine':'x h0dHA6Ly x'}"), 1);
    CHECK_INT(m(rule, SYS1 "'CommandLine':'x odHRwOi8v x'}"), 1);
    CHECK_INT(m(rule, SYS1 "'CommandLine':'aHR0cDov'}"), 0);
    /* UTF-16 then base64: PowerShell's -EncodedCommand */
    const char *enc = SYS1 "'CommandLine':'powershell -e cABvAHcAZQByAHMAaABlAGwAbAAgAC0AbgBvAHAAIABJAEUAWAAgACgAdwBoAG8AYQBtAGkAKQA='}";
    CHECK_INT(m("    sel:\n        CommandLine|wide|base64offset|contains: 'whoami'\n    condition: sel\n", enc), 1);
    CHECK_INT(m("    sel:\n        CommandLine|utf16le|base64offset|contains: 'IEX'\n    condition: sel\n", enc), 1);
    CHECK_INT(m("    sel:\n        CommandLine|base64offset|contains: 'whoami'\n    condition: sel\n", enc), 0);
    CHECK_INT(m("    sel:\n        CommandLine|utf16le|base64|contains: 'IEX'\n    condition: sel\n", SYS1 "'CommandLine':'x SQBFAFgA x'}"), 1);
    CHECK_INT(m("    sel:\n        CommandLine|utf16be|base64|contains: 'IEX'\n    condition: sel\n", SYS1 "'CommandLine':'x AEkARQBY x'}"), 1);
    CHECK_INT(m("    sel:\n        CommandLine|utf16|base64|contains: 'IEX'\n    condition: sel\n", SYS1 "'CommandLine':'x //5JAEUAWAA= x'}"), 1);
}

TEST(windash) {
    const char *rule = "    sel:\n        CommandLine|windash|contains: ' -decode '\n    condition: sel\n";
    CHECK_INT(m(rule, SYS1 "'CommandLine':'certutil -decode a b'}"), 1);
    CHECK_INT(m(rule, SYS1 "'CommandLine':'certutil /decode a b'}"), 1);
    CHECK_INT(m(rule, SYS1 "'CommandLine':'certutil \u2013decode a b'}"), 1);
    CHECK_INT(m(rule, SYS1 "'CommandLine':'certutil \u2014decode a b'}"), 1);
    CHECK_INT(m(rule, SYS1 "'CommandLine':'certutil \u2015decode a b'}"), 1);
    CHECK_INT(m(rule, SYS1 "'CommandLine':'certutil +decode a b'}"), 0);
    /* many dashes in one value become one pattern with dash classes */
    const char *many = "    sel:\n        CommandLine|windash|contains: '-a -b -c -d -e'\n    condition: sel\n";
    CHECK_INT(m(many, SYS1 "'CommandLine':'x /a -b \u2013c /d -e'}"), 1);
    CHECK_INT(m(many, SYS1 "'CommandLine':'x /a -b +c /d -e'}"), 0);
}

TEST(regex) {
    const char *ml = SYS1 "'CommandLine':'first\\nsecond'}";
    CHECK_INT(m("    sel:\n        CommandLine|re: 'st.sec'\n    condition: sel\n", ml), 0);
    CHECK_INT(m("    sel:\n        CommandLine|re|s: 'st.sec'\n    condition: sel\n", ml), 1);
    CHECK_INT(m("    sel:\n        CommandLine|re: '^second$'\n    condition: sel\n", ml), 0);
    CHECK_INT(m("    sel:\n        CommandLine|re|m: '^second$'\n    condition: sel\n", ml), 1);
    CHECK_INT(m("    sel:\n        CommandLine|re: 'SECOND'\n    condition: sel\n", ml), 0);
    CHECK_INT(m("    sel:\n        CommandLine|re|i: 'SECOND'\n    condition: sel\n", ml), 1);
    CHECK_INT(m("    sel:\n        CommandLine|re|i|m|s: '^FIRST.SECOND$'\n    condition: sel\n", ml), 1);
    CHECK_INT(m("    sel:\n        CommandLine|re: 'ir[a-z]+'\n    condition: sel\n", ml), 1);
    /* several patterns: any */
    CHECK_INT(m("    sel:\n        CommandLine|re:\n            - 'nope'\n            - 'cond$'\n    condition: sel\n", ml), 1);
}

TEST(regex_cannot_hang) {
    /* catastrophic backtracking stops at the match limit and counts as no match */
    char ev[4096];
    char as[3001];
    memset(as, 'a', 3000);
    as[3000] = 0;
    snprintf(ev, sizeof ev, SYS1 "'CommandLine':'%sb'}", as);
    clock_t t0 = clock();
    CHECK_INT(m("    sel:\n        CommandLine|re: '^(a+)+$'\n    condition: sel\n", ev), 0);
    CHECK_INT(m("    sel:\n        CommandLine|re: '(a|aa)+c'\n    condition: sel\n", ev), 0);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK(secs < 5.0);
}

TEST(cidr_exists_fieldref_time) {
    const char *ev = SYS1 "'Image':'C:\\\\a\\\\x.exe','ParentImage':'c:\\\\A\\\\X.EXE','DestinationIp':'10.1.2.3',"
                          "'SourceIp':'fe80::1','User':'LAB\\\\bob','ParentUser':'LAB\\\\alice','Gone':null,"
                          "'UtcTime':'2024-03-05 22:41:07.123'}";
    CHECK_INT(m("    sel:\n        DestinationIp|cidr: '10.0.0.0/8'\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        DestinationIp|cidr:\n            - '192.168.0.0/16'\n            - '10.1.2.0/24'\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        DestinationIp|cidr: '11.0.0.0/8'\n    condition: sel\n", ev), 0);
    CHECK_INT(m("    sel:\n        SourceIp|cidr: 'fe80::/10'\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        ParentImage|exists: true\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        Missing|exists: true\n    condition: sel\n", ev), 0);
    CHECK_INT(m("    sel:\n        Missing|exists: false\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        Gone|exists: true\n    condition: sel\n", ev), 1);   /* a null value is there */
    CHECK_INT(m("    sel:\n        Image|fieldref: ParentImage\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        User|fieldref: ParentUser\n    condition: sel\n", ev), 0);
    CHECK_INT(m("    sel:\n        User|fieldref|neq: ParentUser\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        User|fieldref|neq: Missing\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        Image|fieldref|cased: ParentImage\n    condition: sel\n", ev), 0);
    CHECK_INT(m("    sel:\n        User|fieldref|startswith: ParentImage\n    condition: sel\n", SYS1 "'User':'abc','ParentImage':'AB'}"), 1);
    CHECK_INT(m("    sel:\n        User|fieldref|endswith: ParentImage\n    condition: sel\n", SYS1 "'User':'abc','ParentImage':'BC'}"), 1);
    CHECK_INT(m("    sel:\n        User|fieldref|contains: ParentImage\n    condition: sel\n", SYS1 "'User':'abc','ParentImage':'x'}"), 0);
    CHECK_INT(m("    sel:\n        UtcTime|hour: 22\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        UtcTime|minute: 41\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        UtcTime|day: 5\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        UtcTime|week: 10\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        UtcTime|month: 3\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        UtcTime|year: 2024\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        UtcTime|hour|gte: 20\n    condition: sel\n", ev), 1);
    CHECK_INT(m("    sel:\n        UtcTime|hour|lt: 6\n    condition: sel\n", ev), 0);
}

TEST(expand_placeholders) {
    char path[128];
    snprintf(path, sizeof path, "%s/placeholders.tsv", g_dir);
    FILE *f = fopen(path, "w");
    fputs("# name\tvalue\nAdmins\tadm_*\nAdmins\troot\nHost\tWS01\n", f);
    fclose(f);
    setenv("SHRIKE_SIGMA_PLACEHOLDERS", path, 1);
    const char *rule = "    sel:\n        User|expand: '%Admins%'\n    condition: sel\n";
    CHECK_INT(m(rule, SYS1 "'User':'ADM_bob'}"), 1);
    CHECK_INT(m(rule, SYS1 "'User':'root'}"), 1);
    CHECK_INT(m(rule, SYS1 "'User':'bob'}"), 0);
    CHECK_INT(m("    sel:\n        Computer|contains|expand: '%Host%.lab'\n    condition: sel\n", SYS1 "'Computer':'x.ws01.LAB'}"), 1);
    CHECK_INT(m("    sel:\n        User|expand: '100\\%'\n    condition: sel\n", SYS1 "'User':'100%'}"), 1);
    /* without expand, %...% is plain text */
    CHECK_INT(m("    sel:\n        User: '%Admins%'\n    condition: sel\n", SYS1 "'User':'%admins%'}"), 1);
    CHECK_STR(body_err("    sel:\n        User|expand: '%Nobody%'\n    condition: sel\n"),
              "7:9: 'User|expand': expand: placeholder %Nobody% has no value (shrike takes placeholder values from "
              "the file named by SHRIKE_SIGMA_PLACEHOLDERS)");
    unsetenv("SHRIKE_SIGMA_PLACEHOLDERS");
    unlink(path);
}

/* ------------------------------------------------------------ conditions */

TEST(conditions) {
    const char *ev = SYS1 "'A':'1','B':'1','C':'0'}";
    const char *ids = "    a:\n        A: '1'\n    b:\n        B: '1'\n    c:\n        C: '1'\n    _d:\n        C: '0'\n";
    char body[1024];
#define COND(c, want)                                                  \
    do {                                                               \
        snprintf(body, sizeof body, "%s    condition: %s\n", ids, c); \
        CHECK_INT(m(body, ev), want);                                  \
    } while (0)
    COND("a and b", 1);
    COND("a and c", 0);
    COND("c or a and b", 1);          /* and binds tighter than or */
    COND("(c or a) and b", 1);
    COND("c or a and c", 0);
    COND("not c and a", 1);           /* not binds tighter than and */
    COND("not (c or a)", 0);
    COND("1 of them", 1);
    COND("all of them", 0);           /* c fails; _d does not count */
    COND("all of _*", 1);
    COND("all of a*", 1);
    COND("any of c*", 0);
    COND("1 of c* or all of b", 1);
    COND("a AND NOT c", 1);           /* keywords are not */
    COND("not 1 of c*", 1);
    COND("all of them or _d", 1);
#undef COND
    /* a list of conditions: any of them */
    CHECK_INT(m("    a:\n        A: '1'\n    c:\n        C: '1'\n    condition:\n        - c\n        - a\n", ev), 1);
}

/* ------------------------------------------------------ logsource, fields */

TEST(logsource_and_mapping) {
    const char *rule = "    sel:\n        Image|endswith: '\\signtool.exe'\n        ParentImage|endswith: '\\cmd.exe'\n"
                       "        User: 'LAB\\jwalsh'\n    condition: sel\n";
    /* Sysmon 1 */
    CHECK_INT(m(rule, SYS1 "'Image':'C:\\\\k\\\\signtool.exe','ParentImage':'C:\\\\cmd.exe','User':'LAB\\\\jwalsh'}"), 1);
    /* Sysmon 11 is no process creation */
    CHECK_INT(m(rule, "{'EventID':11,'Channel':'Microsoft-Windows-Sysmon/Operational','Image':'C:\\\\k\\\\signtool.exe',"
                      "'ParentImage':'C:\\\\cmd.exe','User':'LAB\\\\jwalsh'}"), 0);
    /* Security 4688: NewProcessName, ParentProcessName, SubjectDomainName\SubjectUserName */
    CHECK_INT(m(rule, "{'EventID':4688,'Channel':'Security','NewProcessName':'C:\\\\k\\\\signtool.exe',"
                      "'ParentProcessName':'C:\\\\Windows\\\\cmd.exe','SubjectUserName':'jwalsh','SubjectDomainName':'LAB'}"), 1);
    CHECK_INT(m(rule, "{'EventID':4689,'Channel':'Security','NewProcessName':'C:\\\\k\\\\signtool.exe',"
                      "'ParentProcessName':'C:\\\\Windows\\\\cmd.exe','SubjectUserName':'jwalsh','SubjectDomainName':'LAB'}"), 0);
    /* Elastic Endpoint */
    CHECK_INT(m(rule, "{'event':{'category':['process'],'type':['start']},'host':{'os':{'family':'windows'}},"
                      "'process':{'executable':'C:\\\\k\\\\signtool.exe','parent':{'executable':'C:\\\\cmd.exe'}},"
                      "'user':{'name':'jwalsh','domain':'LAB'}}"), 1);
    CHECK_INT(m(rule, "{'event':{'category':['process'],'type':['end']},'host':{'os':{'family':'windows'}},"
                      "'process':{'executable':'C:\\\\k\\\\signtool.exe','parent':{'executable':'C:\\\\cmd.exe'}},"
                      "'user':{'name':'jwalsh','domain':'LAB'}}"), 0);
    /* Winlogbeat with Sysmon */
    CHECK_INT(m(rule, "{'winlog':{'channel':'Microsoft-Windows-Sysmon/Operational','event_id':'1','event_data':{"
                      "'Image':'C:\\\\k\\\\signtool.exe','ParentImage':'C:\\\\cmd.exe','User':'LAB\\\\jwalsh'}}}"), 1);
    /* a service selects its channel */
    const char *sec = "title: t\nlogsource:\n    product: windows\n    service: security\ndetection:\n"
                      "    sel:\n        TargetUserName: 'bob'\n    condition: sel\n";
    run r;
    load(&r, sec);
    CHECK_INT(r.nmsg, 0);
    feed(&r, "{'EventID':4625,'Channel':'Security','TargetUserName':'bob'}");
    feed(&r, "{'EventID':4625,'Channel':'System','TargetUserName':'bob'}");
    feed(&r, "{'winlog':{'channel':'Security','event_id':4625,'event_data':{'TargetUserName':'bob'}}}");
    CHECK_INT(r.alerts, 2);
    done(&r);
    /* an unknown product: only events of no known product */
    load(&r, "title: t\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n"
             "    sel:\n        eventName: 'ConsoleLogin'\n    condition: sel\n");
    CHECK_INT(r.nwarn, 1);
    CHECK_STR(r.warn[0], "logsource aws/*/cloudtrail: shrike reads no events of product 'aws'; the rule is checked only "
                         "against events of no known product");
    feed(&r, "{'eventName':'ConsoleLogin'}");
    feed(&r, "{'EventID':1,'Channel':'Security','eventName':'ConsoleLogin'}");
    feed(&r, "{'host':{'os':{'type':'macos'}},'eventName':'ConsoleLogin'}");
    CHECK_INT(r.alerts, 1);
    done(&r);
    /* macOS process creation (Elastic Endpoint on macOS) */
    const char *mac = "title: t\nlogsource:\n    product: macos\n    category: process_creation\ndetection:\n"
                      "    sel:\n        Image|endswith: '/codesign'\n    condition: sel\n";
    load(&r, mac);
    feed(&r, "{'event':{'category':['process'],'type':['start']},'host':{'os':{'family':'macos'}},"
             "'process':{'executable':'/usr/bin/codesign'}}");
    feed(&r, "{'event':{'category':['process'],'type':['start']},'host':{'os':{'family':'windows'}},"
             "'process':{'executable':'/usr/bin/codesign'}}");
    CHECK_INT(r.alerts, 1);
    done(&r);
}

/* the index keys a rule gives the engine: event categories and (Channel, EventID) */
static void keys_of(const char *ls, char *out, size_t n) {
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "title: t\nlogsource:\n%sdetection:\n    s:\n        a: b\n    condition: s\n", ls);
    sh_rule r = {.path = "k.yml", .lang = SH_LANG_SIGMA, .query = yaml, .query_line = 1, .line = 1};
    void *ctx = sh_frontend_sigma.ctx_new();
    sh_diag d;
    sh_query *q = sh_frontend_sigma.compile(ctx, &r, &d);
    out[0] = 0;
    if (!q) {
        snprintf(out, n, "error: %s", d.msg);
        sh_frontend_sigma.ctx_free(ctx);
        return;
    }
    const char *cats[16];
    sh_win_event wins[64];
    size_t nc = q->ops->categories(q, cats, 16);
    size_t nw = nc == SIZE_MAX ? 0 : q->ops->win_events(q, wins, 64);
    if (nc == SIZE_MAX || nw == SIZE_MAX) snprintf(out, n, "any");
    for (size_t i = 0; nc != SIZE_MAX && nw != SIZE_MAX && i < nc; i++)
        snprintf(out + strlen(out), n - strlen(out), "%scat:%s", *out ? " " : "", cats[i]);
    for (size_t i = 0; nc != SIZE_MAX && nw != SIZE_MAX && i < nw; i++)
        snprintf(out + strlen(out), n - strlen(out), "%s%s/%lld", *out ? " " : "", wins[i].channel, (long long)wins[i].event_id);
    q->ops->free(q);
    sh_frontend_sigma.ctx_free(ctx);
}

TEST(index_keys) {
    char k[1024];
    keys_of("    product: windows\n    category: process_creation\n", k, sizeof k);
    CHECK_STR(k, "cat:process Microsoft-Windows-Sysmon/Operational/1 Security/4688");
    keys_of("    product: windows\n    service: security\n", k, sizeof k);
    CHECK_STR(k, "Security/-1");
    keys_of("    product: windows\n    category: ps_script\n", k, sizeof k);
    CHECK_STR(k, "Microsoft-Windows-PowerShell/Operational/4104 PowerShellCore/Operational/4104");
    keys_of("    product: windows\n    category: registry_set\n", k, sizeof k);
    CHECK_STR(k, "cat:registry Microsoft-Windows-Sysmon/Operational/13 Security/4657");
    keys_of("    product: windows\n    category: process_creation\n    service: sysmon\n", k, sizeof k);
    CHECK_STR(k, "cat:process Microsoft-Windows-Sysmon/Operational/1 Security/4688");
    keys_of("    product: windows\n", k, sizeof k);
    CHECK_STR(k, "any");
    keys_of("    product: linux\n    service: auditd\n", k, sizeof k);
    CHECK_STR(k, "any");
}

/* ------------------------------------------------------------ rejections */

TEST(rejections) {
    CHECK_STR(body_err("    sel:\n        Image|contains|foo: x\n    condition: sel\n"),
              "7:9: 'Image|contains|foo': unknown modifier 'foo'");
    CHECK_STR(body_err("    sel:\n        Image: x\n    condition: sel and other\n"),
              "8:24: condition: unknown search identifier 'other'");
    CHECK_STR(body_err("    sel:\n        Image: x\n    condition: 1 of filter*\n"),
              "8:21: condition: '1 of filter*': no search identifier matches");
    CHECK_STR(body_err("    sel:\n        Image: x\n    condition: sel | count() > 5\n"),
              "8:20: condition: aggregations ('| count() ...') are Sigma 1.0 syntax: write a correlation rule instead");
    CHECK_STR(body_err("    sel:\n        Image: x\n    condition: Sel\n"), "8:16: condition: unknown search identifier 'Sel'");
    CHECK_STR(body_err("    sel:\n        Image: x\n    condition: sel and (sel\n"),
              "8:28: condition: expected ')', found the end of the condition");
    CHECK_STR(body_err("    sel:\n        Image: x\n    condition: sel*\n"),
              "8:16: condition: 'sel*': a pattern needs '1 of' or 'all of' before it");
    CHECK_STR(body_err("    sel:\n        Image: x\n    condition: 2 of sel\n"),
              "8:16: condition: '2 of' is not Sigma: use '1 of' (any) or 'all of'");
    CHECK_STR(body_err("    sel:\n        Image: x\n"), "5:1: the detection section has no condition");
    CHECK_STR(body_err("    sel:\n        Image|re: 'a(b'\n    condition: sel\n"),
              "7:9: 'Image|re': regex: missing closing parenthesis at offset 3 in \"a(b\"");
    CHECK_STR(body_err("    sel:\n        Ip|cidr: '10.0.0/8'\n    condition: sel\n"),
              "7:9: 'Ip|cidr': cidr: invalid CIDR block \"10.0.0/8\"");
    CHECK_STR(body_err("    sel:\n        Image|exists: yes\n    condition: sel\n"),
              "7:9: 'Image|exists': exists takes true or false");
    CHECK_STR(body_err("    sel:\n        Image|i: x\n    condition: sel\n"),
              "7:9: 'Image|i': modifier 'i' is a flag of 're' and must follow it");
    CHECK_STR(body_err("    sel:\n        Image|contains|base64: x\n    condition: sel\n"),
              "7:9: 'Image|contains|base64': base64 cannot encode wildcards (* or ?): put contains/startswith/endswith "
              "after it, or escape them");
    CHECK_STR(body_err("    sel:\n        Pid|gt: abc\n    condition: sel\n"), "7:9: 'Pid|gt': \"abc\" is not a number");
    CHECK_STR(body_err("    sel:\n        Image: []\n    condition: sel\n"), "7:9: 'Image': empty list of values");
    CHECK_STR(body_err("    sel:\n    condition: sel\n"), "6:5: search identifier 'sel' has no value");
    CHECK_STR(body_err("    sel:\n        - a\n        - b: c\n    condition: sel\n"),
              "7:9: search identifier 'sel' mixes mappings and plain values in one list");
    CHECK_STR(err("title: t\ndetection:\n    sel:\n        a: b\n    condition: sel\n"),
              "1:1: no logsource: a Sigma rule names the events it applies to (product, category, service)");
    CHECK_STR(err("title: t\nlogsource:\n    product: windows\n"), "1:1: not a Sigma rule: no detection, correlation or filter section");
    CHECK_STR(err("title: t\naction: global\ndetection:\n  x: y\n"),
              "2:1: Sigma 1.0 rule collections (action: global/reset/repeat) are not supported: write each rule as a whole document");
    CHECK_STR(err("title: 't\nlogsource: x\n"), "3: YAML: found unexpected end of stream while scanning a quoted scalar (column 1)");
    CHECK_STR(err("- a\n- b\n"), "1: not a Sigma rule: the YAML document is a list, not a mapping");
    CHECK_STR(err(""), "no Sigma rule in the file (it holds no YAML document)");
    /* positions are lines of the file, also in a later document */
    CHECK_STR(err("title: a\nlogsource:\n    product: windows\ndetection:\n    s:\n        a: b\n    condition: s\n"
                  "---\ntitle: b\nlogsource:\n    product: windows\ndetection:\n    s:\n        a|nope: b\n    condition: s\n"),
              "14:9: 'a|nope': unknown modifier 'nope'");
}

TEST(warnings) {
    run r;
    load(&r, HDR "    sel:\n        Imagee: x\n        CommandLine: y\n        Provider_Name: z\n    condition: sel\n");
    CHECK_INT(r.nmsg, 0);
    CHECK_INT(r.nwarn, 1);
    CHECK_STR(r.warn[0], "field 'Imagee' (line 7) is not provided by any source of logsource windows/process_creation");
    done(&r);
    load(&r, "title: t\nlogsource:\n    product: windows\n    category: nosuch\ndetection:\n    s:\n        a: b\n    condition: s\n");
    CHECK_INT(r.nwarn, 1);
    CHECK_STR(r.warn[0], "logsource windows/nosuch: category 'nosuch' is not in shrike's logsource table");
    done(&r);
}

/* ------------------------------------------------------------ the loader */

TEST(loader_metadata) {
    char path[128];
    snprintf(path, sizeof path, "%s/meta.yml", g_dir);
    FILE *f = fopen(path, "w");
    fputs("# a comment\n"
          "title: First\n"
          "id: 6f3e2987-db24-4c78-a860-b4f4095a7095\n"
          "description: |\n    two\n    lines\n"
          "level: High\n"
          "tags:\n    - attack.defense-evasion\n    - attack.t1553.002\n    - attack.T1587\n    - attack.t12\n    - car.2016-04-005\n"
          "falsepositives:\n    - Developers\n    - PKI admins\n"
          "logsource:\n    product: windows\n    category: process_creation\n"
          "detection:\n    s:\n        a: b\n    condition: s\n"
          "---\n"
          "title: Second\n"
          "falsepositives: Unknown\n"
          "correlation:\n    type: event_count\n    rules: [First]\n    timespan: 1m\n    condition: {gte: 2}\n",
          f);
    fclose(f);
    sh_ruleset rs = {0};
    CHECK_INT(sh_rules_load(path, &rs, NULL, NULL), 2);
    if (rs.n == 2) {
        sh_rule *a = rs.rules[0], *b = rs.rules[1];
        CHECK_STR(a->id, "6f3e2987-db24-4c78-a860-b4f4095a7095");
        CHECK_STR(a->name, "First");
        CHECK_STR(a->description, "two\nlines\n");
        CHECK_STR(a->severity, "high");
        CHECK_INT(a->lang, SH_LANG_SIGMA);
        CHECK_INT(a->ntechniques, 2);
        if (a->ntechniques == 2) {
            CHECK_STR(a->techniques[0], "T1553.002");
            CHECK_STR(a->techniques[1], "T1587");
        }
        CHECK_INT(a->nfalse_positives, 2);
        if (a->nfalse_positives == 2) CHECK_STR(a->false_positives[1], "PKI admins");
        CHECK_INT(a->line, 2);
        CHECK_INT(a->query_line, 2);
        CHECK_INT(a->pass, 0);
        CHECK(!strncmp(a->query, "title: First\n", 13));
        CHECK(strstr(a->query, "---") == NULL);
        CHECK_INT(b->line, 24);
        CHECK_INT(b->pass, 1);
        CHECK_STR(b->name, "Second");
        CHECK_STR(b->id, "");
        CHECK_INT(b->nfalse_positives, 1);
        CHECK(!strncmp(b->query, "---\ntitle: Second\n", 18));
    }
    sh_ruleset_free(&rs);
    unlink(path);
}

/* --------------------------------------------------------------- filters */

#define BASE_RULES                                                                                 \
    "title: Certutil\nid: 11111111-0000-0000-0000-000000000001\nlogsource:\n    product: windows\n" \
    "    category: process_creation\ndetection:\n    s:\n        Image|endswith: '\\certutil.exe'\n" \
    "    condition: s\n---\n"                                                                        \
    "title: Signtool\nname: signtool_use\nlogsource:\n    product: windows\n"                       \
    "    category: process_creation\ndetection:\n    s:\n        Image|endswith: '\\signtool.exe'\n" \
    "    condition: s\n---\n"

static int filtered(const char *filter, int *nwarn, char *firstwarn) {
    char yaml[4096];
    snprintf(yaml, sizeof yaml, BASE_RULES "%s", filter);
    run r;
    load(&r, yaml);
    if (r.nmsg) {
        snprintf(g_err, sizeof g_err, "%s", r.msg[0]);
        done(&r);
        return -1;
    }
    *nwarn = r.nwarn;
    if (firstwarn) snprintf(firstwarn, 700, "%s", r.nwarn ? r.warn[0] : "");
    feed(&r, SYS1 "'Image':'C:\\\\certutil.exe','User':'adm_x'}");
    feed(&r, SYS1 "'Image':'C:\\\\certutil.exe','User':'bob'}");
    feed(&r, SYS1 "'Image':'C:\\\\signtool.exe','User':'adm_x'}");
    int n = r.alerts;
    done(&r);
    return n;
}

TEST(filters) {
    int nw;
    char w[700];
    const char *f1 = "title: Admins\nlogsource:\n    product: windows\n    category: process_creation\n"
                     "filter:\n    rules:\n        - 11111111-0000-0000-0000-000000000001\n"
                     "    selection:\n        User|startswith: 'adm_'\n    condition: not selection\n";
    CHECK_INT(filtered(f1, &nw, NULL), 2);   /* certutil by bob, signtool by adm_x */
    CHECK_INT(nw, 0);
    const char *f2 = "title: Admins\nlogsource:\n    product: windows\n"
                     "filter:\n    rules: any\n    selection:\n        User|startswith: 'adm_'\n    condition: not selection\n";
    CHECK_INT(filtered(f2, &nw, NULL), 1);   /* both rules filtered */
    const char *f3 = "title: Admins\nlogsource:\n    product: windows\n    category: file_event\n"
                     "filter:\n    rules:\n        - signtool_use\n    selection:\n        User|startswith: 'adm_'\n"
                     "    condition: not selection\n";
    CHECK_INT(filtered(f3, &nw, w), 3);      /* another logsource: not applied */
    CHECK_STR(w, "rule 'signtool_use' has another logsource (windows/process_creation/-): the filter does not apply to it");
    const char *f4 = "title: Admins\nlogsource:\n    product: windows\nfilter:\n    rules:\n        - nosuch\n"
                     "    selection:\n        User: x\n    condition: not selection\n";
    CHECK_INT(filtered(f4, &nw, NULL), -1);
    CHECK_STR(g_err, "26:11: the filter names rule 'nosuch', which is not loaded (load it together with the filter)");
    const char *f5 = "title: Admins\nlogsource:\n    product: windows\nfilter:\n    rules: any\n"
                     "    selection:\n        User|bad: x\n    condition: not selection\n";
    CHECK_INT(filtered(f5, &nw, NULL), -1);
    CHECK_STR(g_err, "27:9: 'User|bad': unknown modifier 'bad'");
}

/* ----------------------------------------------------------- correlations */

#define LOGONS                                                                                         \
    "title: Failed\nid: 00000000-0000-0000-0000-00000000000f\nname: failed\nlogsource:\n"             \
    "    product: windows\n    service: security\ndetection:\n    s:\n        EventID: 4625\n"          \
    "    condition: s\n---\n"                                                                          \
    "title: Success\nname: success\nlogsource:\n    product: windows\n    service: security\n"          \
    "detection:\n    s:\n        EventID: 4624\n    condition: s\n---\n"

static void logon(run *r, int id, const char *user, const char *ip, int second) {
    char ev[512];
    snprintf(ev, sizeof ev,
             "{'EventID':%d,'Channel':'Security','TargetUserName':'%s','IpAddress':'%s','SrcIp':'%s',"
             "'TimeCreated':'2024-01-01T10:%02d:%02dZ'}",
             id, user, ip, ip, second / 60, second % 60);
    feed(r, ev);
}

TEST(correlation_event_count) {
    run r;
    load(&r, LOGONS "title: Brute\ncorrelation:\n    type: event_count\n    rules:\n        - failed\n"
                    "    group-by:\n        - TargetUserName\n    timespan: 1m\n    condition:\n        gte: 3\n");
    CHECK_INT(r.nmsg, 0);
    logon(&r, 4625, "bob", "1.1.1.1", 0);
    logon(&r, 4625, "ann", "1.1.1.1", 5);
    logon(&r, 4625, "bob", "1.1.1.1", 30);
    logon(&r, 4625, "bob", "1.1.1.1", 70);  /* the first is out of the window: 2 in it */
    logon(&r, 4625, "bob", "1.1.1.1", 80);  /* 3 within a minute: fires */
    logon(&r, 4625, "bob", "1.1.1.1", 81);  /* starts afresh */
    finish(&r);
    CHECK_INT(r.alerts, 1);
    CHECK_STR(r.rule[0], "Brute");
    CHECK_INT(r.nev[0], 3);
    CHECK_STR(r.keys[0], "bob");
    done(&r);
    /* an upper bound: decided when the window is over */
    load(&r, LOGONS "title: Few\ncorrelation:\n    type: event_count\n    rules: [failed]\n"
                    "    group-by: [TargetUserName]\n    timespan: 1m\n    condition: {lt: 3}\n");
    logon(&r, 4625, "bob", "1.1.1.1", 0);
    logon(&r, 4625, "bob", "1.1.1.1", 10);
    logon(&r, 4625, "ann", "1.1.1.1", 10);
    logon(&r, 4625, "ann", "1.1.1.1", 11);
    logon(&r, 4625, "ann", "1.1.1.1", 12);
    logon(&r, 4625, "bob", "1.1.1.1", 120);  /* closes bob's first window (2 events: fires) */
    CHECK_INT(r.alerts, 1);
    finish(&r);                                /* ann: 3, no; bob's second window: 1, fires */
    CHECK_INT(r.alerts, 2);
    CHECK_STR(r.keys[0], "bob");
    CHECK_INT(r.nev[0], 2);
    CHECK_INT(r.nev[1], 1);
    done(&r);
}

TEST(correlation_value_count_temporal) {
    run r;
    load(&r, LOGONS "title: Spray\ncorrelation:\n    type: value_count\n    rules: [failed]\n"
                    "    group-by: [IpAddress]\n    timespan: 5m\n    condition:\n        field: TargetUserName\n        gte: 3\n");
    CHECK_INT(r.nmsg, 0);
    logon(&r, 4625, "a", "9.9.9.9", 0);
    logon(&r, 4625, "a", "9.9.9.9", 1);
    logon(&r, 4625, "b", "9.9.9.9", 2);
    logon(&r, 4625, "c", "8.8.8.8", 3);
    logon(&r, 4625, "c", "9.9.9.9", 4);
    finish(&r);
    CHECK_INT(r.alerts, 1);
    CHECK_STR(r.keys[0], "9.9.9.9");
    CHECK_INT(r.nev[0], 4);
    done(&r);
    /* temporal with aliases: a failure from an address, a success with that address in another field */
    load(&r, LOGONS "title: Both\ncorrelation:\n    type: temporal\n    rules: [failed, success]\n"
                    "    group-by: [ip]\n    timespan: 1m\n    aliases:\n        ip:\n            failed: IpAddress\n"
                    "            success: SrcIp\n");
    CHECK_INT(r.nmsg, 0);
    logon(&r, 4624, "x", "7.7.7.7", 0);
    logon(&r, 4625, "y", "6.6.6.6", 10);
    logon(&r, 4625, "z", "7.7.7.7", 20);   /* fires: success (earlier) and failure within a minute */
    logon(&r, 4624, "z", "6.6.6.6", 100);  /* the failure from 6.6.6.6 is 90 s old */
    finish(&r);
    CHECK_INT(r.alerts, 1);
    CHECK_STR(r.keys[0], "7.7.7.7");
    CHECK_INT(r.nev[0], 2);
    done(&r);
}

TEST(correlation_ordered_chain_generate) {
    run r;
    /* a chain: 2 failures (event_count), then a success; generate keeps the base alerts */
    load(&r, LOGONS "title: Brute\nname: brute\ncorrelation:\n    type: event_count\n    rules: [failed]\n"
                    "    group-by: [TargetUserName]\n    timespan: 5m\n    condition: {gte: 2}\n---\n"
                    "title: Then success\ncorrelation:\n    type: temporal_ordered\n    rules: [brute, success]\n"
                    "    group-by: [TargetUserName]\n    timespan: 10m\n");
    CHECK_INT(r.nmsg, 0);
    logon(&r, 4624, "bob", "1.1.1.1", 0);     /* success first: out of order */
    logon(&r, 4625, "bob", "1.1.1.1", 10);
    logon(&r, 4625, "bob", "1.1.1.1", 20);    /* brute fires (silent: it is named) */
    logon(&r, 4624, "ann", "1.1.1.1", 30);    /* another user */
    logon(&r, 4624, "bob", "1.1.1.1", 40);    /* completes the sequence */
    finish(&r);
    CHECK_INT(r.alerts, 1);
    CHECK_STR(r.rule[0], "Then success");
    CHECK_INT(r.nev[0], 3);
    done(&r);
    /* the same chain written outer first: the loader orders it */
    load(&r, LOGONS "title: Then success\ncorrelation:\n    type: temporal_ordered\n    rules: [brute, success]\n"
                    "    group-by: [TargetUserName]\n    timespan: 10m\n---\n"
                    "title: Brute\nname: brute\ncorrelation:\n    type: event_count\n    rules: [failed]\n"
                    "    group-by: [TargetUserName]\n    timespan: 5m\n    condition: {gte: 2}\n");
    CHECK_INT(r.nmsg, 0);
    logon(&r, 4625, "bob", "1.1.1.1", 10);
    logon(&r, 4625, "bob", "1.1.1.1", 20);
    logon(&r, 4624, "bob", "1.1.1.1", 40);
    finish(&r);
    CHECK_INT(r.alerts, 1);
    done(&r);
    /* a cycle: both rejected, nothing hangs */
    load(&r, LOGONS "title: A\nname: a\ncorrelation:\n    type: temporal\n    rules: [b, failed]\n    timespan: 1m\n---\n"
                    "title: B\nname: b\ncorrelation:\n    type: temporal\n    rules: [a, failed]\n    timespan: 1m\n");
    CHECK_INT(r.nmsg, 2);
    done(&r);
    load(&r, LOGONS "title: Brute\ngenerate: true\ncorrelation:\n    type: event_count\n    rules: [failed]\n"
                    "    group-by: [TargetUserName]\n    timespan: 5m\n    condition: {gte: 2}\n");
    logon(&r, 4625, "bob", "1.1.1.1", 10);
    logon(&r, 4625, "bob", "1.1.1.1", 20);
    finish(&r);
    CHECK_INT(r.alerts, 3);                    /* two failures and the correlation */
    if (r.alerts == 3) CHECK_STR(r.rule[2], "Brute");
    done(&r);
    /* temporal with a condition expression */
    load(&r, LOGONS "title: Either\ncorrelation:\n    type: temporal\n    rules: [failed, success]\n"
                    "    group-by: [TargetUserName]\n    timespan: 1m\n    condition: failed and not success\n");
    CHECK_INT(r.nmsg, 0);
    logon(&r, 4625, "bob", "1.1.1.1", 10);
    finish(&r);
    CHECK_INT(r.alerts, 1);
    done(&r);
}

TEST(correlation_rejections) {
    CHECK_STR(err(LOGONS "title: C\ncorrelation:\n    type: event_count\n    rules: [nosuch]\n    timespan: 5m\n"
                         "    condition: {gte: 2}\n"),
              "25:13: the correlation names rule 'nosuch', which is not loaded (load the rules a correlation names "
              "with it, before it)");
    CHECK_STR(err(LOGONS "title: C\ncorrelation:\n    type: event_count\n    rules: [failed]\n    timespan: 5x\n"
                         "    condition: {gte: 2}\n"),
              "26:15: the correlation needs a timespan such as 5m (a number and s, m, h, d or w)");
    CHECK_STR(err(LOGONS "title: C\ncorrelation:\n    type: event_count\n    rules: [failed]\n    timespan: 5m\n"),
              "23:1: event_count needs a condition such as gte: 10");
    CHECK_STR(err(LOGONS "title: C\ncorrelation:\n    type: value_sum\n    rules: [failed]\n    timespan: 5m\n"),
              "24:11: correlation type 'value_sum' is not supported (shrike runs event_count, value_count, temporal, "
              "temporal_ordered)");
    CHECK_STR(err(LOGONS "title: C\ncorrelation:\n    type: value_count\n    rules: [failed]\n    timespan: 5m\n"
                         "    condition: {gte: 2}\n"),
              "27:16: value_count needs the field whose distinct values it counts (condition: field: NAME)");
    CHECK_STR(err(LOGONS "title: C\ncorrelation:\n    type: temporal\n    rules: [failed, success]\n    timespan: 5m\n"
                         "    condition: failed and nope\n"),
              "27:16: correlation condition: 'nope' is not one of the rules the correlation names");
    CHECK_STR(err(LOGONS "title: C\ncorrelation:\n    type: event_count\n    rules: [failed]\n    timespan: 5m\n"
                         "    condition: {gt: 5, lt: 3}\n"),
              "27:16: the correlation condition can never hold (its range is empty)");
    /* a rejected rule named by a correlation */
    CHECK_STR(err("title: Bad\nname: bad\nlogsource:\n    product: windows\ndetection:\n    s:\n        a|x: b\n"
                  "    condition: s\n---\ntitle: C\ncorrelation:\n    type: event_count\n    rules: [bad]\n"
                  "    timespan: 5m\n    condition: {gte: 2}\n"),
              "7:9: 'a|x': unknown modifier 'x'");
}

int main(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/shrike-sigma-XXXXXX");
    if (!mkdtemp(g_dir)) return 1;
    RUN(strings_case_and_wildcards);
    RUN(many_contains_values);
    RUN(shared_tests_across_rules);
    RUN(strings_escapes);
    RUN(strings_unicode_case);
    RUN(null_empty_and_two_valued_not);
    RUN(numbers_bools_and_compare);
    RUN(all_and_keywords);
    RUN(encodings);
    RUN(windash);
    RUN(regex);
    RUN(regex_cannot_hang);
    RUN(cidr_exists_fieldref_time);
    RUN(expand_placeholders);
    RUN(conditions);
    RUN(logsource_and_mapping);
    RUN(index_keys);
    RUN(rejections);
    RUN(warnings);
    RUN(loader_metadata);
    RUN(filters);
    RUN(correlation_event_count);
    RUN(correlation_value_count_temporal);
    RUN(correlation_ordered_chain_generate);
    RUN(correlation_rejections);
    rmdir(g_dir);
    TEST_MAIN_END();
}
