/* fuzz_evtx.c: libFuzzer target for the EVTX reader. The bytes are read as
 * a whole EVTX file, as one chunk, and (when longer than a file header) the
 * bytes after the header as one chunk, so both seeds made of files and
 * mutations of single chunks reach the binary XML. Every event must carry
 * its source, every string value must be NUL-terminated valid UTF-8 and
 * every problem must come with a reason; the JSON rendering of each event is
 * built so that every value is read. The file is read once more by two
 * threads (sh_evtx_par, as `-j 2` does), whose transcript of events,
 * diagnostics and counts must be the single-threaded one byte for byte,
 * and so must a read with plans compiled per chunk instead of shared (the
 * shared plans are forgotten before each input, so that every input runs
 * alone). Built with SHRIKE_CHECK_TS: the event time taken from the
 * TimeCreated FILETIME must be the one read back from its text.
 *   tests/fuzz/build.sh && build-fuzz/fuzz_evtx tests/fuzz/corpus/evtx */
#include <stdlib.h>
#include <string.h>

#include "input/evtx.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static bool on_event(void *ctx, sh_event *e) {
    size_t *n = ctx;
    if (!e->source || e->schema != SH_SCHEMA_WINDOWS || !e->nfields) abort();
    for (uint32_t i = 0; i < e->nfields; i++) {
        const sh_field *f = e->fields[i];
        if (!f->nvals || !sh_utf8_valid(f->name, f->nlen) || f->name[f->nlen]) abort();
        for (uint32_t k = 0; k < f->nvals; k++) {
            const sh_value *v = &f->vals[k];
            if (!v->s || v->s[v->len] != 0) abort();
            if (v->type == SH_STR && !sh_utf8_valid(v->s, v->len)) abort();
        }
    }
    sh_buf b = {0};
    sh_event_to_json(e, &b, false);
    sh_buf_free(&b);
    return ++*n < 100000;
}

static void on_error(void *ctx, const sh_diag *d) {
    (void)ctx;
    if (!d->msg[0] || !d->file[0]) abort();
}

/* what a sink receives, in order */
static bool tr_event(void *ctx, sh_event *e) {
    sh_buf *t = ctx;
    sh_buf_printf(t, "#%llu %s:%llu ", (unsigned long long)e->ordinal, e->source, (unsigned long long)e->line);
    sh_event_to_json(e, t, false);
    sh_buf_putc(t, '\n');
    return true;
}

static void tr_error(void *ctx, const sh_diag *d) {
    char m[1024];
    sh_diag_format(d, m, sizeof m);
    sh_buf_printf(ctx, "error %s\n", m);
}

static void threads_agree(const unsigned char *data, size_t size) {
    sh_buf a = {0}, b = {0}, c = {0};
    sh_input_sink sa = {tr_event, tr_error, &a, NULL}, sb = {tr_event, tr_error, &b, NULL};
    sh_input_stats sta = {0}, stb = {0};
    sh_evtx_read("fuzz.evtx", data, size, NULL, &sa, &sta);
    sh_evtx_read("fuzz.evtx", data, size, NULL, &sa, &sta);
    sh_evtx_par *p = sh_evtx_par_new(2, &sb, &stb);
    sh_evtx_par_submit(p, "fuzz.evtx", data, size, NULL, 0, SH_EVTX_OWN_NONE);
    sh_evtx_par_submit(p, "fuzz.evtx", data, size, NULL, 0, SH_EVTX_OWN_NONE);
    sh_evtx_par_free(p);
    if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len)) || sta.events != stb.events ||
        sta.rejected != stb.rejected || sta.inputs_failed != stb.inputs_failed)
        abort();
    /* plans compiled per chunk: the same transcript */
    sh_input_sink sc = {tr_event, tr_error, &c, NULL};
    sh_input_stats stc = {0};
    sh_evtx_share_plans(false);
    sh_evtx_read("fuzz.evtx", data, size, NULL, &sc, &stc);
    sh_evtx_read("fuzz.evtx", data, size, NULL, &sc, &stc);
    sh_evtx_share_plans(true);
    if (a.len != c.len || (a.len && memcmp(a.data, c.data, a.len)) || sta.events != stc.events) abort();
    sh_buf_free(&a);
    sh_buf_free(&b);
    sh_buf_free(&c);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    sh_evtx_shared_reset();
    size_t n = 0;
    sh_input_sink sink = {.on_event = on_event, .on_error = on_error, .ctx = &n};
    sh_input_stats st = {0};
    sh_evtx_read("fuzz.evtx", data, size, NULL, &sink, &st);
    if (st.events != n) abort();
    sh_evtx_read_chunk("fuzz.chunk", data, size, NULL, &sink, &st);
    if (size > SH_EVTX_HEADER_SIZE) sh_evtx_read_chunk("fuzz.chunk", data + SH_EVTX_HEADER_SIZE, size - SH_EVTX_HEADER_SIZE, NULL, &sink, &st);
    if (st.events != n) abort();
    threads_agree(data, size);
    return 0;
}
