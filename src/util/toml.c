/* toml.c: a TOML 1.0 reader into a small tree (see toml.h). Hand-written
 * because Debian ships no C TOML library. It reads Elastic detection-rules
 * files and Elasticsearch's EQL test files, and refuses what TOML refuses
 * (duplicate keys, redefined tables, tables extended the wrong way, bad
 * numbers and dates) with the line, the column (in characters) and a reason.
 * Newlines inside multi-line strings come out as LF. One extension: a bare
 * `null` is accepted as an array item. */
#include "util/toml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define TOML_MAX_DEPTH 64   /* nested arrays / inline tables, and parts of one key */

/* While parsing, a TABLE node's `i` says how the table came to be (cleared
 * to 0 before the tree is returned); an ARRAY node's `b` marks an array of
 * tables ([[x]]), which stays set. */
enum {
    TBL_ROOT = 0,
    TBL_IMPLICIT,   /* a prefix of a [a.b.c] header: may still get its own header */
    TBL_HEADER,     /* defined by a [header] or an [[array]] element */
    TBL_DOTTED,     /* created by a dotted key (a.b = 1) */
    TBL_INLINE      /* an inline table { ... }: closed */
};

typedef struct tp {
    const char *p, *end, *start;
    long line;          /* line of p */
    sh_diag *d;
    bool failed;
    int depth;
    char scope[320];    /* the current [header]'s key, for messages */
} tp;

typedef struct keypath {
    char *part[TOML_MAX_DEPTH];
    size_t n;
} keypath;

/* ------------------------------------------------------------ errors */

/* the length of the UTF-8 sequence at p (1 for a bad byte) */
static size_t u8len(const char *p, const char *end) {
    unsigned char c = (unsigned char)*p;
    size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    if (n > (size_t)(end - p) || !sh_utf8_valid(p, n)) return 1;
    return n;
}

static unsigned long u8decode(const char *p, size_t n) {
    const unsigned char *s = (const unsigned char *)p;
    if (n == 1) return s[0];
    unsigned long cp = s[0] & (0x7f >> n);
    for (size_t i = 1; i < n; i++) cp = (cp << 6) | (s[i] & 0x3f);
    return cp;
}

/* a short description of the character at p for messages */
static const char *describe(const tp *t, const char *p, char out[24]) {
    if (p >= t->end) return "the end of the input";
    unsigned char c = (unsigned char)*p;
    if (c == '\n' || (c == '\r' && p + 1 < t->end && p[1] == '\n')) return "a newline";
    if (c > 0x20 && c < 0x7f) snprintf(out, 24, "'%c'", c);
    else snprintf(out, 24, "U+%04lX", u8decode(p, u8len(p, t->end)));
    return out;
}

static bool terr(tp *t, const char *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool terr(tp *t, const char *at, const char *fmt, ...) {
    if (t->failed) return false;
    t->failed = true;
    if (!t->d) return false;
    long line = 1, col = 1;
    for (const char *q = t->start; q < at && q < t->end; q += u8len(q, t->end)) {
        if (*q == '\n') line++, col = 1;
        else col++;
    }
    t->d->line = line;
    t->d->col = col;
    t->d->offset = at - t->start;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->d->msg, sizeof t->d->msg, fmt, ap);
    va_end(ap);
    return false;
}

/* ------------------------------------------------------------ the tree */

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

static char *xstrdup(const char *s) {
    char *p = strdup(s);
    if (!p) abort();
    return p;
}

/* append child (with key when parent is a table; key is taken over) */
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

static void clear_flags(sh_toml *t) {
    if (t->type == SH_TOML_TABLE) t->i = 0;
    if (t->type == SH_TOML_TABLE || t->type == SH_TOML_ARRAY)
        for (size_t i = 0; i < t->n; i++) clear_flags(t->items[i]);
}

/* ------------------------------------------------------------ blanks */

