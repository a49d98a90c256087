/* cond.c: the Sigma condition expression, by recursive descent:
 *
 *   expr    := and ('or' and)*
 *   and     := not ('and' not)*
 *   not     := 'not' not | primary
 *   primary := '(' expr ')' | quant | IDENT
 *   quant   := ('1' | 'any' | 'all') 'of' (PATTERN | 'them')
 *
 * (precedence, least binding first: or, and, not, x of, parentheses).
 * Keywords are case-insensitive. `them` means every search identifier not
 * starting with '_'; a pattern matches identifiers with '*' wildcards.
 * `not` is two-valued (a test on an absent field is false, so its negation
 * is true), as Sigma backends behave. Sigma 1.0 aggregations (`| count()`)
 * and `near` are refused with a pointer to correlation rules. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lang/sigma/sigma_int.h"

#define MAX_DEPTH 100

typedef enum { T_EOF, T_WORD, T_LP, T_RP, T_PIPE, T_BAD } tok_kind;

typedef struct ctok {
    tok_kind k;
    const char *p;
    size_t n;
    size_t off;
} ctok;

typedef struct cparser {
    sg_comp *c;
    const sy_node *node;
    const char *s;
    size_t n, i;
    ctok t;
    int depth;
} cparser;

/* position in the file of an offset in the condition text */
static void pos_of(const cparser *p, size_t off, long *line, long *col) {
    const sy_node *nd = p->node;
    size_t nl = 0, last = 0;
    for (size_t i = 0; i < off && i < p->n; i++)
        if (p->s[i] == '\n') { nl++; last = i + 1; }
    if (nd->style == SY_BLOCK) {
        *line = (long)nd->line + 1 + (long)nl;
        *col = 0;
        return;
    }
    *line = (long)nd->line + (long)nl;
    *col = nl ? 0 : (long)nd->col + (long)off + (nd->style == SY_QUOTED ? 1 : 0);
    (void)last;
}

