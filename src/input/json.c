/* json.c: a strict JSON parser that flattens one object straight into an
 * event (see json.h). The text is copied once into the event's arena and
 * strings are decoded in place; a second copy is kept only when the caller
 * wants the original document for output. */
#include "input/json.h"

#include <stdarg.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "event/fieldmap.h"

#define JSON_MAX_DEPTH 256

enum name_mode { MODE_PLAIN, MODE_WINEVENT };

typedef struct jp {
    char *p, *end, *start;   /* working copy (mutable) */
    sh_event *e;
    sh_diag *d;
    sh_buf path;             /* current dotted prefix */
    int depth;
    int array_depth;         /* > 0 inside an array: values are array members */
    int mode;
    bool unwrap;
    bool failed;
} jp;

static bool fail(jp *j, const char *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(jp *j, const char *at, const char *fmt, ...) {
    if (j->failed) return false;
    j->failed = true;
    if (j->d) {
        j->d->col = (long)(at - j->start) + 1;
        j->d->offset = at - j->start;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(j->d->msg, sizeof j->d->msg, fmt, ap);
        va_end(ap);
    }
    return false;
}

static const char *char_desc(const char *p, const char *end, char buf[16]) {
    if (p >= end) return "end of input";
    unsigned char c = (unsigned char)*p;
    if (c >= 0x20 && c < 0x7f) snprintf(buf, 16, "'%c'", c);
    else snprintf(buf, 16, "byte 0x%02x", c);
    return buf;
}

static void skip_ws(jp *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t')) j->p++;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool read_u4(jp *j, const char *q, unsigned *out) {
    if (j->end - q < 4) return fail(j, q, "%s", "truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(q[i]);
        if (h < 0) return fail(j, q + i, "%s", "invalid hex digit in \\u escape");
        v = v * 16 + (unsigned)h;
    }
    *out = v;
    return true;
}

/* true when the 8 bytes of w hold a '"', a '\\' or a byte below 0x20 */
static inline bool has_special(uint64_t w) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    uint64_t zq = (q - ones) & ~q, zb = (b - ones) & ~b, lo = (w - ones * 0x20) & ~w;
    return ((zq | zb | lo) & highs) != 0;
}

/* j->p at the opening quote; decodes in place, NUL-terminates. */
static bool parse_string(jp *j, char **out, size_t *outlen) {
    char *q = ++j->p, *o = q, *s = q;
    /* fast path: plain bytes need neither decoding nor moving */
    while (j->end - q >= 8) {
        uint64_t w;
        memcpy(&w, q, 8);
        if (has_special(w)) break;
        q += 8;
    }
    o = q;
    for (;;) {
        if (q >= j->end) return fail(j, s - 1, "%s", "unterminated string");
        unsigned char c = (unsigned char)*q;
        if (c == '"') break;
        if (c < 0x20) return fail(j, q, "%s", "control character in string");
        if (c != '\\') { *o++ = *q++; continue; }
        if (q + 1 >= j->end) return fail(j, s - 1, "%s", "unterminated string");
        char esc = q[1];
        q += 2;
        switch (esc) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp;
            if (!read_u4(j, q, &cp)) return false;
            q += 4;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                unsigned lo;
                if (j->end - q < 6 || q[0] != '\\' || q[1] != 'u' || !read_u4(j, q + 2, &lo) ||
                    lo < 0xdc00 || lo > 0xdfff)
                    return fail(j, q - 6, "%s", "lone surrogate in \\u escape");
                q += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                return fail(j, q - 6, "%s", "lone surrogate in \\u escape");
            }
            o += sh_utf8_encode(cp, o);
            break;
        }
        default: return fail(j, q - 2, "%s", "invalid escape in string");
        }
    }
    *o = 0;
    *out = s;
    *outlen = (size_t)(o - s);
    j->p = q + 1;
    return true;
}

/* ------------------------------------------------------------ field names */

static bool has_prefix(const char *s, size_t n, const char *pre) {
    size_t k = strlen(pre);
    return n >= k && memcmp(s, pre, k) == 0;
}

/* Map a dotted path under an {"Event":{...}} rendering to the flat Windows
 * name. Returns false when the path is to be dropped. */
