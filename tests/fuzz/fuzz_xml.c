/* fuzz_xml.c: libFuzzer target for the event XML reader, driven the way
 * reader.c drives it (sh_xml_new, sh_xml_feed piece by piece, sh_xml_finish).
 * The first byte chooses how the input is cut into pieces (whole, or pieces
 * of 1 to 127 bytes) and whether raw texts are kept, so the splitting,
 * resynchronisation and UTF-16 paths see every boundary. Checks: every event
 * has a source and a line, a kept raw text is an <Event ...>...</Event> slice
 * of the input, every problem has a file, a line and a reason, and the
 * counts agree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/xml.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

typedef struct fz {
    size_t events, errors;
    bool keep_raw;
} fz;

static bool on_event(void *ctx, sh_event *e) {
    fz *f = ctx;
    if (!e->source || e->line == 0 || e->schema != SH_SCHEMA_WINDOWS) abort();
    if (f->keep_raw) {
        if (!e->raw || e->raw_kind != SH_RAW_XML || e->raw_len < 8 || e->raw[0] != '<' || e->raw[e->raw_len - 1] != '>')
            abort();
    } else if (e->raw) {
        abort();
    }
    for (uint32_t i = 0; i < e->nfields; i++) {
        const sh_field *fl = e->fields[i];
        if (!fl->nlen && fl->name[0]) abort();
        for (uint32_t k = 0; k < fl->nvals; k++)
            if (fl->vals[k].type == SH_STR && !sh_utf8_valid(fl->vals[k].s, fl->vals[k].len)) abort();
    }
    sh_buf b = {0};
    sh_event_to_json(e, &b, true);
    sh_buf_free(&b);
    return ++f->events < 100000;
}

static void on_error(void *ctx, const sh_diag *d) {
    fz *f = ctx;
    if (!d->msg[0] || strcmp(d->file, "fuzz.xml") != 0 || d->line < 1 || d->col < 1) abort();
    f->errors++;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    if (!size) return 0;
    unsigned mode = data[0];
    data++, size--;
    size_t piece = mode & 0x7f;
    fz f = {.keep_raw = (mode & 0x80) != 0};
    sh_input_opts o = {.keep_raw = f.keep_raw};
    sh_input_sink sink = {.on_event = on_event, .on_error = on_error, .ctx = &f};
    sh_input_stats st = {0};
    sh_xml_reader *x = sh_xml_new("fuzz.xml", &o, &sink, &st, 1, 1);
    bool go = true;
    if (!piece) {
        go = sh_xml_feed(x, (const char *)data, size);
    } else {
        for (size_t i = 0; go && i < size; i += piece)
            go = sh_xml_feed(x, (const char *)data + i, size - i < piece ? size - i : piece);
    }
    if (go) sh_xml_finish(x);
    sh_xml_free(x);
    if (st.events != f.events) abort();
    if (st.rejected != f.errors) abort();   /* every rejection is reported, once */
    return 0;
}