static bool is_control(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

static void skip_ws(tp *t) {
    while (t->p < t->end && (*t->p == ' ' || *t->p == '\t')) t->p++;
}

/* a comment runs to the end of the line; control characters are not allowed */
static bool skip_comment(tp *t) {
    if (t->p >= t->end || *t->p != '#') return true;
    for (; t->p < t->end && *t->p != '\n'; t->p++) {
        if (*t->p == '\r' && t->p + 1 < t->end && t->p[1] == '\n') continue;
        if (is_control((unsigned char)*t->p)) {
            char b[24];
            return terr(t, t->p, "control character %s in a comment", describe(t, t->p, b));
        }
    }
    return true;
}

/* a newline (LF or CRLF) at p? */
static size_t newline_at(const tp *t, const char *p) {
    if (p < t->end && *p == '\n') return 1;
    if (t->end - p >= 2 && p[0] == '\r' && p[1] == '\n') return 2;
    return 0;
}

/* whitespace, newlines and comments (between statements, inside arrays) */
static bool skip_blank(tp *t) {
    for (;;) {
        skip_ws(t);
        if (!skip_comment(t)) return false;
        size_t nl = newline_at(t, t->p);
        if (!nl) return true;
        t->p += nl;
        t->line++;
    }
}

static bool expect_eol(tp *t) {
    skip_ws(t);
    if (!skip_comment(t)) return false;
    if (t->p >= t->end || newline_at(t, t->p)) return true;
    char b[24];
    return terr(t, t->p, "expected the end of the line, found %s", describe(t, t->p, b));
}

/* ------------------------------------------------------------ strings */

static void put_utf8(sh_buf *b, unsigned long cp) {
    char o[4];
    sh_buf_put(b, o, sh_utf8_encode((uint32_t)cp, o));
}

static int hexval(char h) {
    if (h >= '0' && h <= '9') return h - '0';
    if (h >= 'a' && h <= 'f') return h - 'a' + 10;
    if (h >= 'A' && h <= 'F') return h - 'A' + 10;
    return -1;
}

/* \uXXXX or \UXXXXXXXX; t->p after the letter */
static bool unicode_escape(tp *t, sh_buf *b, const char *at, char letter) {
    int k = letter == 'u' ? 4 : 8;
    unsigned long cp = 0;
    for (int i = 0; i < k; i++) {
        int v = t->p + i < t->end ? hexval(t->p[i]) : -1;
        if (v < 0) return terr(t, at, "\\%c escape needs %d hex digits", letter, k);
        cp = cp * 16 + (unsigned long)v;
    }
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return terr(t, at, "escape \\%c%.*s is not a Unicode scalar value", letter, k, t->p);
    t->p += k;
    put_utf8(b, cp);
    return true;
}

/* one escape sequence; t->p at the backslash */
static bool escape(tp *t, sh_buf *b) {
    const char *at = t->p++;
    if (t->p >= t->end) return terr(t, at, "unterminated string");
    char c = *t->p++;
    switch (c) {
    case 'b': sh_buf_putc(b, '\b'); return true;
    case 't': sh_buf_putc(b, '\t'); return true;
    case 'n': sh_buf_putc(b, '\n'); return true;
    case 'f': sh_buf_putc(b, '\f'); return true;
    case 'r': sh_buf_putc(b, '\r'); return true;
    case '"': sh_buf_putc(b, '"'); return true;
    case '\\': sh_buf_putc(b, '\\'); return true;
    case 'u':
    case 'U': return unicode_escape(t, b, at, c);
    default: {
        char d[24];
        t->p--;
        return terr(t, at, "invalid escape sequence: backslash followed by %s", describe(t, t->p, d));
    }
    }
}

/* In a multi-line basic string, a backslash that ends a line (trailing
 * whitespace allowed) removes itself, the newline and all whitespace and
 * newlines after it. t->p at the backslash; false when it is not one. */
static bool line_ending_backslash(tp *t) {
    const char *r = t->p + 1;
    while (r < t->end && (*r == ' ' || *r == '\t')) r++;
    if (!newline_at(t, r)) return false;
    t->p = r;
    for (;;) {
        size_t nl = newline_at(t, t->p);
        if (nl) {
            t->p += nl;
            t->line++;
        } else if (t->p < t->end && (*t->p == ' ' || *t->p == '\t')) {
            t->p++;
        } else {
            return true;
        }
    }
}

/* at q q q in a multi-line string: up to two more quotes belong to the content */
static void close_multi(tp *t, sh_buf *b, char q) {
    int extra = 0;
    while (extra < 2 && t->end - t->p >= 4 + extra && t->p[3 + extra] == q) extra++;
    for (int i = 0; i < extra; i++) sh_buf_putc(b, q);
    t->p += 3 + extra;
}

/* a string of any of the four kinds; t->p at the opening quote(s) */
static bool string(tp *t, sh_buf *b) {
    char q = *t->p;
    const char *at = t->p;
    bool multi = t->end - t->p >= 3 && t->p[1] == q && t->p[2] == q;
    t->p += multi ? 3 : 1;
    size_t nl = multi ? newline_at(t, t->p) : 0;
    if (nl) t->p += nl, t->line++;   /* a newline right after the opening quotes is trimmed */
    for (;;) {
        if (t->p >= t->end) return terr(t, at, "unterminated string");
        char c = *t->p;
        if (c == q) {
            if (!multi) {
                t->p++;
                return true;
            }
            if (t->end - t->p >= 3 && t->p[1] == q && t->p[2] == q) {
                close_multi(t, b, q);
                return true;
            }
        } else if ((nl = newline_at(t, t->p)) != 0) {
            if (!multi) return terr(t, at, "unterminated string (a newline before the closing quote)");
            sh_buf_putc(b, '\n'); /* CRLF read as LF, whatever the platform the file came from */
            t->p += nl;
            t->line++;
            continue;
        } else if (c == '\\' && q == '"') {
            if (multi && line_ending_backslash(t)) continue;
            if (!escape(t, b)) return false;
            continue;
        } else if (is_control((unsigned char)c)) {
            char d[24];
            return terr(t, t->p, "control character %s in a string", describe(t, t->p, d));
        }
        sh_buf_putc(b, c);
        t->p++;
    }
}

/* ------------------------------------------------------------ keys */

static bool is_bare(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* one key part, bare or quoted, into a new string */
static char *key_part(tp *t) {
    skip_ws(t);
    sh_buf b = {0};
    if (t->p < t->end && (*t->p == '"' || *t->p == '\'')) {
        if (t->end - t->p >= 3 && t->p[1] == *t->p && t->p[2] == *t->p) {
            terr(t, t->p, "a key cannot be a multi-line string");
            return NULL;
        }
        if (!string(t, &b)) {
            sh_buf_free(&b);
            return NULL;
        }
    } else {
        const char *s = t->p;
        while (t->p < t->end && is_bare(*t->p)) t->p++;
        if (t->p == s) {
            char d[24];
            terr(t, t->p, "expected a key, found %s", describe(t, t->p, d));
            return NULL;
        }
        sh_buf_put(&b, s, (size_t)(t->p - s));
    }
    sh_buf_cstr(&b);
    return b.data;
}

static void key_free(keypath *k) {
    for (size_t i = 0; i < k->n; i++) free(k->part[i]);
    k->n = 0;
}

/* a dotted key: part ( '.' part )* */
static bool dotted_key(tp *t, keypath *k) {
    k->n = 0;
    for (;;) {
        if (k->n == TOML_MAX_DEPTH) {
            key_free(k);
            return terr(t, t->p, "a key may have at most %d parts", TOML_MAX_DEPTH);
        }
        char *part = key_part(t);
        if (!part) {
            key_free(k);
            return false;
        }
        k->part[k->n++] = part;
        skip_ws(t);
        if (t->p >= t->end || *t->p != '.') return true;
        t->p++;
    }
}

/* copy s into out (size outsz), cut at a character boundary when too long */
static void copy_text(char *out, size_t outsz, const char *s, size_t n) {
    if (n >= outsz) {
        n = outsz - 1;
        while (n && ((unsigned char)s[n] & 0xc0) == 0x80) n--;
    }
    memcpy(out, s, n);
    out[n] = 0;
}

/* "scope.a.b" for the first n parts of k (for messages; parts that are not
 * bare keys quoted, control characters escaped) */
static void key_text(const char *scope, const keypath *k, size_t n, char *out, size_t outsz) {
    sh_buf b = {0};
    sh_buf_puts(&b, scope);
    for (size_t i = 0; i < n; i++) {
        if (b.len) sh_buf_putc(&b, '.');
        bool bare = k->part[i][0] != 0;
        for (const char *c = k->part[i]; *c; c++) bare = bare && is_bare(*c);
        if (bare) {
            sh_buf_puts(&b, k->part[i]);
            continue;
        }
        sh_buf_putc(&b, '"');
        for (const char *c = k->part[i]; *c; c++) {
            if (is_control((unsigned char)*c)) sh_buf_printf(&b, "\\u%04X", (unsigned char)*c);
            else sh_buf_putc(&b, *c);
        }
        sh_buf_putc(&b, '"');
    }
    copy_text(out, outsz, sh_buf_cstr(&b), b.len);
    sh_buf_free(&b);
}

/* ------------------------------------------------------------ dates and numbers */

static bool digits(const char *s, int n) {
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

static int num2(const char *s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

/* YYYY-MM-DD with a real day of that month */
static bool valid_date(const char *s, size_t n) {
    if (n != 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2)) return false;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + num2(s + 2), m = num2(s + 5), d = num2(s + 8);
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

/* HH:MM:SS[.fraction]; returns the length used, 0 when not a time */
static size_t valid_time(const char *s, size_t n) {
    if (n < 8 || !digits(s, 2) || s[2] != ':' || !digits(s + 3, 2) || s[5] != ':' || !digits(s + 6, 2)) return 0;
    if (num2(s) > 23 || num2(s + 3) > 59 || num2(s + 6) > 60) return 0;
    size_t i = 8;
    if (i < n && s[i] == '.') {
        size_t k = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == k) return 0;
    }
    return i;
}

/* Z or +HH:MM / -HH:MM, exactly the rest of the text */
static bool valid_offset(const char *s, size_t n) {
    if (n == 1) return s[0] == 'Z' || s[0] == 'z';
    return n == 6 && (s[0] == '+' || s[0] == '-') && digits(s + 1, 2) && s[3] == ':' && digits(s + 4, 2) &&
           num2(s + 1) <= 23 && num2(s + 4) <= 59;
}

/* offset date-time, local date-time, local date, local time */
static bool valid_datetime(const char *s, size_t n) {
    size_t tl = valid_time(s, n);
    if (tl) return tl == n;
    if (n < 10 || !valid_date(s, 10)) return false;
    if (n == 10) return true;
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return false;
    tl = valid_time(s + 11, n - 11);
    if (!tl) return false;
    return 11 + tl == n || valid_offset(s + 11 + tl, n - 11 - tl);
}

static bool is_digit_of(char c, int base) {
    if (base == 16) return hexval(c) >= 0;
    return c >= '0' && c < '0' + (base < 10 ? base : 10);
}

/* copy s to out without underscores; each underscore must sit between two
 * digits of the base. False on a misplaced underscore. */
static bool strip_underscores(const char *s, int base, char *out) {
    size_t k = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '_') {
            if (i == 0 || !is_digit_of(s[i - 1], base) || !is_digit_of(s[i + 1], base)) return false;
            continue;
        }
        out[k++] = s[i];
    }
    out[k] = 0;
    return true;
}

/* [+-]? (0 | [1-9][0-9]*) ( . [0-9]+ )? ( [eE] [+-]? [0-9]+ )?; *is_float set */
static bool decimal_shape(const char *s, bool *is_float, bool *leading_zero) {
    size_t i = (s[0] == '+' || s[0] == '-');
    size_t k = i;
    while (s[i] >= '0' && s[i] <= '9') i++;
    if (i == k) return false;
    *leading_zero = s[k] == '0' && i - k > 1;
    *is_float = false;
    if (s[i] == '.') {
        *is_float = true;
        k = ++i;
        while (s[i] >= '0' && s[i] <= '9') i++;
        if (i == k) return false;
    }
    if (s[i] == 'e' || s[i] == 'E') {
        *is_float = true;
        i++;
        if (s[i] == '+' || s[i] == '-') i++;
        k = i;
        while (s[i] >= '0' && s[i] <= '9') i++;
        if (i == k) return false;
    }
    return s[i] == 0;
}

static sh_toml *number(tp *t, const char *at, const char *tok, long line) {
    char clean[128];
    int base = 10;
    const char *body = tok;
    if (tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'o' || tok[1] == 'b')) {
        base = tok[1] == 'x' ? 16 : tok[1] == 'o' ? 8 : 2;
        body = tok + 2;
    }
    bool is_float = false, lz = false;
    if (!strip_underscores(body, base, clean)) goto bad;
    if (base != 10) {
        if (!clean[0]) goto bad;
        for (const char *c = clean; *c; c++)
            if (!is_digit_of(*c, base)) goto bad;
    } else if (!decimal_shape(clean, &is_float, &lz)) {
        goto bad;
    }
    if (lz) {
        terr(t, at, "leading zeros are not allowed in '%s'", tok);
        return NULL;
    }
    errno = 0;
    if (is_float) {
        sh_toml *n = node(SH_TOML_FLOAT, line);
        n->f = strtod(clean, NULL);
        return n;
    }
    long long v = strtoll(clean, NULL, base);
    if (errno == ERANGE) {
        terr(t, at, "integer '%s' does not fit in 64 bits", tok);
        return NULL;
    }
    sh_toml *n = node(SH_TOML_INT, line);
    n->i = v;
    return n;
bad:
    terr(t, at, "invalid number '%s'", tok);
    return NULL;
}