static bool winevent_name(const char *s, size_t n, sh_buf *out) {
    sh_buf_clear(out);
    if (!has_prefix(s, n, "Event.")) { sh_buf_put(out, s, n); return true; }
    s += 6, n -= 6;
    if (has_prefix(s, n, "#attributes")) return false;
    if (has_prefix(s, n, "System.")) s += 7, n -= 7;
    else if (has_prefix(s, n, "EventData.")) s += 10, n -= 10;
    else if (has_prefix(s, n, "UserData.")) {
        s += 9, n -= 9;
        const char *dot = memchr(s, '.', n);
        if (dot) { n -= (size_t)(dot + 1 - s); s = dot + 1; }
    }
    if (n == 34 && memcmp(s, "TimeCreated.#attributes.SystemTime", 34) == 0) { sh_buf_puts(out, "TimeCreated"); return true; }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.' && i + 1 < n && s[i + 1] == '#') {
            if (has_prefix(s + i + 1, n - i - 1, "#text")) { i += 5; continue; }
            if (has_prefix(s + i + 1, n - i - 1, "#attributes.")) { sh_buf_putc(out, '_'); i += 12; continue; }
        }
        sh_buf_putc(out, s[i]);
    }
    return true;
}

static sh_field *current_field(jp *j, sh_buf *tmp) {
    const char *name = j->path.data;
    size_t n = j->path.len;
    if (j->mode == MODE_WINEVENT) {
        if (!winevent_name(name, n, tmp)) return NULL;
        name = tmp->data, n = tmp->len;
    }
    if (n == 0) name = "_value", n = 6;
    return sh_event_field_get_or_add(j->e, name, n, NULL);
}

static void add_scalar(jp *j, const sh_value *v, bool in_array) {
    sh_buf tmp = {0};
    sh_field *f = current_field(j, &tmp);
    sh_buf_free(&tmp);
    if (!f) return;
    if (in_array || j->array_depth) f->is_array = true;
    sh_event_add_value(j->e, f, v);
}

/* ------------------------------------------------------------ values */

static bool parse_value(jp *j, bool in_array);

static bool parse_number(jp *j, bool in_array) {
    char *s = j->p, *q = s;
    if (q < j->end && *q == '-') q++;
    if (q >= j->end || *q < '0' || *q > '9') return fail(j, s, "%s", "invalid number");
    if (*q == '0') q++;
    else while (q < j->end && *q >= '0' && *q <= '9') q++;
    bool is_int = true;
    if (q < j->end && *q == '.') {
        is_int = false;
        q++;
        if (q >= j->end || *q < '0' || *q > '9') return fail(j, q, "%s", "invalid number: digit expected after '.'");
        while (q < j->end && *q >= '0' && *q <= '9') q++;
    }
    if (q < j->end && (*q == 'e' || *q == 'E')) {
        is_int = false;
        q++;
        if (q < j->end && (*q == '+' || *q == '-')) q++;
        if (q >= j->end || *q < '0' || *q > '9') return fail(j, q, "%s", "invalid number: digit expected in exponent");
        while (q < j->end && *q >= '0' && *q <= '9') q++;
    }
    size_t n = (size_t)(q - s);
    char *text = sh_arena_strndup(&j->e->arena, s, n);
    sh_value v = {.s = text, .len = (uint32_t)n};
    if (is_int) {
        char *endp;
        errno = 0;
        long long x = strtoll(text, &endp, 10);
        if (errno == 0) { v.type = SH_INT; v.i = x; v.f = (double)x; }
        else is_int = false;
    }
    if (!is_int) {
        v.type = SH_FLOAT;
        v.f = strtod(text, NULL);
        v.i = (v.f > -9.2e18 && v.f < 9.2e18) ? (int64_t)v.f : 0;
    }
    j->p = q;
    add_scalar(j, &v, in_array);
    return true;
}

static bool parse_literal(jp *j, const char *word, sh_value v, bool in_array) {
    size_t k = strlen(word);
    if ((size_t)(j->end - j->p) < k || memcmp(j->p, word, k) != 0) {
        char b[16];
        return fail(j, j->p, "unexpected %s", char_desc(j->p, j->end, b));
    }
    j->p += k;
    add_scalar(j, &v, in_array);
    return true;
}

static bool parse_object(jp *j) {
    if (++j->depth > JSON_MAX_DEPTH) return fail(j, j->p, "%s", "nesting deeper than 256");
    j->p++; /* { */
    skip_ws(j);
    if (j->p < j->end && *j->p == '}') { j->p++; j->depth--; return true; }
    for (;;) {
        skip_ws(j);
        char b[16];
        if (j->p >= j->end || *j->p != '"')
            return fail(j, j->p, "expected a string key, found %s", char_desc(j->p, j->end, b));
        char *key;
        size_t klen;
        if (!parse_string(j, &key, &klen)) return false;
        skip_ws(j);
        if (j->p >= j->end || *j->p != ':')
            return fail(j, j->p, "expected ':' after key, found %s", char_desc(j->p, j->end, b));
        j->p++;
        skip_ws(j);
        size_t saved = j->path.len;
        bool source_unwrap = j->unwrap && j->depth == 1 && klen == 7 && memcmp(key, "_source", 7) == 0 &&
                             j->p < j->end && *j->p == '{';
        if (!source_unwrap) {
            if (j->path.len) sh_buf_putc(&j->path, '.');
            sh_buf_put(&j->path, key, klen);
        }
        if (!parse_value(j, false)) return false;
        j->path.len = saved;
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') { j->p++; continue; }
        if (j->p < j->end && *j->p == '}') { j->p++; break; }
        return fail(j, j->p, "expected ',' or '}' in object, found %s", char_desc(j->p, j->end, b));
    }
    j->depth--;
    return true;
}

