/* toml.c: a TOML 1.0 reader into a small tree (see toml.h). Hand-written
 * because Debian ships no C TOML library; it reads Elastic detection-rules
 * files and Elasticsearch's EQL test files, and refuses what TOML refuses
 * (duplicate keys, redefined tables) with line and column. */
#include "util/toml.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define TOML_MAX_DEPTH 64

typedef struct tp {
    const char *p, *end, *start;
    long line;
    const char *line_start;
    sh_diag *d;
    bool failed;
    int depth;
} tp;

static bool terr(tp *t, const char *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool terr(tp *t, const char *at, const char *fmt, ...) {
    if (t->failed) return false;
    t->failed = true;
    if (t->d) {
        /* line/col of `at` */
        long line = 1;
        const char *ls = t->start;
        for (const char *q = t->start; q < at && q < t->end; q++)
            if (*q == '\n') line++, ls = q + 1;
        t->d->line = line;
        t->d->col = (long)(at - ls) + 1;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t->d->msg, sizeof t->d->msg, fmt, ap);
        va_end(ap);
    }
    return false;
}

static sh_toml *node(sh_toml_type ty, long line) {
    sh_toml *n = calloc(1, sizeof *n);
    if (!n) abort();
    n->type = ty;
    n->line = line;
    return n;
}

void sh_toml_free(sh_toml *t) {
    if (!t) return;
    for (size_t i = 0; i < t->n; i++) {
        sh_toml_free(t->items[i]);
        if (t->keys) free(t->keys[i]);
    }
    free(t->items);
    free(t->keys);
    free(t->str);
    free(t);
}

static void push(sh_toml *parent, char *key, sh_toml *child) {
    if (parent->n == parent->cap) {
        parent->cap = parent->cap ? parent->cap * 2 : 8;
        parent->items = realloc(parent->items, parent->cap * sizeof *parent->items);
        if (!parent->items) abort();
        if (parent->type == SH_TOML_TABLE) {
            parent->keys = realloc(parent->keys, parent->cap * sizeof *parent->keys);
            if (!parent->keys) abort();
        }
    }
    if (parent->type == SH_TOML_TABLE) parent->keys[parent->n] = key;
    parent->items[parent->n++] = child;
}

const sh_toml *sh_toml_get(const sh_toml *t, const char *key) {
    if (!t || t->type != SH_TOML_TABLE) return NULL;
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->keys[i], key) == 0) return t->items[i];
    return NULL;
}

const sh_toml *sh_toml_path(const sh_toml *t, const char *dotted) {
    char part[256];
    while (t && *dotted) {
        const char *dot = strchr(dotted, '.');
        size_t n = dot ? (size_t)(dot - dotted) : strlen(dotted);
        if (n >= sizeof part) return NULL;
        memcpy(part, dotted, n);
        part[n] = 0;
        t = sh_toml_get(t, part);
        dotted += n + (dot ? 1 : 0);
    }
    return t;
}

/* ------------------------------------------------------------ lexing */

static void skip_ws(tp *t) {
    while (t->p < t->end && (*t->p == ' ' || *t->p == '\t')) t->p++;
}

static void skip_comment(tp *t) {
    if (t->p < t->end && *t->p == '#')
        while (t->p < t->end && *t->p != '\n') t->p++;
}

/* whitespace, newlines and comments (inside arrays) */
static void skip_all(tp *t) {
    for (;;) {
        skip_ws(t);
        skip_comment(t);
        if (t->p < t->end && (*t->p == '\n' || *t->p == '\r')) {
            if (*t->p == '\n') t->line++;
            t->p++;
            continue;
        }
        return;
    }
}

static bool expect_eol(tp *t) {
    skip_ws(t);
    skip_comment(t);
    if (t->p < t->end && *t->p == '\r') t->p++;
    if (t->p >= t->end) return true;
    if (*t->p != '\n') return terr(t, t->p, "expected the end of the line, found '%c'", *t->p);
    return true;
}