/* where a bare value ends (control characters end it too, to be reported
 * as what follows the value) */
static bool is_delim(char c) { return is_control((unsigned char)c) || strchr(" \t\r\n,]}#", c) != NULL; }

/* the text of a bare value: up to a delimiter; a date and a time may be
 * separated by one space */
static size_t scalar_token(tp *t) {
    const char *s = t->p;
    while (t->p < t->end && !is_delim(*t->p)) t->p++;
    if (t->p - s == 10 && t->end - t->p >= 3 && *t->p == ' ' && digits(t->p + 1, 2) && valid_date(s, 10)) {
        t->p++;
        while (t->p < t->end && !is_delim(*t->p)) t->p++;
    }
    return (size_t)(t->p - s);
}

/* booleans, numbers, dates and (in arrays) null */
static sh_toml *scalar(tp *t, bool in_array) {
    const char *s = t->p;
    long line = t->line;
    size_t n = scalar_token(t);
    char tok[128];
    if (n == 0) {
        char d[24];
        terr(t, s, "expected a value, found %s", describe(t, s, d));
        return NULL;
    }
    if (n >= sizeof tok) {
        copy_text(tok, 21, s, n);
        terr(t, s, "invalid value '%s...'", tok);
        return NULL;
    }
    memcpy(tok, s, n);
    tok[n] = 0;
    if (!strcmp(tok, "true") || !strcmp(tok, "false")) {
        sh_toml *v = node(SH_TOML_BOOL, line);
        v->b = tok[0] == 't';
        return v;
    }
    if (!strcmp(tok, "null")) {
        if (in_array) return node(SH_TOML_NULL, line);
        terr(t, s, "null is only allowed inside arrays");
        return NULL;
    }
    const char *w = tok + (tok[0] == '+' || tok[0] == '-');
    if (!strcmp(w, "inf") || !strcmp(w, "nan")) {
        sh_toml *v = node(SH_TOML_FLOAT, line);
        v->f = w[0] == 'n' ? NAN : tok[0] == '-' ? -INFINITY : INFINITY;
        return v;
    }
    if ((n >= 10 && tok[4] == '-') || (n >= 8 && tok[2] == ':')) {
        if (!valid_datetime(tok, n)) {
            terr(t, s, "invalid date-time '%s'", tok);
            return NULL;
        }
        sh_toml *v = node(SH_TOML_DATETIME, line);
        v->str = xstrdup(tok);
        v->len = n;
        return v;
    }
    if ((w[0] >= '0' && w[0] <= '9') || w[0] == '.') return number(t, s, tok, line);
    terr(t, s, "invalid value '%s' (strings must be quoted)", tok);
    return NULL;
}

