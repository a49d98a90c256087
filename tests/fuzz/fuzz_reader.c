/* fuzz_reader.c: libFuzzer target for the input layer: the bytes become a
 * file (plain, or gzip when they start with its magic), read through format
 * detection, NDJSON/array/pretty splitting and resynchronisation. Every
 * event must come with a source and every problem with a reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input/input.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static bool on_event(void *ctx, sh_event *e) {
    size_t *n = ctx;
    if (!e->source) abort();
    sh_buf b = {0};
    sh_event_to_json(e, &b, true);
    sh_buf_free(&b);
    return ++*n < 100000;
}

static void on_error(void *ctx, const sh_diag *d) {
    (void)ctx;
    if (!d->msg[0]) abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    static char path[64];
    if (!path[0]) snprintf(path, sizeof path, "/tmp/shrike-fuzz-reader-%d", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    size_t n = 0;
    sh_input_opts o = {.keep_raw = true};
    sh_input_sink sink = {.on_event = on_event, .on_error = on_error, .ctx = &n};
    sh_input_stats st = {0};
    sh_input_read(path, &o, &sink, &st);
    if (st.events != n) abort();
    return 0;
}
