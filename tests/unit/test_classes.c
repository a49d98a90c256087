/* test_classes.c: event classes (api/evclass.h) and the engine's rule
 * selection by class (api/shrike.c): which fields a class decides, that
 * class keys tell apart exactly what the field model reads, the class view
 * of filters, and that selecting rules by class never loses an alert: a
 * class's first event not matching, events carrying class fields of their
 * own, and names the engine keeps its own caches under. */
#include <stdlib.h>
#include <string.h>

#include "api/evclass.h"
#include "engine/query.h"
#include "input/json.h"
#include "shrike/shrike.h"
#include "test.h"
#include "test_events.h"

static const sh_fieldref *R(const char *name) { return sh_fieldref_get(name, strlen(name)); }
static const sh_fieldref *RS(const char *name) { return sh_fieldref_get_view(name, strlen(name), SH_VIEW_SPLUNK); }

/* an event from JSON written with ' for " */
static sh_event *J(const char *json) {
    sh_event *e = test_event(json);
    if (!e) abort();
    return e;
}

#define SYS(id) "{'Channel':'Microsoft-Windows-Sysmon/Operational','EventID':" #id ","

TEST(class_refs) {
    CHECK(sh_class_ref(R("Channel")));
    CHECK(sh_class_ref(R("EventID")));
    CHECK(sh_class_ref(R("event.category")));
    CHECK(sh_class_ref(R("event.type")));
    CHECK(sh_class_ref(R("event.code")));
    CHECK(sh_class_ref(RS("sourcetype")));
    CHECK(sh_class_ref(RS("EventCode")));
    CHECK(sh_class_ref(RS("index")));
    /* many values, or not fields at all */
    CHECK(!sh_class_ref(R("Image")));
    CHECK(!sh_class_ref(R("process.name")));
    CHECK(!sh_class_ref(R("CommandLine")));
    CHECK(!sh_class_ref(R("host.name")));
    CHECK(!sh_class_ref(RS("_time")));       /* the event's time */
    CHECK(!sh_class_ref(RS("_raw")));        /* its text */
}

static size_t key(const sh_classkey *k, sh_event *e, uint8_t *buf) { return sh_classkey_of(k, e, buf, 1024); }

TEST(class_keys) {
    sh_classkey k = {0};
    CHECK(sh_classkey_add(&k, R("event.category")));
    CHECK(!sh_classkey_add(&k, R("Image")));
    uint8_t a[1024], b[1024];
    sh_event *e1 = J(SYS(1) "'Image':'C:\\\\a.exe'}");
    sh_event *e2 = J(SYS(1) "'Image':'C:\\\\b.exe'}");
    sh_event *e3 = J(SYS(3) "'Image':'C:\\\\a.exe'}");
    sh_event *e4 = J(SYS(1) "'Image':'C:\\\\a.exe','event.category':'network'}");
    sh_event *e5 = J(SYS("1") "'Image':'C:\\\\a.exe'}");
    size_t n1 = key(&k, e1, a);
    CHECK(n1 > 0);
    CHECK(key(&k, e2, b) == n1 && !memcmp(a, b, n1));                 /* Image is not in the key */
    size_t n3 = key(&k, e3, b);
    CHECK(n3 != n1 || memcmp(a, b, n1));                               /* another EventID */
    size_t n4 = key(&k, e4, b);
    CHECK(n4 != n1 || memcmp(a, b, n1));                               /* its own event.category */
    size_t n5 = key(&k, e5, b);
    CHECK(n5 != n1 || memcmp(a, b, n1));                               /* "1" is not 1 */
    /* what the field model derives is left out: the key stays */
    sh_field *cat = sh_event_get(e2, R("event.category"));
    CHECK(cat && cat->nvals == 1 && !strcmp(cat->vals[0].s, "process"));
    CHECK(key(&k, e2, b) == n1 && !memcmp(a, b, n1));
    /* a key that does not fit: not classified */
    CHECK_INT(sh_classkey_of(&k, e1, a, 8), 0);
    sh_event_unref(e1), sh_event_unref(e2), sh_event_unref(e3), sh_event_unref(e4), sh_event_unref(e5);
}