/* ------------------------------------------------------------ values */

static sh_toml *value(tp *t, bool in_array);
static bool set_key(tp *t, sh_toml *table, const char *scope, keypath *k, sh_toml *v, const char *at);

static sh_toml *array(tp *t) {
    sh_toml *a = node(SH_TOML_ARRAY, t->line);
    t->p++;
    for (;;) {
        if (!skip_blank(t)) break;
        if (t->p < t->end && *t->p == ']') {
            t->p++;
            return a;
        }
        sh_toml *v = value(t, true);
        if (!v) break;
        push(a, NULL, v);
        if (!skip_blank(t)) break;
        if (t->p < t->end && *t->p == ',') {
            t->p++;
            continue;
        }
        if (t->p < t->end && *t->p == ']') {
            t->p++;
            return a;
        }
        char d[24];
        if (t->p >= t->end) terr(t, t->p, "unterminated array");
        else terr(t, t->p, "expected ',' or ']' in an array, found %s", describe(t, t->p, d));
        break;
    }
    sh_toml_free(a);
    return NULL;
}

/* one key = value (in the current table or inside { }); scope names the
 * table for messages */
static bool inline_keyval(tp *t, sh_toml *tbl, const char *scope) {
    keypath k;
    skip_ws(t);
    const char *at = t->p;
    if (!dotted_key(t, &k)) return false;
    skip_ws(t);
    bool ok = false;
    char d[24];
    if (t->p >= t->end || *t->p != '=') {
        terr(t, t->p, "expected '=' after a key, found %s", describe(t, t->p, d));
    } else {
        t->p++;
        sh_toml *v = value(t, false);
        ok = v && set_key(t, tbl, scope, &k, v, at);
        if (v && !ok) sh_toml_free(v);
    }
    key_free(&k);
    return ok;
}