static bool parse_array(jp *j) {
    if (++j->depth > JSON_MAX_DEPTH) return fail(j, j->p, "%s", "nesting deeper than 256");
    j->p++; /* [ */
    skip_ws(j);
    if (j->p < j->end && *j->p == ']') {
        /* an empty array is kept as a field with no values */
        sh_buf tmp = {0};
        sh_field *f = current_field(j, &tmp);
        sh_buf_free(&tmp);
        if (f) f->is_array = true;
        j->p++;
        j->depth--;
        return true;
    }
    j->array_depth++;
    for (;;) {
        skip_ws(j);
        if (!parse_value(j, true)) return false;
        skip_ws(j);
        char b[16];
        if (j->p < j->end && *j->p == ',') { j->p++; continue; }
        if (j->p < j->end && *j->p == ']') { j->p++; break; }
        return fail(j, j->p, "expected ',' or ']' in array, found %s", char_desc(j->p, j->end, b));
    }
    j->array_depth--;
    j->depth--;
    return true;
}

/* "Event.EventData.Data" in a Windows rendering */
static bool at_eventdata_data(const jp *j) {
    static const char tail[] = "EventData.Data";
    size_t n = j->path.len, k = sizeof tail - 1;
    return j->mode == MODE_WINEVENT && n >= k && memcmp(j->path.data + n - k, tail, k) == 0 &&
           (n == k || j->path.data[n - k - 1] == '.');
}

static sh_field *first_of(sh_event *t, const char *const *names) {
    for (; *names; names++) {
        sh_field *f = sh_event_find_cstr(t, *names);
        if (f && f->nvals) return f;
    }
    return NULL;
}

static void copy_value(sh_event *e, sh_field *to, const sh_value *v) {
    sh_value c = *v;
    if (v->type != SH_NULL && v->type != SH_BOOL) c.s = sh_arena_strndup(&e->arena, v->s, v->len);
    sh_event_add_value(e, to, &c);
}

/* One <Data Name="X">v</Data> as converters render it: {"@Name":"X","#text":"v"}
 * (or Name / #attributes.Name, and #text / text / Value): becomes field X.
 * Anything else keeps its keys under Data.* so nothing is lost. */
static bool parse_data_object(jp *j) {
    static const char *const name_keys[] = {"@Name", "Name", "#attributes.Name", "_Name", NULL};
    static const char *const text_keys[] = {"#text", "text", "Value", "value", "$", NULL};
    sh_event *t = sh_event_new();
    jp sub = *j;
    sub.e = t;
    sub.path = (sh_buf){0};
    sub.mode = MODE_PLAIN;
    sub.array_depth = 0;
    bool ok = parse_object(&sub);
    j->p = sub.p;
    j->failed = sub.failed;
    sh_buf_free(&sub.path);
    if (ok) {
        sh_field *name = first_of(t, name_keys);
        if (name && name->vals[0].type == SH_STR && name->vals[0].len) {
            sh_field *to = sh_event_field_get_or_add(j->e, name->vals[0].s, name->vals[0].len, NULL);
            sh_field *text = first_of(t, text_keys);
            if (text) {
                for (uint32_t k = 0; k < text->nvals; k++) copy_value(j->e, to, &text->vals[k]);
            } else {
                sh_value empty = sh_value_str("", 0);
                sh_event_add_value(j->e, to, &empty);
            }
        } else {
            for (uint32_t i = 0; i < t->nfields; i++) {
                sh_buf nm = {0};
                sh_buf_printf(&nm, "Data.%s", t->fields[i]->name);
                sh_field *to = sh_event_field_get_or_add(j->e, nm.data, nm.len, NULL);
                for (uint32_t k = 0; k < t->fields[i]->nvals; k++) copy_value(j->e, to, &t->fields[i]->vals[k]);
                sh_buf_free(&nm);
            }
        }
    }
    sh_event_unref(t);
    return ok;
}