/* the class view of an EQL query's filter */
static int possible(const char *eql, const char *json) {
    sh_rule r = {.path = "t.eql", .lang = SH_LANG_EQL, .query = (char *)eql, .query_line = 1, .line = 1};
    sh_diag d;
    sh_query *q = sh_frontend_eql.compile(NULL, &r, &d);
    if (!q) {
        fprintf(stderr, "bad test query %s: %s\n", eql, d.msg);
        return -9;
    }
    const sh_ir *f[4];
    CHECK_INT(q->ops->filters(q, f, 4), 1);
    sh_arena a;
    sh_arena_init(&a);
    sh_classkey k = {0};
    sh_cfilter *c = sh_cfilter_new(&a, &k, f[0]);
    int res = -1;   /* the class decides nothing */
    if (c) {
        sh_eval ev;
        sh_eval_init(&ev);
        sh_event *e = J(json);
        res = sh_cfilter_possible(c, &ev, e);
        sh_event_unref(e);
        sh_eval_free(&ev);
    }
    sh_arena_free(&a);
    q->ops->free(q);
    return res;
}

TEST(class_filters) {
    const char *q = "process where event.type == \"start\" and process.name == \"x.exe\"";
    CHECK_INT(possible(q, SYS(1) "'Image':'C:\\\\y.exe'}"), 1);   /* the name is left to the event */
    CHECK_INT(possible(q, SYS(5) "'Image':'C:\\\\x.exe'}"), 0);   /* an end, never a start */
    CHECK_INT(possible(q, SYS(3) "'Image':'C:\\\\x.exe'}"), 0);
    /* an OR with a part the class cannot decide decides nothing */
    CHECK_INT(possible("any where process.name == \"x.exe\" or event.code == \"1\"", SYS(3) "'Image':'x'}"), -1);
    CHECK_INT(possible("any where event.code == \"1\" or event.code == \"5\"", SYS(3) "'Image':'x'}"), 0);
    CHECK_INT(possible("any where event.code == \"1\" or event.code == \"5\"", SYS(5) "'Image':'x'}"), 1);
    /* not of a decided part is decided; null is not true */
    CHECK_INT(possible("any where not (event.code == \"3\") and process.name == \"a\"", SYS(3) "'Image':'x'}"), 0);
    CHECK_INT(possible("any where not (event.code == \"3\") and process.name == \"a\"", SYS(1) "'Image':'x'}"), 1);
    CHECK_INT(possible("any where event.type == \"start\"", "{'Image':'x'}"), 0);
}

/* ------------------------------------------------------------ the engine */

typedef struct run {
    shrike *s;
    char got[512];            /* "rule@ordinal " per alert */
} run;

static void add(run *r, sh_lang lang, const char *name, const char *query) {
    sh_rule *x = calloc(1, sizeof *x);
    x->path = strdup("t");
    x->id = strdup(name);
    x->name = strdup(name);
    x->description = strdup("");
    x->severity = strdup("low");
    x->confidence = strdup("");
    x->risk_score = -1;
    x->lang = lang;
    x->query = strdup(query);
    x->line = x->query_line = 1;
    sh_diag d;
    if (!shrike_add_rule(r->s, x, &d)) {
        fprintf(stderr, "bad test rule %s: %s\n", name, d.msg);
        abort();
    }
}

static void on_alert(void *ctx, const shrike_alert *a) {
    run *r = ctx;
    const sh_event *e = a->match->nevents ? a->match->events[0] : a->match->row;
    size_t l = strlen(r->got);
    snprintf(r->got + l, sizeof r->got - l, "%s@%llu ", a->rule->name, e ? (unsigned long long)e->ordinal : 0ull);
}

static uint64_t g_ord;
static void feed(run *r, const char *json) {
    sh_event *e = J(json);
    e->ordinal = ++g_ord;
    shrike_feed(r->s, e, on_alert, r);
    sh_event_unref(e);
}

