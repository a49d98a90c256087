/* fuzz_toml.c: libFuzzer target for the TOML reader: parse, walk every
 * value through the lookup helpers, free. */
#include <stdlib.h>

#include "util/toml.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static size_t walk(const sh_toml *t, int depth) {
    size_t n = 1;
    if (depth > 100) return n;
    for (size_t i = 0; i < t->n; i++) {
        n += walk(t->items[i], depth + 1);
        if (t->type == SH_TOML_TABLE) n += sh_toml_get(t, t->keys[i]) != NULL;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    sh_diag d;
    sh_toml *t = sh_toml_parse((const char *)data, size, &d);
    if (t) {
        walk(t, 0);
        sh_toml_path(t, "rule.threat.technique");
        sh_toml_free(t);
    }
    return 0;
}
