/* toml.h: a TOML reader (TOML 1.0) into a small document tree. Enough of the
 * language for Elastic detection-rules files and Elasticsearch's EQL test
 * files: tables, dotted keys, arrays of tables, inline tables, basic and
 * literal strings (single- and multi-line), integers, floats, booleans,
 * dates as strings, nested arrays; plus a bare `null` inside arrays, which
 * Elasticsearch's test files use. Errors carry line and column. */
#ifndef SHRIKE_TOML_H
#define SHRIKE_TOML_H

#include "util/util.h"

typedef enum sh_toml_type {
    SH_TOML_STRING, SH_TOML_INT, SH_TOML_FLOAT, SH_TOML_BOOL, SH_TOML_DATETIME,
    SH_TOML_ARRAY, SH_TOML_TABLE, SH_TOML_NULL
} sh_toml_type;

typedef struct sh_toml sh_toml;
struct sh_toml {
    sh_toml_type type;
    long line;              /* 1-based line where the value starts */
    char *str;              /* STRING / DATETIME text (decoded), NUL-terminated */
    size_t len;
    long long i;
    double f;
    bool b;
    /* ARRAY: items; TABLE: keys[i] -> items[i] in file order */
    sh_toml **items;
    char **keys;
    size_t n, cap;
};

sh_toml *sh_toml_parse(const char *text, size_t len, sh_diag *d); /* NULL on error */
void sh_toml_free(sh_toml *t);
const sh_toml *sh_toml_get(const sh_toml *table, const char *key);   /* direct child */
const sh_toml *sh_toml_path(const sh_toml *table, const char *dotted); /* "rule.query" */

#endif
