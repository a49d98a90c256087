/* test_eql_seq.c: the stateful side of EQL: the sequence state machine
 * (overwriting partials, join keys with multi-values and nulls, maxspan,
 * until, runs, missing events before, between and after), samples, and the
 * head/tail pipes for event queries, sequences and samples. Results are
 * rendered as "[id,id,...|key,key]" strings; "-" is a missing-event
 * placeholder. */
#include "lang/eql/eql.h"
#include "test.h"

/* ------------------------------------------------------------- helpers */

/* mk("process", 1, 1000, "pid=4;user=a|b"): category, id, timestamp in ms
 * (-1: none), then fields; integers become numbers, a|b multiple values */
static sh_event *mk(const char *cat, int id, int64_t ts_ms, const char *fields) {
    sh_event *e = sh_event_new();
    if (cat) sh_event_add_str(e, "event.category", cat, strlen(cat));
    sh_event_add_int(e, "id", id);
    e->ts = ts_ms < 0 ? SH_TS_NONE : ts_ms * 1000000;
    e->ordinal = (uint64_t)id;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", fields ? fields : "");
    for (char *save = NULL, *kv = strtok_r(buf, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) continue;
        *eq = 0;
        for (char *s2 = NULL, *v = strtok_r(eq + 1, "|", &s2); v; v = strtok_r(NULL, "|", &s2)) {
            char *end;
            long long n = strtoll(v, &end, 10);
            if (*v && !*end) sh_event_add_int(e, kv, n);
            else sh_event_add_str(e, kv, v, strlen(v));
        }
    }
    return e;
}

typedef struct out {
    char s[4096];
    int count;
} out;

static void collect(void *ctx, const sh_match *m) {
    out *o = ctx;
    size_t n = strlen(o->s);
    n += (size_t)snprintf(o->s + n, sizeof o->s - n, "[");
    for (uint32_t i = 0; i < m->nevents; i++) {
        sh_field *f = m->events[i] ? sh_event_find_cstr(m->events[i], "id") : NULL;
        n += (size_t)snprintf(o->s + n, sizeof o->s - n, "%s%s", i ? "," : "", f ? f->vals[0].s : "-");
    }
    for (uint32_t i = 0; i < m->nkeys; i++)
        n += (size_t)snprintf(o->s + n, sizeof o->s - n, "%s%s", i ? "," : "|", m->keys[i]);
    snprintf(o->s + n, sizeof o->s - n, "]");
    o->count++;
}

static char g_out[4096];

/* run q over the events (consumed) and render the results */
static const char *run(const char *q, sh_event **evs, int n) {
    sh_diag d = {0};
    sh_eql *c = sh_eql_compile(q, strlen(q), &d);
    out o = {.s = ""};
    if (!c) {
        sh_diag_format(&d, g_out, sizeof g_out);
        for (int i = 0; i < n; i++) sh_event_unref(evs[i]);
        return g_out;
    }
    for (int i = 0; i < n; i++) {
        sh_eql_feed(c, evs[i], collect, &o);
        sh_event_unref(evs[i]);
    }
    sh_eql_finish(c, collect, &o);
    sh_eql_free(c);
    snprintf(g_out, sizeof g_out, "%s", o.s);
    return g_out;
}

#define RUN_Q(q, ...) run(q, (sh_event *[]){__VA_ARGS__}, (int)(sizeof((sh_event *[]){__VA_ARGS__}) / sizeof(sh_event *)))

static sh_event *P(int id) { return mk("process", id, id, NULL); }

/* ----------------------------------------------------------- sequences */

TEST(state_machine_one_pending_per_stage) {
    /* every event can start a sequence, but each stage holds one partial */
    CHECK_STR(RUN_Q("sequence [process where id <= 3] [process where true] [process where true]",
                    P(1), P(2), P(3), P(4), P(5)),
              "[1,2,3][2,3,4][3,4,5]");
    CHECK_STR(RUN_Q("sequence [process where true] [process where id <= 3] [process where true]",
                    P(1), P(2), P(3), P(4), P(5)),
              "[1,2,3][2,3,4]");
    /* a newer partial overwrites the older one */
    CHECK_STR(RUN_Q("sequence [process where id < 5] [process where id == 5]", P(1), P(2), P(3), P(4), P(5)),
              "[4,5]");
    CHECK_STR(RUN_Q("sequence [process where id < 5] [process where id < 5]", P(1), P(2), P(3), P(4), P(5)),
              "[1,2][2,3][3,4]");
    /* one event does not advance a sequence it has just started */
    CHECK_STR(RUN_Q("sequence [process where true] [process where true]", P(1)), "");
}

