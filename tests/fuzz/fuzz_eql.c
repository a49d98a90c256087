/* fuzz_eql.c: libFuzzer target for the EQL front end: compile any text; when
 * it compiles, run it over a few fixed events (so the evaluator, sequences,
 * samples and pipes see what the parser accepted) and finish. */
#include <stdlib.h>
#include <string.h>

#include "lang/eql/eql.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static sh_event *mk(int i) {
    sh_event *e = sh_event_new();
    sh_event_add_str(e, "event.category", i % 2 ? "process" : "file", i % 2 ? 7 : 4);
    sh_event_add_str(e, "process.name", i % 3 ? "cmd.exe" : "Certutil.EXE", i % 3 ? 7 : 12);
    sh_event_add_str(e, "process.args", "certutil.exe", 12);
    sh_event_add_str(e, "process.args", "-addstore", 9);
    sh_event_add_str(e, "host.name", i % 2 ? "h1" : "h2", 2);
    sh_event_add_int(e, "process.pid", 100 + i);
    sh_event_add_float(e, "x", 1.5 * i);
    sh_event_add_bool(e, "b", i % 2);
    sh_event_add_null(e, "n");
    sh_event_add_str(e, "ip", "10.0.0.5", 8);
    e->ts = (int64_t)i * 1000000000;
    e->ordinal = (uint64_t)i;
    return e;
}

static void sink(void *ctx, const sh_match *m) {
    size_t *n = ctx;
    *n += m->nevents + m->nkeys;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    sh_diag d;
    sh_eql *q = sh_eql_compile((const char *)data, size, &d);
    if (!q) return 0;
    size_t n = 0;
    for (int i = 0; i < 8; i++) {
        sh_event *e = mk(i);
        sh_eql_event_matches(q, e);
        bool more = sh_eql_feed(q, e, sink, &n);
        sh_event_unref(e);
        if (!more) break;
    }
    sh_eql_finish(q, sink, &n);
    sh_eql_free(q);
    return 0;
}
