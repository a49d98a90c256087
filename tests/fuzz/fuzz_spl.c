/* fuzz_spl.c: libFuzzer target for the SPL front end: compile any text as a
 * search; when it compiles, read its warnings, run it over a few fixed
 * Windows-like events (so every command and function the parser accepted
 * runs, subsearches and blocking commands included) and finish. */
#include <stdlib.h>
#include <string.h>

#include "engine/query.h"
#include "event/fieldmap.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static sh_event *mk(int i) {
    sh_event *e = sh_event_new();
    sh_event_add_int(e, "EventID", i % 3 == 0 ? 1 : i % 3 == 1 ? 11 : 4688);
    sh_event_add_str(e, "Channel", i % 3 == 2 ? "Security" : "Microsoft-Windows-Sysmon/Operational",
                     i % 3 == 2 ? 8 : 36);
    sh_event_add_str(e, "Computer", i % 2 ? "WS1" : "ws2.corp", i % 2 ? 3 : 8);
    sh_event_add_str(e, "Image", i % 2 ? "C:\\Tools\\signtool.exe" : "C:\\Windows\\certutil.exe", i % 2 ? 21 : 24);
    sh_event_add_str(e, "CommandLine", "certutil -addstore root C:\\Users\\a\\Temp\\x.pfx", 46);
    sh_event_add_str(e, "TargetFilename", "C:\\Users\\a\\Downloads\\k.p12", 26);
    sh_event_add_str(e, "User", "CORP\\ann", 8);
    sh_event_add_str(e, "Count", i % 2 ? "10" : "9", i % 2 ? 2 : 1);
    sh_event_add_str(e, "Multi", "a", 1);
    sh_event_add_str(e, "Multi", "b", 1);
    sh_event_finish(e);
    e->ts = (int64_t)(1700000000 + i) * 1000000000;
    e->ordinal = (uint64_t)i;
    return e;
}

static void sink(void *ctx, const sh_match *m) {
    size_t *n = ctx;
    sh_buf b = {0};
    if (m->row) sh_event_to_json(m->row, &b, false);
    *n += m->nevents + b.len;
    sh_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    sh_rule r = {.query = text, .id = "fuzz", .path = "fuzz.spl", .lang = SH_LANG_SPL};
    sh_diag d;
    sh_diag_clear(&d);
    sh_query *q = sh_frontend_spl.compile(NULL, &r, &d);
    if (q) {
        size_t n = 0;
        const char *const *w = q->ops->warnings(q);
        while (w && *w) n += strlen(*w++);
        const struct sh_ir *f[8];
        n += q->ops->filters(q, f, 8);
        for (int i = 0; i < 6; i++) {
            sh_event *e = mk(i);
            bool more = q->ops->feed(q, e, sink, &n);
            sh_event_unref(e);
            if (!more) break;
        }
        q->ops->finish(q, sink, &n);
        q->ops->reset(q);
        q->ops->free(q);
    }
    free(text);
    return 0;
}