/* { key = value, ... } on one line, no trailing comma (TOML 1.0) */
static sh_toml *inline_table(tp *t) {
    sh_toml *tbl = node(SH_TOML_TABLE, t->line);
    tbl->i = TBL_INLINE;
    t->p++;
    skip_ws(t);
    if (t->p < t->end && *t->p == '}') {
        t->p++;
        return tbl;
    }
    for (;;) {
        if (!inline_keyval(t, tbl, "")) break;
        skip_ws(t);
        if (t->p < t->end && *t->p == ',') {
            t->p++;
            continue;
        }
        if (t->p < t->end && *t->p == '}') {
            t->p++;
            return tbl;
        }
        char d[24];
        if (t->p >= t->end) terr(t, t->p, "unterminated inline table");
        else terr(t, t->p, "expected ',' or '}' in an inline table, found %s", describe(t, t->p, d));
        break;
    }
    sh_toml_free(tbl);
    return NULL;
}

static sh_toml *value(tp *t, bool in_array) {
    skip_ws(t);
    if (t->p >= t->end) {
        terr(t, t->p, "expected a value, found the end of the input");
        return NULL;
    }
    char c = *t->p;
    if (c == '"' || c == '\'') {
        long line = t->line;
        sh_buf b = {0};
        if (!string(t, &b)) {
            sh_buf_free(&b);
            return NULL;
        }
        sh_toml *n = node(SH_TOML_STRING, line);
        sh_buf_cstr(&b);
        n->str = b.data;
        n->len = b.len;
        return n;
    }
    if (c != '[' && c != '{') return scalar(t, in_array);
    if (t->depth >= TOML_MAX_DEPTH) {
        terr(t, t->p, "arrays and inline tables nested deeper than %d", TOML_MAX_DEPTH);
        return NULL;
    }
    t->depth++;
    sh_toml *v = c == '[' ? array(t) : inline_table(t);
    t->depth--;
    return v;
}