TEST(join_keys) {
    CHECK_STR(RUN_Q("sequence by user [process where true] [file where true]",
                    mk("process", 1, 1, "user=a"), mk("process", 2, 2, "user=b"), mk("file", 3, 3, "user=a"),
                    mk("file", 4, 4, "user=b")),
              "[1,3|a][2,4|b]");
    /* per-stage keys in different fields; numbers join with their text */
    CHECK_STR(RUN_Q("sequence [process where true] by pid [network where true] by process.pid",
                    mk("process", 1, 1, "pid=10"), mk("network", 2, 2, "process.pid=11"),
                    mk("network", 3, 3, "process.pid=10")),
              "[1,3|10]");
    CHECK_STR(RUN_Q("sequence [process where true] by pid [network where true] by spid",
                    mk("process", 1, 1, "pid=10"), mk("network", 2, 2, "spid=10")),
              "[1,2|10]");
    /* multi-valued keys join on each value, in sorted order */
    CHECK_STR(RUN_Q("sequence by tags [process where true] [file where true]",
                    mk("process", 1, 1, "tags=t3|t1|t1"), mk("file", 2, 2, "tags=t1|t2|t3")),
              "[1,2|t1][1,2|t3]");
    CHECK_STR(RUN_Q("sequence by a, b [process where true] [file where true]",
                    mk("process", 1, 1, "a=x|y;b=1|2"), mk("file", 2, 2, "a=x|y;b=2")),
              "[1,2|x,2][1,2|y,2]");
    /* a missing key excludes the event, unless the key is optional */
    CHECK_STR(RUN_Q("sequence by k [process where true] [process where true]",
                    mk("process", 1, 1, NULL), mk("process", 2, 2, NULL)),
              "");
    CHECK_STR(RUN_Q("sequence by ?k [process where true] [process where true]",
                    mk("process", 1, 1, NULL), mk("process", 2, 2, NULL)),
              "[1,2|null]");
    CHECK_STR(RUN_Q("sequence by ?k [process where true] [process where true]",
                    mk("process", 1, 1, "k=a"), mk("process", 2, 2, NULL)),
              "");
}

TEST(maxspan) {
    CHECK_STR(RUN_Q("sequence with maxspan=5s [process where true] [file where true]",
                    mk("process", 1, 0, NULL), mk("file", 2, 5000, NULL), mk("process", 3, 6000, NULL),
                    mk("file", 4, 11001, NULL)),
              "[1,2]");
    CHECK_STR(RUN_Q("sequence with maxspan=500ms [process where true] [file where true]",
                    mk("process", 1, 0, NULL), mk("file", 2, 499, NULL)),
              "[1,2]");
    /* measured from the first event, not the previous one */
    CHECK_STR(RUN_Q("sequence with maxspan=1m [a where true] [b where true] [c where true]",
                    mk("a", 1, 0, NULL), mk("b", 2, 50000, NULL), mk("c", 3, 70000, NULL)),
              "");
    /* events without a timestamp never satisfy a maxspan */
    CHECK_STR(RUN_Q("sequence with maxspan=1h [a where true] [b where true]", mk("a", 1, -1, NULL),
                    mk("b", 2, -1, NULL)),
              "");
    CHECK_STR(RUN_Q("sequence [a where true] [b where true]", mk("a", 1, -1, NULL), mk("b", 2, -1, NULL)), "[1,2]");
    CHECK_STR(RUN_Q("sequence with maxspan=2d [a where true] [b where true]", mk("a", 1, 0, NULL),
                    mk("b", 2, 2 * 86400000LL, NULL)),
              "[1,2]");
}