static const char *const g_events[] = {
    SYS(1) "'Image':'C:\\\\w\\\\cmd.exe','CommandLine':'cmd /c dir'}",                       /* 1 */
    SYS(1) "'Image':'C:\\\\w\\\\SignTool.exe','CommandLine':'signtool sign /f a.pfx x.exe'}", /* 2 */
    SYS(3) "'Image':'C:\\\\w\\\\signtool.exe','CommandLine':'signtool sign'}",               /* 3 */
    SYS(11) "'Image':'C:\\\\w\\\\x.exe','TargetFilename':'C:\\\\Users\\\\a\\\\Temp\\\\k.pfx'}", /* 4 */
    "{'Channel':'Security','EventID':4688,'NewProcessName':'C:\\\\w\\\\certutil.exe',"
    "'CommandLine':'certutil -addstore root c.cer'}",                                          /* 5 */
    SYS(1) "'Image':'C:\\\\w\\\\signtool.exe','CommandLine':'signtool sign b.exe'}",          /* 6 */
    /* a document that says what it is itself (an Elastic one) */
    "{'event':{'category':'process','type':'start','code':'1'},'process':{'name':'signtool.exe',"
    "'command_line':'signtool sign c.exe'},'host':{'os':{'family':'windows'}}}",             /* 7 */
};

static const char g_sigma_signtool[] =
    "title: sigma\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n"
    "    sel:\n        Image|endswith: '\\signtool.exe'\n    condition: sel\n";

static const char *scan(bool with_classes) {
    static char out[512];
    if (with_classes) unsetenv("SHRIKE_NO_PREFILTER");
    else setenv("SHRIKE_NO_PREFILTER", "1", 1);
    run r = {.s = shrike_new()};
    g_ord = 0;
    add(&r, SH_LANG_EQL, "eql", "process where event.type == \"start\" and process.name : \"signtool.exe\"");
    add(&r, SH_LANG_SIGMA, "sigma", g_sigma_signtool);
    add(&r, SH_LANG_SPL, "spl", "EventCode=4688 OR (EventCode=11 TargetFilename=\"*.pfx\")");
    add(&r, SH_LANG_EQL, "any", "any where event.code == \"3\" or process.name == \"x.exe\"");
    for (size_t i = 0; i < sizeof g_events / sizeof *g_events; i++) feed(&r, g_events[i]);
    shrike_finish(r.s, on_alert, &r);
    shrike_free(r.s);
    unsetenv("SHRIKE_NO_PREFILTER");
    snprintf(out, sizeof out, "%s", r.got);
    return out;
}

TEST(engine_by_class) {
    const char *want = "eql@2 sigma@2 any@3 spl@4 any@4 spl@5 eql@6 sigma@6 eql@7 ";
    /* the class of events 1, 2 and 6 meets cmd.exe first: the rules stay
     * for the next events of the class */
    CHECK_STR(scan(true), want);
    CHECK_STR(scan(false), want);
}

/* names the engine keeps its caches under are none an event can have */
TEST(engine_cache_names) {
    run r = {.s = shrike_new()};
    g_ord = 0;
    add(&r, SH_LANG_SPL, "spl", "EventCode=1");
    add(&r, SH_LANG_SIGMA, "sigma", g_sigma_signtool);
    /* a Splunk-looking key, and one with the separator of the lower-cased copies */
    feed(&r, SYS(1) "'Image':'C:\\\\w\\\\SignTool.exe','splunk:EventCode':'5','Image\\u001flower':'x'}");
    feed(&r, SYS(1) "'Image':'C:\\\\w\\\\SignTool.exe','Image\\u001flower':'c:\\\\signtool.exe'}");
    feed(&r, SYS(1) "'Image':'C:\\\\w\\\\cmd.exe','Image\\u001flower':'c:\\\\signtool.exe'}");
    shrike_finish(r.s, on_alert, &r);
    shrike_free(r.s);
    CHECK_STR(r.got, "spl@1 sigma@1 spl@2 sigma@2 spl@3 ");
}

/* rules with no literal the prefilter can index: classes decide alone */
TEST(engine_no_literals) {
    run r = {.s = shrike_new()};
    g_ord = 0;
    add(&r, SH_LANG_EQL, "any", "any where true");
    for (size_t i = 0; i < sizeof g_events / sizeof *g_events; i++) feed(&r, g_events[i]);
    shrike_finish(r.s, on_alert, &r);
    shrike_free(r.s);
    CHECK_STR(r.got, "any@1 any@2 any@3 any@4 any@5 any@6 any@7 ");
}

int main(void) {
    RUN(class_refs);
    RUN(class_keys);
    RUN(class_filters);
    RUN(engine_by_class);
    RUN(engine_cache_names);
    RUN(engine_no_literals);
    TEST_MAIN_END();
}