/* ------------------------------------------------------------ tables */

static sh_toml *child(sh_toml *t, const char *key) { return (sh_toml *)sh_toml_get(t, key); }

static sh_toml *new_table(tp *t, sh_toml *parent, const char *key, long kind) {
    sh_toml *c = node(SH_TOML_TABLE, t->line);
    c->i = kind;
    push(parent, xstrdup(key), c);
    return c;
}

/* why c (named name) cannot be used as a table */
static bool not_a_table(tp *t, const char *at, const sh_toml *c, const char *name) {
    if (c->type == SH_TOML_TABLE) return terr(t, at, "inline table '%s' cannot be extended", name);
    if (c->type == SH_TOML_ARRAY && c->b) return terr(t, at, "'%s' is an array of tables, not a table", name);
    return terr(t, at, "'%s' is already a value, not a table", name);
}

/* The prefix of a [header]: walks (creating) tables; an array of tables
 * stands for its last element. Inline tables and values end the walk. */
static sh_toml *header_prefix(tp *t, sh_toml *table, const keypath *k, size_t n, const char *at) {
    for (size_t i = 0; i < n; i++) {
        sh_toml *c = child(table, k->part[i]);
        char name[300];
        if (!c) {
            c = new_table(t, table, k->part[i], TBL_IMPLICIT);
        } else if (c->type == SH_TOML_ARRAY && c->b) {
            c = c->items[c->n - 1];
        } else if (c->type != SH_TOML_TABLE || c->i == TBL_INLINE) {
            key_text("", k, i + 1, name, sizeof name);
            return not_a_table(t, at, c, name), NULL;
        }
        table = c;
    }
    return table;
}