static bool is_bare(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static void put_utf8(sh_buf *b, unsigned long cp) {
    char o[4];
    size_t n;
    if (cp < 0x80) { o[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { o[0] = (char)(0xc0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3f)); n = 2; }
    else if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3f)); o[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        o[0] = (char)(0xf0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); o[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    sh_buf_put(b, o, n);
}

static bool escape(tp *t, sh_buf *b) {
    const char *at = t->p;
    t->p++; /* backslash */
    if (t->p >= t->end) return terr(t, at, "unterminated string");
    char c = *t->p++;
    switch (c) {
    case 'b': sh_buf_putc(b, '\b'); return true;
    case 't': sh_buf_putc(b, '\t'); return true;
    case 'n': sh_buf_putc(b, '\n'); return true;
    case 'f': sh_buf_putc(b, '\f'); return true;
    case 'r': sh_buf_putc(b, '\r'); return true;
    case 'e': sh_buf_putc(b, 0x1b); return true;
    case '"': sh_buf_putc(b, '"'); return true;
    case '\\': sh_buf_putc(b, '\\'); return true;
    case 'u':
    case 'U': {
        int k = c == 'u' ? 4 : 8;
        if (t->end - t->p < k) return terr(t, at, "truncated \\%c escape", c);
        unsigned long cp = 0;
        for (int i = 0; i < k; i++) {
            char h = t->p[i];
            int v = (h >= '0' && h <= '9') ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10 : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
            if (v < 0) return terr(t, t->p + i, "invalid hex digit in \\%c escape", c);
            cp = cp * 16 + (unsigned long)v;
        }
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return terr(t, at, "invalid Unicode scalar value in escape");
        t->p += k;
        put_utf8(b, cp);
        return true;
    }
    default: return terr(t, at, "invalid escape '\\%c' in string", c);
    }
}

/* t->p at the opening quote(s); multi-line forms handled */
static bool string(tp *t, sh_buf *b) {
    char q = *t->p;
    const char *at = t->p;
    bool multi = t->end - t->p >= 3 && t->p[1] == q && t->p[2] == q;
    t->p += multi ? 3 : 1;
    if (multi) {
        if (t->p < t->end && *t->p == '\n') t->p++, t->line++;
        else if (t->end - t->p >= 2 && t->p[0] == '\r' && t->p[1] == '\n') t->p += 2, t->line++;
    }
    for (;;) {
        if (t->p >= t->end) return terr(t, at, "unterminated string");
        char c = *t->p;
        if (c == q) {
            if (!multi) { t->p++; return true; }
            if (t->end - t->p >= 3 && t->p[1] == q && t->p[2] == q) {
                /* up to two more quotes may belong to the content */
                int extra = 0;
                while (extra < 2 && t->end - t->p >= 4 + extra && t->p[3 + extra] == q) extra++;
                for (int i = 0; i < extra; i++) sh_buf_putc(b, q);
                t->p += 3 + extra;
                return true;
            }
            sh_buf_putc(b, c);
            t->p++;
            continue;
        }
        if (c == '\n') {
            if (!multi) return terr(t, at, "newline in a single-line string");
            t->line++;
            sh_buf_putc(b, c);
            t->p++;
            continue;
        }
        if (q == '"' && c == '\\') {
            if (multi) {
                /* line-ending backslash: trim the newline and following whitespace */
                const char *r = t->p + 1;
                while (r < t->end && (*r == ' ' || *r == '\t')) r++;
                if (r < t->end && (*r == '\n' || *r == '\r')) {
                    t->p = r;
                    while (t->p < t->end && (*t->p == ' ' || *t->p == '\t' || *t->p == '\n' || *t->p == '\r')) {
                        if (*t->p == '\n') t->line++;
                        t->p++;
                    }
                    continue;
                }
            }
            if (!escape(t, b)) return false;
            continue;
        }
        if ((unsigned char)c < 0x20 && c != '\t' && !(multi && c == '\r'))
            return terr(t, t->p, "control character in string");
        sh_buf_putc(b, c);
        t->p++;
    }
}

/* one key part: bare or quoted */
static bool key_part(tp *t, sh_buf *b) {
    skip_ws(t);
    if (t->p < t->end && (*t->p == '"' || *t->p == '\'')) {
        if (t->end - t->p >= 3 && t->p[1] == *t->p && t->p[2] == *t->p) return terr(t, t->p, "multi-line strings cannot be keys");
        return string(t, b);
    }
    const char *s = t->p;
    while (t->p < t->end && is_bare(*t->p)) t->p++;
    if (t->p == s) {
        if (t->p >= t->end) return terr(t, t->p, "expected a key, found the end of the input");
        return terr(t, t->p, "expected a key, found '%c'", *t->p);
    }
    sh_buf_put(b, s, (size_t)(t->p - s));
    return true;
}

/* dotted key into parts (NUL-separated in out, count in *n) */
static bool dotted_key(tp *t, char ***parts, size_t *n) {
    *parts = NULL;
    *n = 0;
    for (;;) {
        sh_buf b = {0};
        if (!key_part(t, &b)) {
            sh_buf_free(&b);
            for (size_t i = 0; i < *n; i++) free((*parts)[i]);
            free(*parts);
            *parts = NULL;
            *n = 0;
            return false;
        }
        *parts = realloc(*parts, (*n + 1) * sizeof **parts);
        if (!*parts) abort();
        sh_buf_cstr(&b);
        (*parts)[(*n)++] = b.data;
        skip_ws(t);
        if (t->p < t->end && *t->p == '.') { t->p++; continue; }
        return true;
    }
}

static void free_parts(char **parts, size_t n) {
    for (size_t i = 0; i < n; i++) free(parts[i]);
    free(parts);
}

/* ------------------------------------------------------------ values */

static sh_toml *value(tp *t);

/* flags kept in the node's `b` of tables: defined by a [header] or inline (closed) */
enum { TBL_OPEN = 0, TBL_DEFINED = 1, TBL_INLINE = 2, TBL_IMPLICIT = 3 };

static bool number_or_date(tp *t, sh_toml **out) {
    const char *s = t->p;
    while (t->p < t->end && !strchr(" \t\r\n,]}#", *t->p)) t->p++;
    /* a date-time may hold one space between date and time */
    if (t->p - s == 10 && t->p < t->end && *t->p == ' ' && t->end - t->p > 2 && t->p[1] >= '0' && t->p[1] <= '9') {
        t->p++;
        while (t->p < t->end && !strchr(" \t\r\n,]}#", *t->p)) t->p++;
    }
    size_t n = (size_t)(t->p - s);
    char buf[128];
    if (n == 0) return terr(t, s, "expected a value");
    if (n >= sizeof buf) return terr(t, s, "value too long");
    memcpy(buf, s, n);
    buf[n] = 0;
    long line = t->line;
    if (!strcmp(buf, "true") || !strcmp(buf, "false")) {
        *out = node(SH_TOML_BOOL, line);
        (*out)->b = buf[0] == 't';
        return true;
    }
    if (!strcmp(buf, "null")) { *out = node(SH_TOML_NULL, line); return true; }
    if (!strcmp(buf, "inf") || !strcmp(buf, "+inf") || !strcmp(buf, "-inf") || !strcmp(buf, "nan") ||
        !strcmp(buf, "+nan") || !strcmp(buf, "-nan")) {
        *out = node(SH_TOML_FLOAT, line);
        (*out)->f = strstr(buf, "nan") ? NAN : (buf[0] == '-' ? -INFINITY : INFINITY);
        return true;
    }
    /* date / time: digits with '-' at 4 or ':' at 2 */
    if ((n >= 10 && buf[4] == '-' && buf[7] == '-') || (n >= 8 && buf[2] == ':')) {
        for (size_t i = 0; i < n; i++)
            if (!strchr("0123456789-:.TtZz+ ", buf[i])) return terr(t, s, "invalid date-time '%s'", buf);
        *out = node(SH_TOML_DATETIME, line);
        (*out)->str = strdup(buf);
        (*out)->len = n;
        return true;
    }
    /* integers and floats, underscores between digits */
    char clean[128];
    size_t k = 0;
    bool is_float = false;
    int base = 10;
    const char *q = buf;
    if ((q[0] == '0') && (q[1] == 'x' || q[1] == 'o' || q[1] == 'b')) {
        base = q[1] == 'x' ? 16 : q[1] == 'o' ? 8 : 2;
        q += 2;
    }
    for (size_t i = 0; q[i]; i++) {
        char c = q[i];
        if (c == '_') {
            if (i == 0 || !q[i + 1] || q[i - 1] == '_' || !isalnum((unsigned char)q[i - 1]) || !isalnum((unsigned char)q[i + 1]))
                return terr(t, s, "invalid number '%s'", buf);
            continue;
        }
        if (base == 10 && (c == '.' || c == 'e' || c == 'E')) is_float = true;
        clean[k++] = c;
    }
    clean[k] = 0;
    if (k == 0) return terr(t, s, "invalid number '%s'", buf);
    char *endp;
    errno = 0;
    if (is_float) {
        /* TOML wants digits on both sides of '.' */
        const char *dot = strchr(clean, '.');
        if (dot && (dot == clean || !isdigit((unsigned char)dot[-1]) || !isdigit((unsigned char)dot[1])))
            return terr(t, s, "invalid number '%s'", buf);
        double f = strtod(clean, &endp);
        if (*endp) return terr(t, s, "invalid number '%s'", buf);
        *out = node(SH_TOML_FLOAT, line);
        (*out)->f = f;
        return true;
    }
    if (base == 10) {
        const char *digits = clean + (clean[0] == '+' || clean[0] == '-');
        if (digits[0] == '0' && digits[1]) return terr(t, s, "leading zeros are not allowed in '%s'", buf);
    } else if (clean[0] == '+' || clean[0] == '-') {
        return terr(t, s, "invalid number '%s'", buf);
    }
    long long v = strtoll(clean, &endp, base);
    if (*endp || !isxdigit((unsigned char)clean[clean[0] == '+' || clean[0] == '-']))
        return terr(t, s, "invalid value '%s'", buf);
    if (errno == ERANGE) return terr(t, s, "integer out of range '%s'", buf);
    *out = node(SH_TOML_INT, line);
    (*out)->i = v;
    return true;
}

static bool inline_table(tp *t, sh_toml *tbl);
static bool set_key(tp *t, sh_toml *table, char **parts, size_t n, sh_toml *v, const char *at);

static sh_toml *array(tp *t) {
    sh_toml *a = node(SH_TOML_ARRAY, t->line);
    if (++t->depth > TOML_MAX_DEPTH) { terr(t, t->p, "nesting deeper than %d", TOML_MAX_DEPTH); sh_toml_free(a); return NULL; }
    t->p++;
    for (;;) {
        skip_all(t);
        if (t->p < t->end && *t->p == ']') { t->p++; break; }
        sh_toml *v = value(t);
        if (!v) { sh_toml_free(a); return NULL; }
        push(a, NULL, v);
        skip_all(t);
        if (t->p < t->end && *t->p == ',') { t->p++; continue; }
        if (t->p < t->end && *t->p == ']') { t->p++; break; }
        if (t->p >= t->end) terr(t, t->p, "unterminated array");
        else terr(t, t->p, "expected ',' or ']' in array, found '%c'", *t->p);
        sh_toml_free(a);
        return NULL;
    }
    t->depth--;
    return a;
}

static sh_toml *value(tp *t) {
    skip_ws(t);
    if (t->p >= t->end) { terr(t, t->p, "expected a value, found the end of the input"); return NULL; }
    char c = *t->p;
    if (c == '"' || c == '\'') {
        long line = t->line;
        sh_buf b = {0};
        if (!string(t, &b)) { sh_buf_free(&b); return NULL; }
        sh_toml *n = node(SH_TOML_STRING, line);
        sh_buf_cstr(&b);
        n->str = b.data;
        n->len = b.len;
        return n;
    }
    if (c == '[') return array(t);
    if (c == '{') {
        sh_toml *tbl = node(SH_TOML_TABLE, t->line);
        if (++t->depth > TOML_MAX_DEPTH) { terr(t, t->p, "nesting deeper than %d", TOML_MAX_DEPTH); sh_toml_free(tbl); return NULL; }
        if (!inline_table(t, tbl)) { sh_toml_free(tbl); return NULL; }
        t->depth--;
        tbl->b = true; /* inline tables are closed */
        tbl->i = TBL_INLINE;
        return tbl;
    }
    if (c == '\n' || c == '\r' || c == '#') { terr(t, t->p, "expected a value"); return NULL; }
    sh_toml *n = NULL;
    if (!number_or_date(t, &n)) return NULL;
    return n;
}

static bool inline_table(tp *t, sh_toml *tbl) {
    t->p++; /* { */
    skip_ws(t);
    if (t->p < t->end && *t->p == '}') { t->p++; return true; }
    for (;;) {
        char **parts;
        size_t n;
        const char *at = t->p;
        if (!dotted_key(t, &parts, &n)) return false;
        skip_ws(t);
        if (t->p >= t->end || *t->p != '=') { free_parts(parts, n); return terr(t, t->p, "expected '=' after a key"); }
        t->p++;
        sh_toml *v = value(t);
        if (!v) { free_parts(parts, n); return false; }
        if (!set_key(t, tbl, parts, n, v, at)) { free_parts(parts, n); sh_toml_free(v); return false; }
        free_parts(parts, n);
        skip_ws(t);
        if (t->p < t->end && *t->p == ',') { t->p++; continue; }
        if (t->p < t->end && *t->p == '}') { t->p++; return true; }
        return terr(t, t->p, "expected ',' or '}' in inline table");
    }
}

/* ------------------------------------------------------------ tables */

static sh_toml *child(sh_toml *t, const char *key) { return (sh_toml *)sh_toml_get(t, key); }

static char *join_key(char **parts, size_t n) {
    sh_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        if (i) sh_buf_putc(&b, '.');
        sh_buf_puts(&b, parts[i]);
    }
    sh_buf_cstr(&b);
    return b.data;
}

/* walk/create intermediate tables for a dotted key; returns the table that
 * will receive the last part */
static sh_toml *descend(tp *t, sh_toml *table, char **parts, size_t n, const char *at, bool from_header) {
    for (size_t i = 0; i < n; i++) {
        sh_toml *c = child(table, parts[i]);
        if (!c) {
            c = node(SH_TOML_TABLE, t->line);
            c->i = TBL_IMPLICIT;
            push(table, strdup(parts[i]), c);
        } else if (c->type == SH_TOML_ARRAY && c->b && from_header) {
            /* array of tables: continue into its last element */
            c = c->items[c->n - 1];
        } else if (c->type != SH_TOML_TABLE || c->i == TBL_INLINE) {
            char *k = join_key(parts, i + 1);
            terr(t, at, "key '%s' is already defined as a value", k);
            free(k);
            return NULL;
        }
        table = c;
    }
    return table;
}

static bool set_key(tp *t, sh_toml *table, char **parts, size_t n, sh_toml *v, const char *at) {
    sh_toml *parent = descend(t, table, parts, n - 1, at, false);
    if (!parent) return false;
    if (child(parent, parts[n - 1])) {
        char *k = join_key(parts, n);
        terr(t, at, "duplicate key '%s'", k);
        free(k);
        return false;
    }
    push(parent, strdup(parts[n - 1]), v);
    return true;
}

sh_toml *sh_toml_parse(const char *text, size_t len, sh_diag *d) {
    tp t = {.p = text, .end = text + len, .start = text, .line = 1, .d = d};
    if (d) sh_diag_clear(d);
    if (!sh_utf8_valid(text, len)) {
        size_t i = 0;
        while (i < len && sh_utf8_valid(text, i + 1)) i++;
        terr(&t, text + i, "invalid UTF-8");
        return NULL;
    }
    sh_toml *root = node(SH_TOML_TABLE, 1);
    sh_toml *cur = root;
    for (;;) {
        skip_all(&t);
        if (t.p >= t.end) break;
        const char *at = t.p;
        if (*t.p == '[') {
            bool aot = t.end - t.p >= 2 && t.p[1] == '[';
            t.p += aot ? 2 : 1;
            char **parts;
            size_t n;
            if (!dotted_key(&t, &parts, &n)) goto fail;
            skip_ws(&t);
            if (t.p >= t.end || *t.p != ']' || (aot && (t.end - t.p < 2 || t.p[1] != ']'))) {
                free_parts(parts, n);
                terr(&t, t.p, "expected '%s' to close the table header", aot ? "]]" : "]");
                goto fail;
            }
            t.p += aot ? 2 : 1;
            sh_toml *parent = descend(&t, root, parts, n - 1, at, true);
            if (!parent) { free_parts(parts, n); goto fail; }
            sh_toml *c = child(parent, parts[n - 1]);
            if (aot) {
                if (!c) {
                    c = node(SH_TOML_ARRAY, t.line);
                    c->b = true; /* an array of tables */
                    push(parent, strdup(parts[n - 1]), c);
                } else if (c->type != SH_TOML_ARRAY || !c->b) {
                    char *k = join_key(parts, n);
                    terr(&t, at, "'%s' is not an array of tables", k);
                    free(k);
                    free_parts(parts, n);
                    goto fail;
                }
                sh_toml *tbl = node(SH_TOML_TABLE, t.line);
                tbl->i = TBL_DEFINED;
                push(c, NULL, tbl);
                cur = tbl;
            } else {
                if (!c) {
                    c = node(SH_TOML_TABLE, t.line);
                    push(parent, strdup(parts[n - 1]), c);
                } else if (c->type != SH_TOML_TABLE || c->i == TBL_DEFINED || c->i == TBL_INLINE) {
                    char *k = join_key(parts, n);
                    terr(&t, at, "table '%s' is defined twice", k);
                    free(k);
                    free_parts(parts, n);
                    goto fail;
                }
                c->i = TBL_DEFINED;
                c->line = t.line;
                cur = c;
            }
            free_parts(parts, n);
            if (!expect_eol(&t)) goto fail;
            continue;
        }
        char **parts;
        size_t n;
        if (!dotted_key(&t, &parts, &n)) goto fail;
        skip_ws(&t);
        if (t.p >= t.end || *t.p != '=') {
            free_parts(parts, n);
            terr(&t, t.p, "expected '=' after a key");
            goto fail;
        }
        t.p++;
        sh_toml *v = value(&t);
        if (!v) { free_parts(parts, n); goto fail; }
        if (!set_key(&t, cur, parts, n, v, at)) { free_parts(parts, n); sh_toml_free(v); goto fail; }
        free_parts(parts, n);
        if (!expect_eol(&t)) goto fail;
    }
    return root;
fail:
    sh_toml_free(root);
    return NULL;
}
