/* fuzz_toml.c: libFuzzer target for the TOML reader. Each input is parsed;
 * a tree that comes back is walked and checked (strings NUL-terminated at
 * their length, tables keyed, lines in range, no parse-time bookkeeping
 * left behind) and looked up by path; an error must carry a line, a column
 * and a reason. Then everything is freed, so leaks show. */
#include <stdlib.h>
#include <string.h>

#include "util/toml.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static long count_lines(const char *s, size_t n) {
    long lines = 1;
    for (size_t i = 0; i < n; i++) lines += s[i] == '\n';
    return lines;
}

static void walk(const sh_toml *t, long max_line) {
    if (t->line < 1 || t->line > max_line) abort();
    switch (t->type) {
    case SH_TOML_STRING:
    case SH_TOML_DATETIME:
        if (!t->str || t->str[t->len] != 0) abort();
        break;
    case SH_TOML_TABLE:
        if (t->i != 0 || (t->n && !t->keys)) abort();
        for (size_t i = 0; i < t->n; i++) {
            if (!t->keys[i]) abort();
            if (sh_toml_get(t, t->keys[i]) == NULL) abort();
            walk(t->items[i], max_line);
        }
        break;
    case SH_TOML_ARRAY:
        if (t->keys) abort();
        for (size_t i = 0; i < t->n; i++) walk(t->items[i], max_line);
        break;
    default:
        if (t->n || t->items) abort();
        break;
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    const char *text = (const char *)data;
    sh_diag d;
    sh_toml *t = sh_toml_parse(text, size, &d);
    long lines = count_lines(text, size);
    if (t) {
        walk(t, lines);
        sh_toml_path(t, "rule.query");
        sh_toml_path(t, "rule.threat");
        sh_toml_path(t, "a.b.c");
    } else if (d.line < 1 || d.line > lines || d.col < 1 || !d.msg[0]) {
        abort();
    }
    sh_toml_free(t);
    return 0;
}