/* The prefix of a dotted key: only tables made by dotted keys in this same
 * table may be extended. */
static sh_toml *dotted_prefix(tp *t, sh_toml *table, const char *scope, const keypath *k, size_t n, const char *at) {
    for (size_t i = 0; i < n; i++) {
        sh_toml *c = child(table, k->part[i]);
        char name[300];
        if (!c) {
            c = new_table(t, table, k->part[i], TBL_DOTTED);
        } else if (c->type != SH_TOML_TABLE || c->i == TBL_INLINE) {
            key_text(scope, k, i + 1, name, sizeof name);
            return not_a_table(t, at, c, name), NULL;
        } else if (c->i != TBL_DOTTED) {
            key_text(scope, k, i + 1, name, sizeof name);
            return terr(t, at, "table '%s' has a [header] and cannot be extended with dotted keys", name), NULL;
        }
        table = c;
    }
    return table;
}

static bool set_key(tp *t, sh_toml *table, const char *scope, keypath *k, sh_toml *v, const char *at) {
    sh_toml *parent = dotted_prefix(t, table, scope, k, k->n - 1, at);
    if (!parent) return false;
    if (child(parent, k->part[k->n - 1])) {
        char name[300];
        key_text(scope, k, k->n, name, sizeof name);
        return terr(t, at, "duplicate key '%s'", name);
    }
    push(parent, xstrdup(k->part[k->n - 1]), v);
    return true;
}