TEST(until) {
    const char *q = "sequence by k [a where true] [b where true] until [c where true]";
    CHECK_STR(RUN_Q(q, mk("a", 1, 1, "k=1"), mk("c", 2, 2, "k=1"), mk("b", 3, 3, "k=1")), "");
    CHECK_STR(RUN_Q(q, mk("a", 1, 1, "k=1"), mk("b", 2, 2, "k=1"), mk("c", 3, 3, "k=1")), "[1,2|1]");
    /* until only expires its own key */
    CHECK_STR(RUN_Q(q, mk("a", 1, 1, "k=1"), mk("c", 2, 2, "k=2"), mk("b", 3, 3, "k=1")), "[1,3|1]");
    /* an until event that completes a sequence lets it stand; one it advances does not */
    const char *q2 = "sequence [x where true] [x where true] [x where true] until [x where id == 3]";
    CHECK_STR(RUN_Q(q2, mk("x", 1, 1, NULL), mk("x", 2, 2, NULL), mk("x", 3, 3, NULL), mk("x", 4, 4, NULL)), "[1,2,3]");
    const char *q3 = "sequence [x where true] [x where true] [x where true] until [x where id == 2]";
    CHECK_STR(RUN_Q(q3, mk("x", 1, 1, NULL), mk("x", 2, 2, NULL), mk("x", 3, 3, NULL), mk("x", 4, 4, NULL),
                    mk("x", 5, 5, NULL)),
              "[3,4,5]");
}

TEST(runs) {
    CHECK_STR(RUN_Q("sequence [a where true] [b where true] with runs=2 [c where true]", mk("a", 1, 1, NULL),
                    mk("b", 2, 2, NULL), mk("c", 3, 3, NULL), mk("b", 4, 4, NULL), mk("c", 5, 5, NULL)),
              "[1,2,4,5]");
    CHECK_STR(RUN_Q("sequence [a where true] with runs=3", mk("a", 1, 1, NULL), mk("a", 2, 2, NULL),
                    mk("a", 3, 3, NULL)),
              "[1,2,3]");
}

TEST(missing_events_between) {
    const char *q = "sequence with maxspan=1s [a where true] ![m where true] [b where true]";
    CHECK_STR(RUN_Q(q, mk("a", 1, 1, NULL), mk("m", 2, 2, NULL), mk("b", 3, 3, NULL)), "");
    CHECK_STR(RUN_Q(q, mk("a", 1, 1, NULL), mk("b", 2, 2, NULL), mk("m", 3, 3, NULL)), "[1,-,2]");
    CHECK_STR(RUN_Q(q, mk("m", 1, 1, NULL), mk("a", 2, 2, NULL), mk("b", 3, 3, NULL)), "[2,-,3]");
    /* keyed: only a missing event with the same key counts */
    const char *qk = "sequence by k with maxspan=1s [a where true] ![m where true] [b where true]";
    CHECK_STR(RUN_Q(qk, mk("a", 1, 1, "k=x"), mk("m", 2, 2, "k=y"), mk("b", 3, 3, "k=x")), "[1,-,3|x]");
    CHECK_STR(RUN_Q(qk, mk("a", 1, 1, "k=x"), mk("m", 2, 2, "k=x"), mk("b", 3, 3, "k=x")), "");
    /* a rejected partial still overwrote the stage it reached */
    const char *q3 = "sequence with maxspan=1s [n where true] [n where true] ![m where true] [n where true]";
    CHECK_STR(RUN_Q(q3, mk("n", 1, 1, NULL), mk("n", 2, 2, NULL), mk("m", 3, 3, NULL), mk("n", 4, 4, NULL),
                    mk("n", 5, 5, NULL)),
              "[2,4,-,5]");
}