static bool parse_value(jp *j, bool in_array) {
    char b[16];
    if (j->p >= j->end) return fail(j, j->p, "%s", "unexpected end of input");
    if (*j->p == '{' && at_eventdata_data(j)) return parse_data_object(j);
    switch (*j->p) {
    case '{': return parse_object(j);
    case '[': return parse_array(j);
    case '"': {
        char *s;
        size_t n;
        if (!parse_string(j, &s, &n)) return false;
        sh_value v = sh_value_str(s, n);
        add_scalar(j, &v, in_array);
        return true;
    }
    case 't': { sh_value v = {.type = SH_BOOL, .b = true, .i = 1, .s = "true", .len = 4}; return parse_literal(j, "true", v, in_array); }
    case 'f': { sh_value v = {.type = SH_BOOL, .b = false, .s = "false", .len = 5}; return parse_literal(j, "false", v, in_array); }
    case 'n': return parse_literal(j, "null", sh_value_null(), in_array);
    default:
        if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) return parse_number(j, in_array);
        return fail(j, j->p, "unexpected %s", char_desc(j->p, j->end, b));
    }
}

static bool is_winevent_doc(const char *p, const char *end) {
    /* {"Event": { ... "System" ... } } at the top: cheap textual check */
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    if (p >= end || *p != '{') return false;
    p++;
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    return end - p > 8 && memcmp(p, "\"Event\"", 7) == 0;
}

bool sh_json_parse_event(const char *text, size_t len, sh_event *e, const sh_json_opts *o, sh_diag *d) {
    sh_json_opts def = {.keep_raw = false, .unwrap = true};
    if (!o) o = &def;
    size_t bad = sh_utf8_check(text, len);
    if (bad < len) {
        if (d) {
            d->col = (long)bad + 1;
            d->offset = (long long)bad;
            snprintf(d->msg, sizeof d->msg, "invalid UTF-8");
        }
        return false;
    }
    /* one block for the copy, the fields and (when kept) the raw text */
    sh_arena_reserve(&e->arena, (o->keep_raw ? 5 : 4) * len + 1024);
    jp j = {0};
    j.start = j.p = sh_arena_strndup(&e->arena, text, len);
    j.end = j.p + len;
    j.e = e;
    j.d = d;
    j.unwrap = o->unwrap;
    j.mode = (o->unwrap && is_winevent_doc(text, text + len)) ? MODE_WINEVENT : MODE_PLAIN;
    skip_ws(&j);
    char b[16];
    bool ok;
    if (j.p >= j.end) ok = fail(&j, j.p, "%s", "empty document");
    else if (*j.p != '{') ok = fail(&j, j.p, "top-level value is not an object (found %s)", char_desc(j.p, j.end, b));
    else ok = parse_object(&j);
    if (ok) {
        skip_ws(&j);
        if (j.p < j.end) ok = fail(&j, j.p, "unexpected %s after the document", char_desc(j.p, j.end, b));
    }
    sh_buf_free(&j.path);
    if (!ok) return false;
    if (o->keep_raw) {
        e->raw = sh_arena_strndup(&e->arena, text, len);
        e->raw_len = len;
        e->raw_kind = SH_RAW_JSON;
    }
    if (j.mode == MODE_WINEVENT) e->schema = SH_SCHEMA_WINDOWS;
    sh_event_finish(e);
    return true;
}

size_t sh_json_value_scan(const char *p, size_t n, long *lines, bool *invalid) {
    size_t i = 0;
    long nl = 0;
    int depth = 0;
    *invalid = false;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) {
        if (p[i] == '\n') nl++;
        i++;
    }
    if (i >= n) return 0;
    if (p[i] == ',' || p[i] == ']' || p[i] == '}' || p[i] == ':') {
        *invalid = true;
        return 0;
    }
    if (p[i] != '{' && p[i] != '[' && p[i] != '"') {
        /* scalar: up to a delimiter */
        size_t k = i;
        while (k < n && !strchr(",]} \t\r\n", p[k])) k++;
        if (k == n) return 0;
        if (lines) *lines = nl;
        return k;
    }
    for (; i < n; i++) {
        char c = p[i];
        if (c == '\n') nl++;
        else if (c == '"') {
            i++;
            while (i < n && p[i] != '"') {
                if (p[i] == '\\') i++;
                else if (p[i] == '\n') nl++;
                i++;
            }
            if (i >= n) return 0;
            if (depth == 0) { if (lines) *lines = nl; return i + 1; }
        } else if (c == '{' || c == '[') depth++;
        else if (c == '}' || c == ']') {
            if (--depth == 0) { if (lines) *lines = nl; return i + 1; }
        }
    }
    return 0;
}

size_t sh_json_value_span(const char *p, size_t n, long *lines) {
    bool invalid;
    return sh_json_value_scan(p, n, lines, &invalid);
}

void sh_json_minify(const char *text, size_t len, sh_buf *out) {
    sh_buf_reserve(out, len);
    size_t i = 0;
    while (i < len) {
        char c = text[i];
        if (c == '"') {
            size_t st = i++;
            while (i < len && text[i] != '"') i += (text[i] == '\\') ? 2 : 1;
            if (i < len) i++;
            if (i > len) i = len;
            sh_buf_put(out, text + st, i - st);
        } else {
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') sh_buf_putc(out, c);
            i++;
        }
    }
}