static void cfail(cparser *p, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cfail(cparser *p, size_t off, const char *fmt, ...) {
    if (p->c->failed) return;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    long line, col;
    pos_of(p, off, &line, &col);
    sg_fail_at(p->c, line, col, "condition: %s", msg);
}

static bool word_char(char ch) {
    return isalnum((unsigned char)ch) || ch == '_' || ch == '-' || ch == '*' || ch == '.' || ch == '?' ||
           (unsigned char)ch >= 0x80;
}

static void next(cparser *p) {
    while (p->i < p->n && isspace((unsigned char)p->s[p->i])) p->i++;
    ctok t = {.off = p->i, .p = p->s + p->i};
    if (p->i >= p->n) t.k = T_EOF;
    else if (p->s[p->i] == '(') { t.k = T_LP; t.n = 1; p->i++; }
    else if (p->s[p->i] == ')') { t.k = T_RP; t.n = 1; p->i++; }
    else if (p->s[p->i] == '|') { t.k = T_PIPE; t.n = 1; p->i++; }
    else if (word_char(p->s[p->i])) {
        t.k = T_WORD;
        while (p->i < p->n && word_char(p->s[p->i])) p->i++;
        t.n = p->i - t.off;
    } else {
        t.k = T_BAD;
        t.n = 1;
        p->i++;
    }
    p->t = t;
}

static bool is_kw(const ctok *t, const char *kw) {
    size_t k = strlen(kw);
    if (t->k != T_WORD || t->n != k) return false;
    for (size_t i = 0; i < k; i++)
        if (tolower((unsigned char)t->p[i]) != kw[i]) return false;
    return true;
}

static bool is_reserved(const ctok *t) {
    return is_kw(t, "and") || is_kw(t, "or") || is_kw(t, "not") || is_kw(t, "of") || is_kw(t, "them");
}

static const char *describe(const ctok *t, char *buf, size_t n) {
    switch (t->k) {
    case T_EOF: return "the end of the condition";
    case T_LP: return "'('";
    case T_RP: return "')'";
    case T_PIPE: return "'|'";
    default: snprintf(buf, n, "'%.*s'", (int)(t->n > 40 ? 40 : t->n), t->p); return buf;
    }
}

static sh_ir *parse_or(cparser *p);

static sg_ident *find_ident(cparser *p, const char *s, size_t n) {
    for (size_t i = 0; i < p->c->nids; i++)
        if (p->c->ids[i].key->len == n && !memcmp(p->c->ids[i].key->s, s, n)) return &p->c->ids[i];
    return NULL;
}

static sh_ir *quantified(cparser *p, bool all) {
    ctok q = p->t;
    next(p); /* 'of' */
    if (!is_kw(&p->t, "of")) {
        char b[64];
        cfail(p, p->t.off, "expected 'of' after '%.*s', found %s", (int)q.n, q.p, describe(&p->t, b, sizeof b));
        return NULL;
    }
    next(p);
    ctok pat = p->t;
    if (pat.k != T_WORD || (is_reserved(&pat) && !is_kw(&pat, "them"))) {
        char b[64];
        cfail(p, pat.off, "expected search identifiers (a name, a pattern with *, or them) after 'of', found %s",
              describe(&pat, b, sizeof b));
        return NULL;
    }
    bool them = is_kw(&pat, "them");
    sh_ir **parts = sh_arena_alloc(&p->c->tmp, (p->c->nids + 1) * sizeof *parts);
    uint32_t np = 0;
    for (size_t i = 0; i < p->c->nids; i++) {
        const sy_node *k = p->c->ids[i].key;
        bool hit = them ? !(k->len && k->s[0] == '_') : sh_wild_match(pat.p, pat.n, k->s, k->len);
        if (!hit) continue;
        sh_ir *ir = sg_ident_ir(p->c, &p->c->ids[i]);
        if (!ir) return NULL;
        parts[np++] = ir;
    }
    if (!np) {
        cfail(p, pat.off, "'%.*s of %.*s': no search identifier matches", (int)q.n, q.p, (int)pat.n, pat.p);
        return NULL;
    }
    next(p);
    if (np == 1) return parts[0];
    sh_ir *n = sh_ir_new(p->c->pool, all ? SH_IR_AND : SH_IR_OR, np);
    memcpy(n->args, parts, np * sizeof *parts);
    return n;
}

static sh_ir *parse_primary(cparser *p) {
    ctok t = p->t;
    char b[64];
    if (t.k == T_LP) {
        next(p);
        sh_ir *e = parse_or(p);
        if (!e) return NULL;
        if (p->t.k != T_RP) {
            cfail(p, p->t.off, "expected ')', found %s", describe(&p->t, b, sizeof b));
            return NULL;
        }
        next(p);
        return e;
    }
    if (t.k != T_WORD || is_reserved(&t)) {
        if (t.k == T_PIPE)
            cfail(p, t.off, "aggregations ('| count() ...') are Sigma 1.0 syntax: write a correlation rule instead");
        else
            cfail(p, t.off, "expected a search identifier, 'not', '(' or 'x of', found %s", describe(&t, b, sizeof b));
        return NULL;
    }
    /* 1 of / any of / all of */
    bool one = t.n == 1 && t.p[0] == '1';
    if (one || is_kw(&t, "all") || is_kw(&t, "any")) {
        size_t save = p->i;
        next(p);
        if (is_kw(&p->t, "of")) {
            p->i = save;
            p->t = t;
            return quantified(p, is_kw(&t, "all"));
        }
        p->i = save;
        p->t = t;
    } else {
        bool digits = true;
        for (size_t i = 0; i < t.n; i++) digits &= isdigit((unsigned char)t.p[i]) != 0;
        if (digits) {
            size_t save = p->i;
            next(p);
            bool of = is_kw(&p->t, "of");
            p->i = save;
            p->t = t;
            if (of) {
                cfail(p, t.off, "'%.*s of' is not Sigma: use '1 of' (any) or 'all of'", (int)t.n, t.p);
                return NULL;
            }
        }
    }
    if (memchr(t.p, '*', t.n)) {
        cfail(p, t.off, "'%.*s': a pattern needs '1 of' or 'all of' before it", (int)t.n, t.p);
        return NULL;
    }
    sg_ident *id = find_ident(p, t.p, t.n);
    if (!id) {
        if (is_kw(&t, "near"))
            cfail(p, t.off, "'near' is Sigma 1.0 syntax: write a temporal correlation rule instead");
        else
            cfail(p, t.off, "unknown search identifier '%.*s'", (int)t.n, t.p);
        return NULL;
    }
    next(p);
    return sg_ident_ir(p->c, id);
}

static sh_ir *parse_not(cparser *p) {
    if (!is_kw(&p->t, "not")) return parse_primary(p);
    ctok t = p->t;
    next(p);
    if (++p->depth > MAX_DEPTH) {
        cfail(p, t.off, "nested too deeply");
        return NULL;
    }
    sh_ir *a = parse_not(p);
    p->depth--;
    if (!a) return NULL;
    sh_ir *n = sh_ir_unary(p->c->pool, SH_IR_NOT, a);
    n->flags |= SH_IRF_TWOVALUED;
    return n;
}

static sh_ir *parse_nary(cparser *p, bool is_or) {
    if (++p->depth > MAX_DEPTH) {
        cfail(p, p->t.off, "nested too deeply");
        return NULL;
    }
    const char *kw = is_or ? "or" : "and";
    sh_ir *first = is_or ? parse_nary(p, false) : parse_not(p);
    if (!first || !is_kw(&p->t, kw)) {
        p->depth--;
        return first;
    }
    size_t n = 1, cap = 8;
    sh_ir **items = sh_arena_alloc(&p->c->tmp, cap * sizeof *items);
    items[0] = first;
    while (is_kw(&p->t, kw)) {
        next(p);
        if (n == cap) {
            sh_ir **ni = sh_arena_alloc(&p->c->tmp, cap * 2 * sizeof *ni);
            memcpy(ni, items, n * sizeof *ni);
            items = ni;
            cap *= 2;
        }
        items[n] = is_or ? parse_nary(p, false) : parse_not(p);
        if (!items[n++]) return NULL;
    }
    p->depth--;
    sh_ir *node = sh_ir_new(p->c->pool, is_or ? SH_IR_OR : SH_IR_AND, (uint32_t)n);
    memcpy(node->args, items, n * sizeof *items);
    return node;
}

static sh_ir *parse_or(cparser *p) { return parse_nary(p, true); }

sh_ir *sg_condition(sg_comp *c, const sy_node *cond) {
    if (!cond || cond->kind != SY_SCALAR || sy_is_null(cond)) {
        sg_fail(c, cond, "the condition must be an expression such as 'selection and not filter'");
        return NULL;
    }
    cparser p = {.c = c, .node = cond, .s = cond->s, .n = cond->len};
    next(&p);
    if (p.t.k == T_EOF) {
        cfail(&p, 0, "empty");
        return NULL;
    }
    sh_ir *e = parse_or(&p);
    if (!e) return NULL;
    if (p.t.k != T_EOF) {
        char b[64];
        if (p.t.k == T_PIPE)
            cfail(&p, p.t.off, "aggregations ('| count() ...') are Sigma 1.0 syntax: write a correlation rule instead");
        else
            cfail(&p, p.t.off, "unexpected %s (expected 'and', 'or' or the end)", describe(&p.t, b, sizeof b));
        return NULL;
    }
    return e;
}