TEST(missing_events_leading_and_trailing) {
    /* trailing: held until maxspan has passed, then confirmed */
    const char *qt = "sequence with maxspan=10ms [a where true] ![m where true]";
    CHECK_STR(RUN_Q(qt, mk("a", 1, 0, NULL), mk("m", 2, 5, NULL)), "");
    CHECK_STR(RUN_Q(qt, mk("a", 1, 0, NULL), mk("m", 2, 11, NULL)), "[1,-]");
    CHECK_STR(RUN_Q(qt, mk("a", 1, 0, NULL)), "[1,-]");
    /* leading: a missing event within maxspan before the sequence rejects it */
    const char *ql = "sequence with maxspan=10ms ![m where true] [a where true]";
    CHECK_STR(RUN_Q(ql, mk("m", 1, 0, NULL), mk("a", 2, 5, NULL)), "");
    CHECK_STR(RUN_Q(ql, mk("m", 1, 0, NULL), mk("a", 2, 11, NULL)), "[-,2]");
    /* leading and trailing together: rejected only when both happen within maxspan */
    const char *qb = "sequence with maxspan=20ms ![m where true] [a where true] ![m where true]";
    CHECK_STR(RUN_Q(qb, mk("m", 1, 0, NULL), mk("a", 2, 10, NULL), mk("m", 3, 20, NULL)), "");
    CHECK_STR(RUN_Q(qb, mk("m", 1, 0, NULL), mk("a", 2, 10, NULL), mk("m", 3, 21, NULL)), "[-,2,-]");
    CHECK_STR(RUN_Q(qb, mk("m", 1, 0, NULL), mk("a", 2, 10, NULL)), "[-,2,-]");
    /* results stay in completion order while an earlier one waits */
    const char *qo = "sequence by k with maxspan=10ms [a where true] ![m where true]";
    CHECK_STR(RUN_Q(qo, mk("a", 1, 0, "k=x"), mk("a", 2, 1, "k=y"), mk("m", 3, 2, "k=y"), mk("z", 4, 30, NULL)),
              "[1,-|x]");
}

TEST(sequence_pipes) {
    const char *q = "sequence [process where true] [process where true]";
    CHECK_STR(run("sequence [process where true] [process where true] | head 2",
                  (sh_event *[]){P(1), P(2), P(3), P(4), P(5)}, 5),
              "[1,2][2,3]");
    CHECK_STR(run("sequence [process where true] [process where true] | tail 2",
                  (sh_event *[]){P(1), P(2), P(3), P(4), P(5)}, 5),
              "[3,4][4,5]");
    CHECK_STR(run("sequence [process where true] [process where true] | head 3 | tail 1",
                  (sh_event *[]){P(1), P(2), P(3), P(4), P(5)}, 5),
              "[3,4]");
    (void)q;
    /* feeding stops being useful once head is reached */
    sh_diag d = {0};
    const char *qh = "process where true | head 2";
    sh_eql *c = sh_eql_compile(qh, strlen(qh), &d);
    out o = {.s = ""};
    sh_event *e1 = P(1), *e2 = P(2), *e3 = P(3);
    CHECK(sh_eql_feed(c, e1, collect, &o));
    CHECK(!sh_eql_feed(c, e2, collect, &o));
    CHECK(!sh_eql_feed(c, e3, collect, &o));
    sh_eql_finish(c, collect, &o);
    CHECK_STR(o.s, "[1][2]");
    /* reset starts a new run */
    sh_eql_reset(c);
    o.s[0] = 0;
    CHECK(sh_eql_feed(c, e3, collect, &o));
    CHECK_STR(o.s, "[3]");
    sh_eql_free(c);
    sh_event_unref(e1);
    sh_event_unref(e2);
    sh_event_unref(e3);
}

TEST(event_pipes) {
    CHECK_STR(run("process where true | tail 2", (sh_event *[]){P(1), P(2), P(3)}, 3), "[2][3]");
    CHECK_STR(run("process where true | head 4 | tail 2", (sh_event *[]){P(1), P(2), P(3), P(4), P(5)}, 5),
              "[3][4]");
    CHECK_STR(run("process where true | tail 3 | head 1", (sh_event *[]){P(1), P(2), P(3), P(4), P(5)}, 5), "[3]");
    CHECK_STR(run("process where true | head 0", (sh_event *[]){P(1)}, 1), "");
    CHECK_STR(run("process where true | tail 0", (sh_event *[]){P(1)}, 1), "");
    CHECK_STR(run("process where id > 1 | tail 10", (sh_event *[]){P(1), P(2)}, 2), "[2]");
}