/* [[a.b]]: a new element of an array of tables */
static sh_toml *array_header(tp *t, sh_toml *parent, const keypath *k, const char *at) {
    const char *last = k->part[k->n - 1];
    sh_toml *c = child(parent, last);
    if (!c) {
        c = node(SH_TOML_ARRAY, t->line);
        c->b = true;
        push(parent, xstrdup(last), c);
    } else if (c->type != SH_TOML_ARRAY || !c->b) {
        char name[300];
        key_text("", k, k->n, name, sizeof name);
        terr(t, at, "'%s' is already defined and is not an array of tables", name);
        return NULL;
    }
    sh_toml *tbl = node(SH_TOML_TABLE, t->line);
    tbl->i = TBL_HEADER;
    push(c, NULL, tbl);
    return tbl;
}

/* [a.b]: a table, defined once */
static sh_toml *table_header(tp *t, sh_toml *parent, const keypath *k, const char *at) {
    sh_toml *c = child(parent, k->part[k->n - 1]);
    if (!c) return new_table(t, parent, k->part[k->n - 1], TBL_HEADER);
    char name[300];
    key_text("", k, k->n, name, sizeof name);
    if (c->type == SH_TOML_TABLE && c->i == TBL_IMPLICIT) {
        c->i = TBL_HEADER;
        c->line = t->line;
        return c;
    }
    if (c->type == SH_TOML_TABLE && c->i == TBL_DOTTED)
        terr(t, at, "table '%s' was made with dotted keys and cannot get a [header]", name);
    else if (c->type == SH_TOML_TABLE && c->i == TBL_HEADER)
        terr(t, at, "table '%s' is defined twice", name);
    else
        not_a_table(t, at, c, name);
    return NULL;
}

/* a [table] or [[array]] header line; returns the new current table */
static sh_toml *header(tp *t, sh_toml *root) {
    const char *at = t->p;
    bool aot = t->end - t->p >= 2 && t->p[1] == '[';
    t->p += aot ? 2 : 1;
    keypath k;
    if (!dotted_key(t, &k)) return NULL;
    skip_ws(t);
    sh_toml *cur = NULL;
    if (t->p >= t->end || *t->p != ']' || (aot && (t->end - t->p < 2 || t->p[1] != ']'))) {
        char d[24];
        const char *bad = t->p < t->end && *t->p == ']' ? t->p + 1 : t->p;
        terr(t, bad, "expected '%s' to close the table header, found %s", aot ? "]]" : "]", describe(t, bad, d));
    } else {
        t->p += aot ? 2 : 1;
        sh_toml *parent = header_prefix(t, root, &k, k.n - 1, at);
        if (parent) cur = aot ? array_header(t, parent, &k, at) : table_header(t, parent, &k, at);
        key_text("", &k, k.n, t->scope, sizeof t->scope);
    }
    key_free(&k);
    if (cur && !expect_eol(t)) return NULL;
    return cur;
}

static bool keyval(tp *t, sh_toml *cur) {
    if (!inline_keyval(t, cur, t->scope)) return false;
    return expect_eol(t);
}

/* the offset of the first byte that is not valid UTF-8 */
static size_t bad_utf8_at(const char *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        size_t n = u8len(s + i, s + len);
        if (n == 1 && (unsigned char)s[i] >= 0x80) return i;
        i += n;
    }
    return len;
}

sh_toml *sh_toml_parse(const char *text, size_t len, sh_diag *d) {
    tp t = {.p = text, .end = text + len, .start = text, .line = 1, .d = d};
    if (d) sh_diag_clear(d);
    if (!sh_utf8_valid(text, len)) {
        terr(&t, text + bad_utf8_at(text, len), "invalid UTF-8");
        return NULL;
    }
    if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) t.p += 3;   /* byte order mark */
    sh_toml *root = node(SH_TOML_TABLE, 1);
    sh_toml *cur = root;
    for (;;) {
        if (!skip_blank(&t)) goto fail;
        if (t.p >= t.end) break;
        if (*t.p == '[') {
            cur = header(&t, root);
            if (!cur) goto fail;
        } else if (!keyval(&t, cur)) {
            goto fail;
        }
    }
    clear_flags(root);
    return root;
fail:
    sh_toml_free(root);
    return NULL;
}
