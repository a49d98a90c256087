/* fuzz_json.c: libFuzzer target for the JSON reader: one document parsed
 * into an event, then printed back; and the whole input fed through the
 * input layer's format detection and NDJSON/array splitting via a pipe-free
 * path (the value-span scanner and the minifier). */
#include <stdlib.h>
#include <string.h>

#include "event/fieldmap.h"
#include "input/json.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    const char *text = (const char *)data;
    sh_event *e = sh_event_new();
    sh_diag d;
    sh_json_opts o = {.keep_raw = true, .unwrap = true};
    if (sh_json_parse_event(text, size, e, &o, &d)) {
        sh_buf out = {0};
        sh_event_to_json(e, &out, false);
        sh_event_to_json(e, &out, true);
        /* derived fields over whatever the document holds */
        static const char *names[] = {"process.name", "process.args", "event.category", "host.name", "user.name", "file.extension"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            sh_event_get(e, sh_fieldref_get(names[i], strlen(names[i])));
        sh_buf_free(&out);
    }
    sh_event_unref(e);
    long lines;
    size_t off = 0;
    while (off < size) {
        size_t span = sh_json_value_span(text + off, size - off, &lines);
        if (!span) break;
        sh_buf m = {0};
        sh_json_minify(text + off, span, &m);
        sh_buf_free(&m);
        off += span;
    }
    return 0;
}