TEST(event_matches_any_stage) {
    sh_diag d = {0};
    const char *q = "sequence [process where id == 1] [file where true]";
    sh_eql *c = sh_eql_compile(q, strlen(q), &d);
    sh_event *a = mk("process", 1, 1, NULL), *b = mk("file", 2, 2, NULL), *n = mk("network", 3, 3, NULL);
    CHECK(sh_eql_event_matches(c, a));
    CHECK(sh_eql_event_matches(c, b));
    CHECK(!sh_eql_event_matches(c, n));
    sh_eql_free(c);
    sh_event_unref(a);
    sh_event_unref(b);
    sh_event_unref(n);
}

/* -------------------------------------------------------------- samples */

TEST(samples) {
    /* one sample per key, keys sorted, distinct events per stage */
    CHECK_STR(RUN_Q("sample by host [alert where true] [failure where true]", mk("alert", 1, -1, "host=zeta"),
                    mk("failure", 2, -1, "host=zeta"), mk("alert", 3, -1, "host=alpha"),
                    mk("failure", 4, -1, "host=alpha"), mk("alert", 5, -1, "host=solo")),
              "[3,4|alpha][1,2|zeta]");
    /* the same event cannot fill two stages; earlier events first */
    CHECK_STR(RUN_Q("sample by h [any where a == 1] [any where b == 1]", mk("x", 1, -1, "h=1;a=1;b=1"),
                    mk("x", 2, -1, "h=1;b=1")),
              "[1,2|1]");
    /* backtracking finds distinct events when greedy choice would not */
    CHECK_STR(RUN_Q("sample by h [any where a == 1] [any where b == 1]", mk("x", 1, -1, "h=1;a=1;b=1"),
                    mk("x", 2, -1, "h=1;a=1")),
              "[2,1|1]");
    CHECK_STR(RUN_Q("sample by h [any where a == 1] [any where b == 1]", mk("x", 1, -1, "h=1;a=1;b=1")), "");
    /* per-stage keys, null (optional) keys sort first */
    CHECK_STR(RUN_Q("sample by ?h [any where a == 1] by k [any where b == 1] by j", mk("x", 1, -1, "a=1;k=5"),
                    mk("x", 2, -1, "b=1;j=5"), mk("x", 3, -1, "h=q;a=1;k=5"), mk("x", 4, -1, "h=q;b=1;j=5")),
              "[1,2|null,5][3,4|q,5]");
    /* a missing non-optional key excludes the event */
    CHECK_STR(RUN_Q("sample by h [any where a == 1] [any where b == 1]", mk("x", 1, -1, "a=1"),
                    mk("x", 2, -1, "b=1")),
              "");
    /* keys order: booleans, then numbers by value, then text */
    CHECK_STR(RUN_Q("sample by h [any where a == 1] [any where b == 1]", mk("x", 1, -1, "h=10;a=1"),
                    mk("x", 2, -1, "h=10;b=1"), mk("x", 3, -1, "h=9;a=1"), mk("x", 4, -1, "h=9;b=1")),
              "[3,4|9][1,2|10]");
    CHECK_STR(run("sample by h [any where a == 1] [any where b == 1] | head 1",
                  (sh_event *[]){mk("x", 1, -1, "h=b;a=1"), mk("x", 2, -1, "h=b;b=1"), mk("x", 3, -1, "h=a;a=1"),
                                 mk("x", 4, -1, "h=a;b=1")},
                  4),
              "[3,4|a]");
    CHECK_STR(run("sample by h [any where a == 1] [any where b == 1] | tail 1",
                  (sh_event *[]){mk("x", 1, -1, "h=b;a=1"), mk("x", 2, -1, "h=b;b=1"), mk("x", 3, -1, "h=a;a=1"),
                                 mk("x", 4, -1, "h=a;b=1")},
                  4),
              "[1,2|b]");
}

int main(void) {
    RUN(state_machine_one_pending_per_stage);
    RUN(join_keys);
    RUN(maxspan);
    RUN(until);
    RUN(runs);
    RUN(missing_events_between);
    RUN(missing_events_leading_and_trailing);
    RUN(sequence_pipes);
    RUN(event_pipes);
    RUN(event_matches_any_stage);
    RUN(samples);
    TEST_MAIN_END();
}
