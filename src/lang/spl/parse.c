/* parse.c: the SPL parser. Hand-written, because SPL's syntax depends on
 * the command: a search expression (field=value terms with wildcards,
 * implicit AND, OR, NOT, IN lists, bare terms, subsearches) is not an eval
 * expression (Splunk's expression language with functions and operators),
 * and each command has its own arguments. Everything lowers into the shared
 * IR with field references in the Splunk view. What shrike does not run
 * (tstats, data models, macros, lookups, other commands) is rejected with
 * the reason; the page-003 constructs Splunk itself does not accept are run
 * with a documented reading and a warning (docs/spl.md). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/eval_int.h"
#include "lang/spl/spl_int.h"

typedef struct P {
    spl_q *q;
    const char *s;
    size_t n, i;
    sh_diag *d;
    bool err;
    int depth;          /* subsearch nesting */
    int edepth;         /* expression nesting */
} P;

#define MAX_DEPTH 64

/* ------------------------------------------------------------- helpers */

static void *xcalloc(size_t n, size_t sz) {
    void *p = calloc(n ? n : 1, sz);
    if (!p) abort();
    return p;
}

static char *xstrndup(const char *s, size_t n) {
    char *p = malloc(n + 1);
    if (!p) abort();
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

static void pos_of(const P *p, size_t off, long *line, long *col) {
    long l = 1, c = 1;
    for (size_t k = 0; k < off && k < p->n; k++) {
        if (p->s[k] == '\n') l++, c = 1;
        else c++;
    }
    *line = l;
    *col = c;
}

static uint32_t line_at(const P *p, size_t off) {
    long l, c;
    pos_of(p, off, &l, &c);
    return (uint32_t)l;
}

__attribute__((format(printf, 3, 4))) static bool fail_at(P *p, size_t off, const char *fmt, ...) {
    if (p->err) return false;
    p->err = true;
    long l, c;
    pos_of(p, off, &l, &c);
    va_list ap;
    va_start(ap, fmt);
    char msg[400];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sh_diag_set(p->d, NULL, l, c, "%s", msg);
    return false;
}

#define FAIL(p, ...) fail_at((p), (p)->i, __VA_ARGS__)

void spl_warn(spl_q *q, const char *fmt, ...) {
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char **nw = realloc(q->warnings, (q->nwarnings + 2) * sizeof *nw);
    if (!nw) abort();
    q->warnings = nw;
    q->warnings[q->nwarnings++] = xstrndup(msg, strlen(msg));
    q->warnings[q->nwarnings] = NULL;
}

const sh_fieldref *spl_ref(const char *name, size_t n) { return sh_fieldref_get_view(name, n, SH_VIEW_SPLUNK); }

static sh_ir *field_ir(P *p, const char *name, size_t n) {
    sh_ir *f = sh_ir_field(&p->q->pool, name, n, false);
    f->ref = spl_ref(name, n);
    return f;
}

static void ws(P *p) {
    for (;;) {
        while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
            p->i++;
        /* ```comment``` */
        if (p->i + 3 <= p->n && memcmp(p->s + p->i, "```", 3) == 0) {
            const char *end = p->i + 3 < p->n ? memmem(p->s + p->i + 3, p->n - p->i - 3, "```", 3) : NULL;
            p->i = end ? (size_t)(end - p->s) + 3 : p->n;
            continue;
        }
        break;
    }
}

static char peek(P *p) { return p->i < p->n ? p->s[p->i] : 0; }

/* end of the current command: '|', the subsearch's ']', or the text's end */
static bool at_cmd_end(P *p) {
    ws(p);
    char c = peek(p);
    return c == 0 || c == '|' || (c == ']' && p->depth > 0);
}

static bool is_word_char(char c) {
    return c && !strchr(" \t\r\n()[]|=<>!,\"'", c);
}

static bool ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool ident_char(char c) { return ident_start(c) || (c >= '0' && c <= '9'); }

/* the keyword kw (case-insensitive) at the cursor, as a whole word */
static bool at_kw(P *p, const char *kw, bool any_case) {
    size_t k = strlen(kw);
    if (p->i + k > p->n) return false;
    if (any_case ? !sh_memieq(p->s + p->i, k, kw, k) : memcmp(p->s + p->i, kw, k) != 0) return false;
    char after = p->i + k < p->n ? p->s[p->i + k] : 0;
    return !(ident_char(after) || after == '.' || after == ':' || after == '*' || after == '=');
}

/* a double-quoted string: \\ is a backslash, \" a quote, any other backslash stays */
static char *read_quoted(P *p, size_t *len) {
    size_t st = p->i++;
    sh_buf b = {0};
    while (p->i < p->n && p->s[p->i] != '"') {
        char c = p->s[p->i];
        if (c == '\\' && p->i + 1 < p->n && (p->s[p->i + 1] == '\\' || p->s[p->i + 1] == '"')) {
            sh_buf_putc(&b, p->s[p->i + 1]);
            p->i += 2;
            continue;
        }
        sh_buf_putc(&b, c);
        p->i++;
    }
    if (p->i >= p->n) {
        sh_buf_free(&b);
        fail_at(p, st, "unterminated string: no closing '\"'");
        return NULL;
    }
    p->i++;
    *len = b.len;
    char *out = xstrndup(b.data ? b.data : "", b.len);
    sh_buf_free(&b);
    return out;
}

/* an unquoted search value: up to whitespace or one of ( ) [ ] | , with \\ and \" unescaped */
static char *read_bare(P *p, size_t *len, bool stop_at_ops) {
    sh_buf b = {0};
    while (p->i < p->n) {
        char c = p->s[p->i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')' || c == '[' || c == ']' ||
            c == '|' || c == ',' || c == '"')
            break;
        if (stop_at_ops && (c == '=' || c == '<' || c == '>' || c == '!')) break;
        if (c == '\\' && p->i + 1 < p->n && (p->s[p->i + 1] == '\\' || p->s[p->i + 1] == '"')) {
            sh_buf_putc(&b, p->s[p->i + 1]);
            p->i += 2;
            continue;
        }
        sh_buf_putc(&b, c);
        p->i++;
    }
    *len = b.len;
    char *out = xstrndup(b.data ? b.data : "", b.len);
    sh_buf_free(&b);
    return out;
}

static char *read_value(P *p, size_t *len) {
    ws(p);
    if (peek(p) == '"') return read_quoted(p, len);
    return read_bare(p, len, false);
}

/* a field name in a command's argument list: a word, or a 'quoted' / "quoted" name */
static char *read_name(P *p, size_t *len) {
    ws(p);
    if (peek(p) == '\'') {
        size_t st = ++p->i;
        while (p->i < p->n && p->s[p->i] != '\'') p->i++;
        if (p->i >= p->n) { fail_at(p, st - 1, "unterminated field name: no closing \"'\""); return NULL; }
        *len = p->i - st;
        p->i++;
        return xstrndup(p->s + st, *len);
    }
    if (peek(p) == '"') return read_quoted(p, len);
    size_t st = p->i;
    while (p->i < p->n && is_word_char(p->s[p->i])) p->i++;
    *len = p->i - st;
    if (!*len) return NULL;
    return xstrndup(p->s + st, *len);
}

/* with_ref: resolve the name in the Splunk view, unless it is a pattern (table, fields) */
static void push_name_ref(spl_cmd *c, char *name, size_t n, bool with_ref, bool literal);
static void push_name(spl_cmd *c, char *name, size_t n, bool with_ref) { push_name_ref(c, name, n, with_ref, false); }

static void push_name_ref(spl_cmd *c, char *name, size_t n, bool with_ref, bool literal) {
    c->names = realloc(c->names, (c->n + 1) * sizeof *c->names);
    c->refs = realloc(c->refs, (c->n + 1) * sizeof *c->refs);
    if (!c->names || !c->refs) abort();
    c->names[c->n] = name;
    c->refs[c->n] = with_ref && (literal || !strchr(name, '*')) ? spl_ref(name, n) : NULL;
    c->n++;
}

/* ------------------------------------------------------- search terms */

static spl_cond *cond_ir(sh_ir *ir) {
    spl_cond *c = xcalloc(1, sizeof *c);
    c->kind = SC_IR;
    c->ir = ir;
    return c;
}

void spl_cond_free(spl_cond *c) {
    if (!c) return;
    for (uint32_t i = 0; i < c->nargs; i++) spl_cond_free(c->args[i]);
    free(c->args);
    spl_pipe_free(c->sub);
    free(c);
}

/* AND / OR of conditions: one IR node when every part is IR */
static spl_cond *cond_join(P *p, spl_cond_kind kind, spl_cond **parts, uint32_t n) {
    if (n == 1) {
        spl_cond *one = parts[0];
        free(parts);
        return one;
    }
    bool all_ir = true;
    for (uint32_t i = 0; i < n; i++) all_ir &= parts[i]->kind == SC_IR;
    if (all_ir) {
        sh_ir *node = sh_ir_new(&p->q->pool, kind == SC_AND ? SH_IR_AND : SH_IR_OR, n);
        for (uint32_t i = 0; i < n; i++) {
            node->args[i] = parts[i]->ir;
            free(parts[i]);
        }
        free(parts);
        return cond_ir(node);
    }
    spl_cond *c = xcalloc(1, sizeof *c);
    c->kind = kind;
    c->args = parts;
    c->nargs = n;
    return c;
}

static spl_cond *cond_not(P *p, spl_cond *a) {
    if (a->kind == SC_IR) {
        sh_ir *node = sh_ir_unary(&p->q->pool, SH_IR_NOT, a->ir);
        node->flags |= SH_IRF_TWOVALUED; /* NOT x=1 takes the events without x */
        a->ir = node;
        return a;
    }
    spl_cond *c = xcalloc(1, sizeof *c);
    c->kind = SC_NOT;
    c->args = xcalloc(1, sizeof *c->args);
    c->args[0] = a;
    c->nargs = 1;
    return c;
}

static sh_ir *wild_ir(P *p, sh_ir *subject, const char *v, size_t n) {
    const char *pats[1] = {v};
    uint32_t lens[1] = {(uint32_t)n};
    return sh_ir_wildcard(&p->q->pool, subject, pats, lens, 1, true);
}

static sh_ir *value_lit(P *p, const char *v, size_t n) {
    sh_value num;
    if (sh_parse_num(v, n, &num)) {
        return num.type == SH_INT ? sh_ir_lit_int(&p->q->pool, num.i) : sh_ir_lit_float(&p->q->pool, num.f);
    }
    return sh_ir_lit_str(&p->q->pool, v, n);
}

static spl_pipe *parse_pipeline(P *p, bool sub);
static spl_cond *parse_or(P *p);

/* field=value, field!=value, field<value ..., as IR */
static sh_ir *field_term(P *p, const char *f, size_t fn, const char *op, const char *v, size_t vn) {
    sh_irpool *pool = &p->q->pool;
    if (strcmp(op, "=") == 0 || strcmp(op, "==") == 0) {
        if (vn == 1 && v[0] == '*') {
            sh_ir *has = sh_ir_unary(pool, SH_IR_ISNULL, field_ir(p, f, fn));
            has->flags |= SH_IRF_NEGATE;
            return has;
        }
        return wild_ir(p, field_ir(p, f, fn), v, vn);
    }
    if (strcmp(op, "!=") == 0) {
        /* the field is there and no value matches */
        sh_ir *has = sh_ir_unary(pool, SH_IR_ISNULL, field_ir(p, f, fn));
        has->flags |= SH_IRF_NEGATE;
        sh_ir *w = wild_ir(p, field_ir(p, f, fn), v, vn);
        w->flags |= SH_IRF_NEGATE;
        sh_ir *and = sh_ir_new(pool, SH_IR_AND, 2);
        and->args[0] = has;
        and->args[1] = w;
        return and;
    }
    uint8_t cop = strcmp(op, "<") == 0 ? SH_CMP_LT : strcmp(op, "<=") == 0 ? SH_CMP_LE
                  : strcmp(op, ">") == 0 ? SH_CMP_GT : SH_CMP_GE;
    sh_ir *c = sh_ir_binary(pool, SH_IR_CMP, cop, field_ir(p, f, fn), value_lit(p, v, vn));
    c->flags |= SH_IRF_CI | SH_IRF_NUMTEXT;
    return c;
}

static const char *read_op(P *p) {
    static const char *const ops[] = {"!=", "<=", ">=", "==", "=", "<", ">"};
    for (size_t k = 0; k < sizeof ops / sizeof *ops; k++) {
        size_t l = strlen(ops[k]);
        if (p->i + l <= p->n && memcmp(p->s + p->i, ops[k], l) == 0) {
            p->i += l;
            return ops[k];
        }
    }
    return NULL;
}

static bool reject_macro(P *p) {
    size_t st = p->i, e = st + 1;
    while (e < p->n && p->s[e] != '`') e++;
    size_t len = e - st - 1;
    if (len > 60) len = 60;
    return fail_at(p, st, "macro `%.*s` is not expanded: macros are defined in a Splunk app's macros.conf, which shrike does not have; write the search out in full",
                   (int)len, p->s + st + 1);
}

static spl_cond *parse_primary(P *p) {
    ws(p);
    size_t st = p->i;
    char c = peek(p);
    if (++p->edepth > MAX_DEPTH) { FAIL(p, "search expression nested too deeply"); return NULL; }
    spl_cond *res = NULL;
    if (c == '(') {
        p->i++;
        res = parse_or(p);
        if (!res) return NULL;
        ws(p);
        if (peek(p) != ')') { spl_cond_free(res); FAIL(p, "expected ')' to close the '(' at line %u", line_at(p, st)); return NULL; }
        p->i++;
    } else if (c == '[') {
        p->i++;
        if (++p->depth > MAX_DEPTH / 4) { FAIL(p, "subsearches nested too deeply"); return NULL; }
        spl_pipe *sub = parse_pipeline(p, true);
        p->depth--;
        if (!sub) return NULL;
        ws(p);
        if (peek(p) != ']') { spl_pipe_free(sub); FAIL(p, "expected ']' to close the subsearch at line %u", line_at(p, st)); return NULL; }
        p->i++;
        for (uint32_t k = 0; k < sub->n; k++) {
            spl_cmd_kind kd = sub->cmds[k]->kind;
            if (kd != C_SEARCH && kd != C_WHERE && kd != C_EVAL && kd != C_TABLE && kd != C_FIELDS && kd != C_RENAME &&
                kd != C_FILLNULL) {
                spl_pipe_free(sub);
                fail_at(p, st, "a subsearch inside a search expression can hold only search, where, eval, fields, table, rename and fillnull here");
                return NULL;
            }
        }
        spl_warn(p->q, "line %u: subsearch [...] used as a search filter: Splunk runs a subsearch on its own and puts its results "
                       "into the outer search as field=value terms; shrike reads this one as a condition on each result, which "
                       "passes when it passes the subsearch's own commands",
                 line_at(p, st));
        res = xcalloc(1, sizeof *res);
        res->kind = SC_SUB;
        res->sub = sub;
    } else if (c == '`') {
        reject_macro(p);
        return NULL;
    } else if (c == '"') {
        size_t vn;
        char *v = read_quoted(p, &vn);
        if (!v) return NULL;
        sh_buf b = {0};
        sh_buf_printf(&b, "*%s*", v);
        res = cond_ir(wild_ir(p, field_ir(p, "_raw", 4), b.data, b.len));
        sh_buf_free(&b);
        free(v);
    } else {
        size_t fn;
        char *f = read_bare(p, &fn, true);
        if (!fn) {
            free(f);
            if (c == 0 || c == '|' || c == ')' || c == ']') FAIL(p, "expected a search term");
            else FAIL(p, "unexpected '%c' in a search expression", c);
            return NULL;
        }
        size_t save = p->i;
        ws(p);
        const char *op = read_op(p);
        if (op) {
            size_t vn;
            ws(p);
            if (peek(p) == '`') { free(f); reject_macro(p); return NULL; }
            char *v = read_value(p, &vn);
            if (!v) { free(f); return NULL; }
            if ((strcmp(f, "earliest") == 0 || strcmp(f, "latest") == 0) && strcmp(op, "=") == 0) {
                spl_warn(p->q, "line %u: %s=%s ignored: shrike searches every event it is given, whatever its time",
                         line_at(p, st), f, v);
                res = cond_ir(sh_ir_lit_bool(&p->q->pool, true));
            } else {
                res = cond_ir(field_term(p, f, fn, op, v, vn));
            }
            free(v);
        } else if (at_kw(p, "IN", true) && (p->i += 2, ws(p), peek(p) == '(')) {
            p->i++;
            const char **pats = NULL;
            uint32_t *lens = NULL, np = 0;
            char **owned = NULL;
            for (;;) {
                ws(p);
                if (peek(p) == ')') { p->i++; break; }
                size_t vn, before = p->i;
                char *v = read_value(p, &vn);
                if (!v || p->i == before) { /* no value read: a stray character */
                    free(v);
                    if (!p->err) FAIL(p, "expected a value or ')' in the IN list");
                    break;
                }
                pats = realloc(pats, (np + 1) * sizeof *pats);
                lens = realloc(lens, (np + 1) * sizeof *lens);
                owned = realloc(owned, (np + 1) * sizeof *owned);
                if (!pats || !lens || !owned) abort();
                pats[np] = owned[np] = v;
                lens[np++] = (uint32_t)vn;
                ws(p);
                if (peek(p) == ',') p->i++;
            }
            if (!p->err && np == 0) FAIL(p, "empty IN list");
            if (!p->err) res = cond_ir(sh_ir_wildcard(&p->q->pool, field_ir(p, f, fn), pats, lens, np, true));
            for (uint32_t k = 0; k < np; k++) free(owned[k]);
            free(pats);
            free(lens);
            free(owned);
        } else {
            p->i = save;
            /* a bare term: the raw event contains it (Splunk matches indexed terms; a
             * case-insensitive substring is the offline reading) */
            sh_buf b = {0};
            sh_buf_printf(&b, "%s%s%s", f[0] == '*' ? "" : "*", f, fn && f[fn - 1] == '*' ? "" : "*");
            res = cond_ir(wild_ir(p, field_ir(p, "_raw", 4), b.data, b.len));
            sh_buf_free(&b);
        }
        free(f);
    }
    p->edepth--;
    return res;
}

static spl_cond *parse_not(P *p) {
    ws(p);
    if (at_kw(p, "NOT", false)) {
        p->i += 3;
        if (++p->edepth > MAX_DEPTH) { FAIL(p, "search expression nested too deeply"); return NULL; }
        spl_cond *a = parse_not(p);
        p->edepth--;
        return a ? cond_not(p, a) : NULL;
    }
    return parse_primary(p);
}

static bool at_and_end(P *p) {
    ws(p);
    char c = peek(p);
    return c == 0 || c == '|' || c == ')' || (c == ']' && p->depth > 0) || at_kw(p, "OR", false);
}

static spl_cond *parse_and(P *p) {
    spl_cond **parts = NULL;
    uint32_t n = 0;
    for (;;) {
        if (n && at_and_end(p)) break;
        if (at_kw(p, "AND", false)) p->i += 3;
        spl_cond *c = parse_not(p);
        if (!c) {
            for (uint32_t k = 0; k < n; k++) spl_cond_free(parts[k]);
            free(parts);
            return NULL;
        }
        parts = realloc(parts, (n + 1) * sizeof *parts);
        if (!parts) abort();
        parts[n++] = c;
    }
    return cond_join(p, SC_AND, parts, n);
}

static spl_cond *parse_or(P *p) {
    spl_cond **parts = NULL;
    uint32_t n = 0;
    for (;;) {
        spl_cond *c = parse_and(p);
        if (!c) {
            for (uint32_t k = 0; k < n; k++) spl_cond_free(parts[k]);
            free(parts);
            return NULL;
        }
        parts = realloc(parts, (n + 1) * sizeof *parts);
        if (!parts) abort();
        parts[n++] = c;
        ws(p);
        if (!at_kw(p, "OR", false)) break;
        p->i += 2;
    }
    return cond_join(p, SC_OR, parts, n);
}

/* ------------------------------------------------------ eval expressions */

static sh_ir *ex_or(P *p);

static sh_ir *func_node(P *p, sh_func_id id, sh_ir **args, uint32_t na) {
    sh_ir *n = sh_ir_new(&p->q->pool, SH_IR_FUNC, na);
    n->op = (uint8_t)id;
    for (uint32_t i = 0; i < na; i++) n->args[i] = args[i];
    return n;
}

static bool lit_string(const sh_ir *n) { return n->kind == SH_IR_LIT && n->lit.type == SH_STR; }

static sh_ir *call(P *p, const char *name, size_t nn, size_t at) {
    /* arguments */
    sh_ir *args[64];
    uint32_t na = 0;
    p->i++; /* '(' */
    ws(p);
    if (peek(p) != ')') {
        for (;;) {
            if (na == 64) { fail_at(p, at, "too many arguments"); return NULL; }
            sh_ir *a = ex_or(p);
            if (!a) return NULL;
            args[na++] = a;
            ws(p);
            if (peek(p) == ',') { p->i++; continue; }
            break;
        }
    }
    ws(p);
    if (peek(p) != ')') { FAIL(p, "expected ',' or ')' in the arguments of %.*s()", (int)nn, name); return NULL; }
    p->i++;
    sh_irpool *pool = &p->q->pool;
#define IS(lit) (nn == sizeof(lit) - 1 && memcmp(name, lit, nn) == 0)
#define ARGS(lo, hi)                                                                                         \
    do {                                                                                                     \
        if (na + 1 < (lo) + 1 || na > (hi)) {                                                                    \
            fail_at(p, at, "%.*s() takes %s%d argument%s, not %u", (int)nn, name, (lo) == (hi) ? "" : "at least ", \
                    (int)(lo), (lo) == 1 ? "" : "s", na);                                                     \
            return NULL;                                                                                     \
        }                                                                                                    \
    } while (0)
    if (IS("null")) { ARGS(0, 0); return sh_ir_lit_null(pool); }
    if (IS("true")) { ARGS(0, 0); return sh_ir_lit_bool(pool, true); }
    if (IS("false")) { ARGS(0, 0); return sh_ir_lit_bool(pool, false); }
    if (IS("isnull") || IS("isnotnull")) {
        ARGS(1, 1);
        sh_ir *n = sh_ir_unary(pool, SH_IR_ISNULL, args[0]);
        if (IS("isnotnull")) n->flags |= SH_IRF_NEGATE;
        return n;
    }
    if (IS("match")) {
        ARGS(2, 2);
        if (!lit_string(args[1])) { fail_at(p, at, "match(): the regular expression must be a string literal"); return NULL; }
        const char *pats[1] = {args[1]->lit.s};
        uint32_t lens[1] = {args[1]->lit.len};
        sh_diag rd;
        sh_diag_clear(&rd);
        sh_ir *n = sh_ir_regex(pool, args[0], pats, lens, 1, false, false, &rd);
        if (!n) { fail_at(p, at, "match(): %s", rd.msg); return NULL; }
        return n;
    }
    if (IS("searchmatch")) { fail_at(p, at, "searchmatch() is not supported: use match() or like()"); return NULL; }
    const sh_spl_func *f = sh_spl_func_lookup(name, nn);
    if (!f) {
        fail_at(p, at, "eval function %.*s() is not supported (docs/spl.md lists the functions shrike has)", (int)nn, name);
        return NULL;
    }
    if (na < f->min_args || (f->max_args != 255 && na > f->max_args)) {
        if (f->min_args == f->max_args)
            fail_at(p, at, "%s() takes %u argument%s, not %u", f->name, f->min_args, f->min_args == 1 ? "" : "s", na);
        else
            fail_at(p, at, "%s() takes %u to %u arguments, not %u", f->name, f->min_args, f->max_args, na);
        return NULL;
    }
    if (f->id == SH_FN_SPL_CASE && na % 2) { fail_at(p, at, "case() takes pairs of condition and value"); return NULL; }
    sh_ir *n = func_node(p, f->id, args, na);
    if (f->id == SH_FN_SPL_REPLACE) {
        if (!lit_string(args[1]) || !lit_string(args[2])) {
            fail_at(p, at, "replace(): the regular expression and the replacement must be string literals");
            return NULL;
        }
        const char *pats[1] = {args[1]->lit.s};
        uint32_t lens[1] = {args[1]->lit.len};
        sh_diag rd;
        sh_diag_clear(&rd);
        sh_ir *rx = sh_ir_regex(pool, sh_ir_lit_null(pool), pats, lens, 1, false, false, &rd);
        if (!rx) { fail_at(p, at, "replace(): %s", rd.msg); return NULL; }
        n->rx = rx->rx;
        /* Splunk writes groups as \1; PCRE2's substitute wants $1 (and $$ for $) */
        sh_buf b = {0};
        const char *r = args[2]->lit.s;
        for (uint32_t k = 0; k < args[2]->lit.len; k++) {
            if (r[k] == '\\' && k + 1 < args[2]->lit.len && r[k + 1] >= '0' && r[k + 1] <= '9') {
                sh_buf_printf(&b, "${%c}", r[k + 1]);
                k++;
            } else if (r[k] == '$') {
                sh_buf_puts(&b, "$$");
            } else {
                sh_buf_putc(&b, r[k]);
            }
        }
        n->args[2] = sh_ir_lit_str(pool, b.data ? b.data : "", b.len);
        sh_buf_free(&b);
    }
    return n;
#undef IS
#undef ARGS
}

static sh_ir *ex_primary(P *p) {
    ws(p);
    size_t st = p->i;
    char c = peek(p);
    sh_irpool *pool = &p->q->pool;
    if (c == '(') {
        p->i++;
        sh_ir *e = ex_or(p);
        if (!e) return NULL;
        ws(p);
        if (peek(p) != ')') { FAIL(p, "expected ')'"); return NULL; }
        p->i++;
        return e;
    }
    if (c == '"') {
        size_t n;
        char *s = read_quoted(p, &n);
        if (!s) return NULL;
        sh_ir *l = sh_ir_lit_str(pool, s, n);
        free(s);
        return l;
    }
    if (c == '\'') {
        size_t n;
        char *s = read_name(p, &n);
        if (!s) return NULL;
        sh_ir *f = field_ir(p, s, n);
        free(s);
        return f;
    }
    if ((c >= '0' && c <= '9') || (c == '.' && p->i + 1 < p->n && p->s[p->i + 1] >= '0' && p->s[p->i + 1] <= '9')) {
        size_t e = p->i;
        while (e < p->n && ((p->s[e] >= '0' && p->s[e] <= '9') || p->s[e] == '.')) e++;
        if (e < p->n && (p->s[e] == 'e' || p->s[e] == 'E')) {
            size_t k = e + 1;
            if (k < p->n && (p->s[k] == '+' || p->s[k] == '-')) k++;
            if (k < p->n && p->s[k] >= '0' && p->s[k] <= '9') {
                e = k;
                while (e < p->n && p->s[e] >= '0' && p->s[e] <= '9') e++;
            }
        }
        sh_value v;
        if (!sh_parse_num(p->s + p->i, e - p->i, &v)) { FAIL(p, "bad number '%.*s'", (int)(e - p->i), p->s + p->i); return NULL; }
        p->i = e;
        return v.type == SH_INT ? sh_ir_lit_int(pool, v.i) : sh_ir_lit_float(pool, v.f);
    }
    if (c == '`') { reject_macro(p); return NULL; }
    if (ident_start(c)) {
        while (p->i < p->n && ident_char(p->s[p->i])) p->i++;
        size_t nn = p->i - st;
        size_t save = p->i;
        ws(p);
        if (peek(p) == '(') return call(p, p->s + st, nn, st);
        p->i = save;
        return field_ir(p, p->s + st, nn);
    }
    if (c == 0 || c == '|') FAIL(p, "expected an expression");
    else FAIL(p, "unexpected '%c' in an expression", c);
    return NULL;
}

static sh_ir *ex_unary(P *p) {
    ws(p);
    if (peek(p) == '-' || peek(p) == '+') {
        bool neg = peek(p) == '-';
        p->i++;
        if (++p->edepth > MAX_DEPTH) { FAIL(p, "expression nested too deeply"); return NULL; }
        sh_ir *a = ex_unary(p);
        p->edepth--;
        if (!a || !neg) return a;
        sh_ir *n = sh_ir_binary(&p->q->pool, SH_IR_ARITH, SH_SUB, sh_ir_lit_int(&p->q->pool, 0), a);
        n->flags |= SH_IRF_NUMTEXT;
        return n;
    }
    if (++p->edepth > MAX_DEPTH) { FAIL(p, "expression nested too deeply"); return NULL; }
    sh_ir *r = ex_primary(p);
    p->edepth--;
    return r;
}

static sh_ir *ex_mul(P *p) {
    sh_ir *a = ex_unary(p);
    while (a) {
        ws(p);
        char c = peek(p);
        if (c != '*' && c != '/' && c != '%') break;
        p->i++;
        sh_ir *b = ex_unary(p);
        if (!b) return NULL;
        a = sh_ir_binary(&p->q->pool, SH_IR_ARITH, c == '*' ? SH_MUL : c == '/' ? SH_DIV : SH_MOD, a, b);
        a->flags |= SH_IRF_NUMTEXT;
    }
    return a;
}

static sh_ir *ex_add(P *p) {
    sh_ir *a = ex_mul(p);
    while (a) {
        ws(p);
        char c = peek(p);
        if (c != '+' && c != '-' && c != '.') break;
        if (c == '.' && p->i + 1 < p->n && p->s[p->i + 1] >= '0' && p->s[p->i + 1] <= '9') {
            /* "a" .5 is not concatenation with a number; Splunk would not take it either */
        }
        p->i++;
        sh_ir *b = ex_mul(p);
        if (!b) return NULL;
        if (c == '-') {
            a = sh_ir_binary(&p->q->pool, SH_IR_ARITH, SH_SUB, a, b);
            a->flags |= SH_IRF_NUMTEXT;
        } else {
            sh_ir *args[2] = {a, b};
            a = func_node(p, c == '+' ? SH_FN_SPL_PLUS : SH_FN_SPL_CONCAT, args, 2);
        }
    }
    return a;
}

static sh_ir *ex_cmp(P *p) {
    sh_ir *a = ex_add(p);
    if (!a) return NULL;
    ws(p);
    sh_irpool *pool = &p->q->pool;
    if (at_kw(p, "LIKE", true)) {
        p->i += 4;
        sh_ir *b = ex_add(p);
        if (!b) return NULL;
        sh_ir *args[2] = {a, b};
        return func_node(p, SH_FN_SPL_LIKE, args, 2);
    }
    if (at_kw(p, "IN", true)) {
        size_t save = p->i;
        p->i += 2;
        ws(p);
        if (peek(p) == '(') {
            p->i++;
            sh_ir *items[64];
            uint32_t n = 0;
            for (;;) {
                if (n == 63) { FAIL(p, "IN list too long (63 items at most)"); return NULL; }
                sh_ir *it = ex_or(p);
                if (!it) return NULL;
                items[n++] = it;
                ws(p);
                if (peek(p) == ',') { p->i++; continue; }
                if (peek(p) == ')') { p->i++; break; }
                FAIL(p, "expected ',' or ')' in the IN list");
                return NULL;
            }
            sh_ir *in = sh_ir_new(pool, SH_IR_IN, n + 1);
            in->args[0] = a;
            for (uint32_t k = 0; k < n; k++) in->args[k + 1] = items[k];
            in->flags |= SH_IRF_NUMTEXT;
            return in;
        }
        p->i = save;
    }
    size_t st = p->i;
    const char *op = read_op(p);
    if (!op) return a;
    (void)st;
    sh_ir *b = ex_add(p);
    if (!b) return NULL;
    uint8_t cop = (!strcmp(op, "=") || !strcmp(op, "==")) ? SH_CMP_EQ : !strcmp(op, "!=") ? SH_CMP_NE
                  : !strcmp(op, "<") ? SH_CMP_LT : !strcmp(op, "<=") ? SH_CMP_LE : !strcmp(op, ">") ? SH_CMP_GT
                                                                                                     : SH_CMP_GE;
    sh_ir *c = sh_ir_binary(pool, SH_IR_CMP, cop, a, b);
    c->flags |= SH_IRF_NUMTEXT;
    return c;
}

static sh_ir *ex_not(P *p) {
    ws(p);
    if (at_kw(p, "NOT", true)) {
        p->i += 3;
        if (++p->edepth > MAX_DEPTH) { FAIL(p, "expression nested too deeply"); return NULL; }
        sh_ir *a = ex_not(p);
        p->edepth--;
        return a ? sh_ir_unary(&p->q->pool, SH_IR_NOT, a) : NULL;
    }
    return ex_cmp(p);
}

static sh_ir *ex_bin(P *p, int level) {
    /* level 0: OR, 1: XOR, 2: AND */
    static const char *const kw[] = {"OR", "XOR", "AND"};
    sh_ir *a = level == 2 ? ex_not(p) : ex_bin(p, level + 1);
    while (a) {
        ws(p);
        if (!at_kw(p, kw[level], true)) break;
        p->i += strlen(kw[level]);
        sh_ir *b = level == 2 ? ex_not(p) : ex_bin(p, level + 1);
        if (!b) return NULL;
        sh_irpool *pool = &p->q->pool;
        if (level == 1) {
            /* a XOR b = (a OR b) AND NOT (a AND b) */
            sh_ir *o = sh_ir_new(pool, SH_IR_OR, 2), *n2 = sh_ir_new(pool, SH_IR_AND, 2), *x = sh_ir_new(pool, SH_IR_AND, 2);
            o->args[0] = a, o->args[1] = b;
            n2->args[0] = a, n2->args[1] = b;
            x->args[0] = o;
            x->args[1] = sh_ir_unary(pool, SH_IR_NOT, n2);
            a = x;
        } else {
            sh_ir *n = sh_ir_new(pool, level == 0 ? SH_IR_OR : SH_IR_AND, 2);
            n->args[0] = a;
            n->args[1] = b;
            a = n;
        }
    }
    return a;
}

static sh_ir *ex_or(P *p) {
    if (++p->edepth > MAX_DEPTH) { FAIL(p, "expression nested too deeply"); return NULL; }
    sh_ir *r = ex_bin(p, 0);
    p->edepth--;
    return r;
}

/* ------------------------------------------------------------ commands */

static spl_cmd *cmd_new(spl_cmd_kind k, uint32_t line) {
    spl_cmd *c = xcalloc(1, sizeof *c);
    c->kind = k;
    c->line = line;
    return c;
}

static void cmd_free(spl_cmd *c) {
    if (!c) return;
    spl_cond_free(c->cond);
    for (uint32_t i = 0; i < c->n; i++) {
        free(c->names[i]);
        if (c->names2) free(c->names2[i]);
    }
    free(c->names);
    free(c->names2);
    free(c->refs);
    free(c->exprs);
    free(c->keys);
    for (uint32_t i = 0; i < c->naggs; i++) free(c->aggs[i].as);
    free(c->aggs);
    free(c->fill);
    spl_pipe_free(c->sub);
    free(c);
}

void spl_pipe_free(spl_pipe *p) {
    if (!p) return;
    for (uint32_t i = 0; i < p->n; i++) cmd_free(p->cmds[i]);
    free(p->cmds);
    free(p->out.v);
    free(p);
}

static bool parse_int_arg(P *p, int64_t *out) {
    ws(p);
    size_t st = p->i;
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    if (st == p->i) return false;
    if (p->i - st > 12) return fail_at(p, st, "number too large");
    sh_parse_int(p->s + st, p->i - st, 10, out);
    return true;
}

/* key=value option at the cursor (a word followed by '='); returns the key length */
static size_t at_option(P *p, const char *const *keys) {
    for (size_t k = 0; keys[k]; k++) {
        size_t l = strlen(keys[k]);
        if (p->i + l < p->n && memcmp(p->s + p->i, keys[k], l) == 0) {
            size_t j = p->i + l;
            while (j < p->n && (p->s[j] == ' ' || p->s[j] == '\t')) j++;
            if (j < p->n && p->s[j] == '=') return l;
        }
    }
    return 0;
}

static bool skip_eq(P *p) {
    ws(p);
    if (peek(p) != '=') return FAIL(p, "expected '='");
    p->i++;
    return true;
}

static bool parse_bool_word(P *p, bool *out) {
    size_t n;
    char *v = read_value(p, &n);
    if (!v) return false;
    bool ok = true;
    if (!strcasecmp(v, "true") || !strcmp(v, "t") || !strcmp(v, "1")) *out = true;
    else if (!strcasecmp(v, "false") || !strcmp(v, "f") || !strcmp(v, "0")) *out = false;
    else ok = FAIL(p, "expected true or false, not '%s'", v);
    free(v);
    return ok;
}

/* a list of field names (separated by spaces and/or commas) up to the command's end or a keyword */
static bool parse_names_lit(P *p, spl_cmd *c, const char *stop_kw, bool refs, bool literal);
static bool parse_names(P *p, spl_cmd *c, const char *stop_kw, bool refs) { return parse_names_lit(p, c, stop_kw, refs, false); }

/* literal: names are field names even with a '*' in them (stats by, dedup, fillnull) */
static bool parse_names_lit(P *p, spl_cmd *c, const char *stop_kw, bool refs, bool literal) {
    for (;;) {
        ws(p);
        if (at_cmd_end(p)) break;
        if (stop_kw && at_kw(p, stop_kw, true)) break;
        if (peek(p) == ',') { p->i++; continue; }
        if (peek(p) == '`') return reject_macro(p);
        size_t n;
        char *name = read_name(p, &n);
        if (!name) return p->err ? false : FAIL(p, "expected a field name");
        push_name_ref(c, name, n, refs, literal);
    }
    return true;
}

static bool parse_eval(P *p, spl_cmd *c) {
    for (;;) {
        ws(p);
        size_t st = p->i;
        size_t n;
        char *name = read_name(p, &n);
        if (!name || !n) { free(name); return p->err ? false : FAIL(p, "expected FIELD=EXPRESSION"); }
        ws(p);
        if (peek(p) != '=' || (p->i + 1 < p->n && p->s[p->i + 1] == '=')) {
            free(name);
            return fail_at(p, st, "expected FIELD=EXPRESSION");
        }
        p->i++;
        sh_ir *e = ex_or(p);
        if (!e) { free(name); return false; }
        push_name(c, name, n, false);
        c->exprs = realloc(c->exprs, c->n * sizeof *c->exprs);
        if (!c->exprs) abort();
        c->exprs[c->n - 1] = e;
        ws(p);
        if (peek(p) == ',') { p->i++; continue; }
        return true;
    }
}

static bool parse_agg(P *p, spl_cmd *c) {
    static const struct { const char *name; spl_agg_kind k; } names[] = {
        {"count", A_COUNT}, {"c", A_COUNT}, {"dc", A_DC}, {"distinct_count", A_DC}, {"values", A_VALUES},
        {"list", A_LIST}, {"min", A_MIN}, {"max", A_MAX}, {"sum", A_SUM}, {"avg", A_AVG}, {"mean", A_AVG},
        {"earliest", A_EARLIEST}, {"latest", A_LATEST}, {"first", A_FIRST}, {"last", A_LAST}, {"range", A_RANGE},
    };
    ws(p);
    size_t st = p->i;
    while (p->i < p->n && ident_char(p->s[p->i])) p->i++;
    size_t nn = p->i - st;
    int found = -1;
    for (size_t k = 0; k < sizeof names / sizeof *names; k++)
        if (strlen(names[k].name) == nn && memcmp(names[k].name, p->s + st, nn) == 0) found = (int)k;
    if (found < 0) {
        if (!nn) return FAIL(p, "expected a statistical function (count, dc, values, min, max, ...)");
        return fail_at(p, st, "stats function %.*s is not supported (count, dc, values, list, min, max, sum, avg, earliest, latest, first, last, range are)",
                       (int)nn, p->s + st);
    }
    spl_agg a = {.kind = names[found].k};
    char *fname = NULL;
    size_t fn = 0;
    ws(p);
    if (peek(p) == '(') {
        p->i++;
        ws(p);
        if (peek(p) == 'e' && p->i + 5 < p->n && memcmp(p->s + p->i, "eval(", 5) == 0)
            return FAIL(p, "eval() inside stats functions is not supported: compute the field with eval first");
        fname = read_name(p, &fn);
        ws(p);
        if (!fname || peek(p) != ')') { free(fname); return p->err ? false : FAIL(p, "expected FIELD) after %.*s(", (int)nn, p->s + st); }
        p->i++;
        a.ref = spl_ref(fname, fn);
    } else if (a.kind != A_COUNT) {
        return fail_at(p, st, "%.*s needs a field: %.*s(FIELD)", (int)nn, p->s + st, (int)nn, p->s + st);
    }
    ws(p);
    if (at_kw(p, "as", true)) {
        p->i += 2;
        size_t an;
        char *as = read_name(p, &an);
        if (!as || !an) { free(as); free(fname); return p->err ? false : FAIL(p, "expected a name after 'as'"); }
        a.as = as;
    } else {
        sh_buf b = {0};
        if (fname) sh_buf_printf(&b, "%.*s(%s)", (int)nn, p->s + st, fname);
        else sh_buf_printf(&b, "%.*s", (int)nn, p->s + st);
        a.as = xstrndup(b.data, b.len);
        sh_buf_free(&b);
    }
    free(fname);
    c->aggs = realloc(c->aggs, (c->naggs + 1) * sizeof *c->aggs);
    if (!c->aggs) abort();
    c->aggs[c->naggs++] = a;
    return true;
}

static bool parse_stats(P *p, spl_cmd *c) {
    for (;;) {
        ws(p);
        if (at_cmd_end(p) || at_kw(p, "by", true)) break;
        if (peek(p) == ',') { p->i++; continue; }
        if (!parse_agg(p, c)) return false;
    }
    if (!c->naggs) return FAIL(p, "%s needs at least one function (count, dc(FIELD), ...)", c->kind == C_STATS ? "stats" : "eventstats");
    if (at_kw(p, "by", true)) {
        p->i += 2;
        if (!parse_names_lit(p, c, NULL, true, true)) return false;
        if (!c->n) return FAIL(p, "expected fields after 'by'");
    }
    return true;
}

static bool parse_sort(P *p, spl_cmd *c) {
    c->count = SPL_SORT_DEFAULT;
    ws(p);
    static const char *const opts[] = {"limit", NULL};
    if (at_option(p, opts)) {
        p->i += 5;
        if (!skip_eq(p) || !parse_int_arg(p, &c->count)) return p->err ? false : FAIL(p, "expected a number after limit=");
        c->count_given = true;
    } else if (peek(p) >= '0' && peek(p) <= '9') {
        parse_int_arg(p, &c->count);
        c->count_given = true;
    }
    for (;;) {
        ws(p);
        if (at_cmd_end(p)) break;
        if (peek(p) == ',') { p->i++; continue; }
        if (at_kw(p, "d", false) || at_kw(p, "desc", false)) {
            for (uint32_t k = 0; k < c->nkeys; k++) c->keys[k].desc = !c->keys[k].desc;
            p->i += at_kw(p, "d", false) ? 1 : 4;
            continue;
        }
        spl_sortkey k = {0};
        if (peek(p) == '-' || peek(p) == '+') {
            k.desc = peek(p) == '-';
            p->i++;
            ws(p);
        }
        static const char *const how[] = {"auto", "num", "str", "ip"};
        for (int h = 0; h < 4; h++) {
            size_t l = strlen(how[h]);
            if (p->i + l < p->n && memcmp(p->s + p->i, how[h], l) == 0 && p->s[p->i + l] == '(') {
                p->i += l + 1;
                k.how = (uint8_t)(h == 1 ? 1 : h == 2 ? 2 : 0);
                size_t n;
                char *name = read_name(p, &n);
                ws(p);
                if (!name || peek(p) != ')') { free(name); return p->err ? false : FAIL(p, "expected FIELD) in the sort key"); }
                p->i++;
                k.ref = spl_ref(name, n);
                free(name);
                goto have_key;
            }
        }
        {
            size_t n;
            char *name = read_name(p, &n);
            if (!name || !n) { free(name); return p->err ? false : FAIL(p, "expected a field to sort by"); }
            k.ref = spl_ref(name, n);
            free(name);
        }
    have_key:
        c->keys = realloc(c->keys, (c->nkeys + 1) * sizeof *c->keys);
        if (!c->keys) abort();
        c->keys[c->nkeys++] = k;
    }
    if (!c->nkeys) return FAIL(p, "sort needs a field");
    return true;
}

static bool parse_rename(P *p, spl_cmd *c) {
    for (;;) {
        ws(p);
        if (at_cmd_end(p)) break;
        if (peek(p) == ',') { p->i++; continue; }
        size_t n, n2;
        char *from = read_name(p, &n);
        if (!from || !n) { free(from); return p->err ? false : FAIL(p, "expected OLD as NEW"); }
        ws(p);
        if (!at_kw(p, "as", true)) { free(from); return FAIL(p, "expected 'as' in OLD as NEW"); }
        p->i += 2;
        char *to = read_name(p, &n2);
        if (!to || !n2) { free(from); free(to); return p->err ? false : FAIL(p, "expected a new name after 'as'"); }
        const char *s1 = strchr(from, '*'), *s2 = strchr(to, '*');
        if ((s1 && strchr(s1 + 1, '*')) || (s2 && strchr(s2 + 1, '*')) || (s2 && !s1)) {
            free(from);
            free(to);
            return FAIL(p, "rename with wildcards: one '*' on each side");
        }
        push_name(c, from, n, true);
        c->names2 = realloc(c->names2, c->n * sizeof *c->names2);
        if (!c->names2) abort();
        c->names2[c->n - 1] = to;
    }
    if (!c->n) return FAIL(p, "rename needs OLD as NEW");
    return true;
}

static bool parse_dedup(P *p, spl_cmd *c) {
    c->count = 1;
    ws(p);
    if (peek(p) >= '0' && peek(p) <= '9') parse_int_arg(p, &c->count);
    static const char *const opts[] = {"keepempty", "consecutive", "keepevents", NULL};
    for (;;) {
        ws(p);
        if (at_cmd_end(p)) break;
        if (peek(p) == ',') { p->i++; continue; }
        size_t ol = at_option(p, opts);
        if (ol) {
            bool isk = p->s[p->i] == 'k' && ol == 9;
            bool ise = ol == 10;
            p->i += ol;
            bool v;
            if (!skip_eq(p) || !parse_bool_word(p, &v)) return false;
            if (ise) { if (v) return FAIL(p, "dedup keepevents=true is not supported"); }
            else if (isk) c->keepempty = v;
            else c->consecutive = v;
            continue;
        }
        if (at_kw(p, "sortby", true)) return FAIL(p, "dedup ... sortby is not supported: sort first, then dedup");
        size_t n;
        char *name = read_name(p, &n);
        if (!name || !n) { free(name); return p->err ? false : FAIL(p, "expected a field name"); }
        push_name_ref(c, name, n, true, true);
    }
    if (!c->n) return FAIL(p, "dedup needs at least one field");
    return true;
}

static const char *generating_reason(const char *w, size_t n) {
#define W(s) (n == sizeof(s) - 1 && memcmp(w, s, n) == 0)
    if (W("tstats")) return "tstats reads Splunk's indexed fields and accelerated data models; shrike searches the events themselves";
    if (W("datamodel") || W("from") || W("pivot")) return "data models are Splunk's CIM layer over indexed data, which shrike does not have";
    if (W("inputlookup") || W("lookup") || W("outputlookup")) return "lookups are Splunk's tables (CSV files, KV store), which shrike does not have";
    if (W("makeresults") || W("rest") || W("metadata") || W("dbinspect") || W("inputcsv"))
        return "generating commands make results from Splunk's own state; shrike runs searches over events";
    return NULL;
#undef W
}

static const char *const supported = "search, where, eval, table, fields, rename, sort, head, tail, dedup, stats, eventstats, append, appendcols, fillnull";

static spl_cmd *parse_command(P *p, bool first, spl_pipe *pipe) {
    ws(p);
    size_t st = p->i;
    uint32_t line = line_at(p, st);
    if (peek(p) == '`') { reject_macro(p); return NULL; }
    while (p->i < p->n && (ident_char(p->s[p->i]))) p->i++;
    const char *w = p->s + st;
    size_t wn = p->i - st;
    char after = peek(p);
    bool is_cmd = wn && (after == 0 || after == ' ' || after == '\t' || after == '\n' || after == '\r' || after == '|' ||
                         after == '[' || after == ']');
    if (!is_cmd || (first && !(wn == 6 && memcmp(w, "search", 6) == 0) && !generating_reason(w, wn))) {
        /* the implicit search at the start (or a search expression) */
        p->i = st;
        if (!first) {
            if (!wn) {
                if (peek(p) == '|' || at_cmd_end(p)) { FAIL(p, "empty command between '|'"); return NULL; }
                FAIL(p, "expected a command name, not '%c'", peek(p));
                return NULL;
            }
            fail_at(p, st, "command '%.*s' is not supported (shrike runs: %s)", (int)wn, w, supported);
            return NULL;
        }
        spl_cmd *c = cmd_new(C_SEARCH, line);
        if (at_cmd_end(p)) {
            /* an empty search: every event */
            c->cond = cond_ir(sh_ir_lit_bool(&p->q->pool, true));
            return c;
        }
        c->cond = parse_or(p);
        if (!c->cond) { cmd_free(c); return NULL; }
        return c;
    }
    const char *why = generating_reason(w, wn);
    if (why) { fail_at(p, st, "%.*s is not supported: %s", (int)wn, w, why); return NULL; }
#define W(s) (wn == sizeof(s) - 1 && memcmp(w, s, wn) == 0)
    spl_cmd *c = NULL;
    bool ok = true;
    if (W("search")) {
        c = cmd_new(C_SEARCH, line);
        if (at_cmd_end(p)) c->cond = cond_ir(sh_ir_lit_bool(&p->q->pool, true));
        else ok = (c->cond = parse_or(p)) != NULL;
    } else if (W("where")) {
        c = cmd_new(C_WHERE, line);
        ok = (c->expr = ex_or(p)) != NULL;
    } else if (W("eval")) {
        c = cmd_new(C_EVAL, line);
        ok = parse_eval(p, c);
        ws(p);
        if (ok && peek(p) == '(') {
            /* page 003: "| eval ... (\n [ search ... ] OR [ search ... ] )" with no '|' */
            spl_warn(p->q, "line %u: text beginning with '(' follows the eval expression with no '|' before it: Splunk "
                           "rejects this (malformed eval expression); shrike reads it as a `| search (...)` command",
                     line_at(p, p->i));
            spl_cmd *s = cmd_new(C_SEARCH, line_at(p, p->i));
            s->cond = parse_or(p);
            if (!s->cond) { cmd_free(s); cmd_free(c); return NULL; }
            pipe->cmds = realloc(pipe->cmds, (pipe->n + 1) * sizeof *pipe->cmds);
            if (!pipe->cmds) abort();
            pipe->cmds[pipe->n++] = c;
            return s;
        }
    } else if (W("table")) {
        c = cmd_new(C_TABLE, line);
        ok = parse_names(p, c, NULL, true) && (c->n || FAIL(p, "table needs fields"));
    } else if (W("fields")) {
        c = cmd_new(C_FIELDS, line);
        ws(p);
        if (peek(p) == '-' || peek(p) == '+') {
            c->minus = peek(p) == '-';
            p->i++;
        }
        ok = parse_names(p, c, NULL, true) && (c->n || FAIL(p, "fields needs fields"));
    } else if (W("rename")) {
        c = cmd_new(C_RENAME, line);
        ok = parse_rename(p, c);
    } else if (W("sort")) {
        c = cmd_new(C_SORT, line);
        ok = parse_sort(p, c);
    } else if (W("head") || W("tail")) {
        c = cmd_new(W("head") ? C_HEAD : C_TAIL, line);
        c->count = 10;
        static const char *const opts[] = {"limit", NULL};
        ws(p);
        if (at_option(p, opts)) { p->i += 5; ok = skip_eq(p); }
        if (ok && !at_cmd_end(p) && !parse_int_arg(p, &c->count)) ok = FAIL(p, "expected a number of results");
    } else if (W("dedup")) {
        c = cmd_new(C_DEDUP, line);
        ok = parse_dedup(p, c);
    } else if (W("stats") || W("eventstats")) {
        c = cmd_new(W("stats") ? C_STATS : C_EVENTSTATS, line);
        ok = parse_stats(p, c);
    } else if (W("append") || W("appendcols")) {
        c = cmd_new(W("append") ? C_APPEND : C_APPENDCOLS, line);
        ws(p);
        static const char *const opts[] = {"override", "maxtime", "maxout", "timeout", "extendtimerange", NULL};
        while (ok && at_option(p, opts)) {
            size_t ol = at_option(p, opts);
            if (ol == 8 && !memcmp(p->s + p->i, "override", 8)) { ok = FAIL(p, "appendcols override= is not supported"); break; }
            p->i += ol;
            size_t vn;
            ok = skip_eq(p);
            free(ok ? read_value(p, &vn) : NULL);
            ws(p);
        }
        if (ok && peek(p) != '[') ok = FAIL(p, "%.*s needs a subsearch in [ ]", (int)wn, w);
        if (ok) {
            size_t sb = p->i++;
            if (++p->depth > MAX_DEPTH / 4) ok = FAIL(p, "subsearches nested too deeply");
            if (ok) c->sub = parse_pipeline(p, true);
            p->depth--;
            ok = ok && c->sub;
            ws(p);
            if (ok && peek(p) != ']') ok = fail_at(p, p->i, "expected ']' to close the subsearch at line %u", line_at(p, sb));
            if (ok) p->i++;
            if (ok && c->kind == C_APPENDCOLS)
                spl_warn(p->q, "line %u: appendcols pastes the subsearch's results onto the main results by position (its "
                               "first result onto the first row, and so on), not by any shared field; the fields a main "
                               "row already has are kept; shrike does the same as Splunk",
                         line);
        }
    } else if (W("fillnull")) {
        c = cmd_new(C_FILLNULL, line);
        static const char *const opts[] = {"value", NULL};
        ws(p);
        if (at_option(p, opts)) {
            p->i += 5;
            size_t vn;
            ok = skip_eq(p) && (c->fill = read_value(p, &vn)) != NULL;
        }
        if (ok && !c->fill) c->fill = xstrndup("0", 1);
        ok = ok && parse_names_lit(p, c, NULL, true, true);
    } else {
        fail_at(p, st, "command '%.*s' is not supported (shrike runs: %s)", (int)wn, w, supported);
        return NULL;
    }
#undef W
    if (!ok) { cmd_free(c); return NULL; }
    if (!at_cmd_end(p)) {
        char ch = peek(p);
        cmd_free(c);
        if (ch == '`') reject_macro(p);
        else FAIL(p, "unexpected '%c' in the %.*s command", ch, (int)wn, w);
        return NULL;
    }
    return c;
}

static spl_pipe *parse_pipeline(P *p, bool sub) {
    spl_pipe *pipe = xcalloc(1, sizeof *pipe);
    pipe->sub = sub;
    ws(p);
    bool first = true;
    if (peek(p) == '|') {
        p->i++;
        ws(p);
        /* "| search ..." or a generating command (rejected) */
    }
    for (;;) {
        spl_cmd *c = parse_command(p, first, pipe);
        if (!c) { spl_pipe_free(pipe); return NULL; }
        pipe->cmds = realloc(pipe->cmds, (pipe->n + 1) * sizeof *pipe->cmds);
        if (!pipe->cmds) abort();
        pipe->cmds[pipe->n++] = c;
        first = false;
        ws(p);
        if (peek(p) == '|') { p->i++; continue; }
        break;
    }
    return pipe;
}

bool spl_parse(spl_q *q, const char *text, size_t len, sh_diag *d) {
    P p = {.q = q, .s = text, .n = len, .d = d};
    q->main = parse_pipeline(&p, false);
    if (!q->main) return false;
    ws(&p);
    if (p.i < p.n) {
        FAIL(&p, "unexpected '%c'", peek(&p));
        return false;
    }
    return true;
}
