/* parser.c: recursive-descent parser for Elasticsearch EQL that lowers
 * straight into the shared IR (engine/ir.h). It handles event queries,
 * sequences (by, maxspan, until, runs, missing events), samples and the
 * head/tail pipes, and reports the first error with its line, column and a
 * precise reason. Field names are resolved through the field model here,
 * once; nothing is looked up by name at run time. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/eql/eql_int.h"
#include "lang/eql/lexer.h"

#define MAX_DEPTH 200
#define MAX_KEYS 32
#define MAX_LIST 4096

typedef struct parser {
    eql_lexer lx;
    eql_token tok;
    sh_eql *q;
    sh_irpool *pool;
    sh_diag *d;
    bool failed;
    int depth;
} parser;

/* ------------------------------------------------------------ utilities */

static void next(parser *p) {
    if (p->failed) return;
    p->tok = eql_lex_next(&p->lx);
    if (p->tok.type == T_ERROR) p->failed = true;
}

static bool is_kw(const eql_token *t, const char *kw) {
    size_t n = strlen(kw);
    return t->type == T_IDENT && t->n == n && memcmp(t->p, kw, n) == 0;
}

static const char *const keywords[] = {
    "and", "or", "not", "in", "like", "regex", "where", "sequence", "sample", "by", "with",
    "until", "maxspan", "true", "false", "null", "any", "join", "of", NULL,
};

static bool is_keyword(const eql_token *t) {
    for (int i = 0; keywords[i]; i++)
        if (is_kw(t, keywords[i])) return true;
    return false;
}

/* "'foo'", "string \"x\"", "end of query" */
static const char *describe(const eql_token *t, char *buf, size_t n) {
    switch (t->type) {
    case T_EOF: return "end of query";
    case T_STRING: snprintf(buf, n, "string \"%.40s\"", t->str); return buf;
    case T_IDENT:
    case T_INT:
    case T_FLOAT:
    case T_QIDENT: snprintf(buf, n, "'%.*s'", (int)(t->n > 40 ? 40 : t->n), t->p); return buf;
    default: return eql_tok_name(t->type);
    }
}

static void fail_at(parser *p, long line, long col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void fail_at(parser *p, long line, long col, const char *fmt, ...) {
    if (p->failed) return;
    p->failed = true;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sh_diag_set(p->d, NULL, line, col, "%s", msg);
}

#define FAIL(p, t, ...) fail_at((p), (t)->line, (t)->col, __VA_ARGS__)

static void expected(parser *p, const char *what) {
    char b[80];
    FAIL(p, &p->tok, "expected %s, found %s", what, describe(&p->tok, b, sizeof b));
}

static bool accept(parser *p, eql_tok type) {
    if (p->failed || p->tok.type != type) return false;
    next(p);
    return true;
}

static bool accept_kw(parser *p, const char *kw) {
    if (p->failed || !is_kw(&p->tok, kw)) return false;
    next(p);
    return true;
}

static bool expect(parser *p, eql_tok type, const char *what) {
    if (accept(p, type)) return true;
    expected(p, what);
    return false;
}

static sh_ir *mark(sh_ir *n, const eql_token *t) {
    if (n) {
        n->line = (uint32_t)t->line;
        n->col = (uint32_t)t->col;
    }
    return n;
}

void eql_warn(sh_eql *q, const char *fmt, ...) {
    if (q->nwarnings >= EQL_MAX_WARNINGS) return;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    q->warnings[q->nwarnings++] = sh_arena_strdup(&q->pool.arena, msg);
    q->warnings[q->nwarnings] = NULL;
}

/* ---------------------------------------------------------- expressions */

static sh_ir *parse_expr(parser *p);

static bool is_null_lit(const sh_ir *n) { return n && n->kind == SH_IR_LIT && n->lit.type == SH_NULL; }

static sh_ir *parse_field(parser *p, bool optional) {
    eql_token st = p->tok;
    char name[1024];
    size_t n = 0;
    for (;;) {
        const char *s;
        size_t l;
        if (p->tok.type == T_IDENT) { s = p->tok.p; l = p->tok.n; }
        else if (p->tok.type == T_QIDENT) { s = p->tok.str; l = p->tok.slen; }
        else { expected(p, "a field name"); return NULL; }
        if (n + l + 1 >= sizeof name) { FAIL(p, &st, "field name too long"); return NULL; }
        memcpy(name + n, s, l);
        n += l;
        next(p);
        if (p->tok.type != T_DOT || !p->tok.adjacent) break;
        next(p);
        if (!p->tok.adjacent) { expected(p, "a field name after '.'"); return NULL; }
        name[n++] = '.';
    }
    return mark(sh_ir_field(p->pool, name, n, optional), &st);
}

/* cidrMatch(ip, "block", ...): the blocks must be string literals, parsed now */
static sh_ir *make_cidrmatch(parser *p, sh_ir **args, uint32_t na, const eql_token *name) {
    const char *blocks[256];
    uint32_t lens[256];
    if (na < 2) return NULL; /* arity was checked by the caller */
    for (uint32_t i = 1; i < na; i++) {
        sh_ir *a = args[i];
        if (is_null_lit(a)) return mark(sh_ir_lit_null(p->pool), name); /* null block: always null */
        if (a->kind != SH_IR_LIT || a->lit.type != SH_STR) {
            fail_at(p, a->line, a->col, "cidrMatch: CIDR blocks must be string literals");
            return NULL;
        }
        blocks[i - 1] = a->lit.s;
        lens[i - 1] = a->lit.len;
    }
    sh_diag cd = {0};
    sh_ir *n = sh_ir_cidrmatch(p->pool, args[0], blocks, lens, na - 1, &cd);
    if (!n) {
        for (uint32_t i = 1; i < na; i++) {
            sh_cidr c;
            if (!sh_cidr_parse(blocks[i - 1], lens[i - 1], &c)) {
                fail_at(p, args[i]->line, args[i]->col, "cidrMatch: %s", cd.msg);
                break;
            }
        }
        return NULL;
    }
    return mark(n, name);
}

static sh_ir *parse_call(parser *p) {
    eql_token name = p->tok;
    next(p);
    bool ci = false;
    if (p->tok.type == T_TILDE && p->tok.adjacent) {
        ci = true;
        next(p);
    }
    const sh_func_info *fi = sh_func_lookup(name.p, name.n);
    if (!fi) {
        FAIL(p, &name, "unknown function '%.*s'", (int)name.n, name.p);
        return NULL;
    }
    if (ci && !fi->ci_variant) {
        FAIL(p, &name, "function '%s' has no case-insensitive variant ('%s~')", fi->name, fi->name);
        return NULL;
    }
    expect(p, T_LPAREN, "'('");
    sh_ir *args[256];
    uint32_t na = 0;
    if (!accept(p, T_RPAREN)) {
        do {
            if (na == 255) { FAIL(p, &p->tok, "too many arguments"); return NULL; }
            args[na] = parse_expr(p);
            if (!args[na++]) return NULL;
        } while (accept(p, T_COMMA));
        if (!expect(p, T_RPAREN, "',' or ')' in the argument list")) return NULL;
    }
    if (na < fi->min_args || (fi->max_args != 255 && na > fi->max_args)) {
        if (fi->min_args == fi->max_args)
            FAIL(p, &name, "function '%s' takes %u argument%s, got %u", fi->name, fi->min_args,
                 fi->min_args == 1 ? "" : "s", na);
        else if (fi->max_args == 255)
            FAIL(p, &name, "function '%s' takes at least %u argument%s, got %u", fi->name, fi->min_args,
                 fi->min_args == 1 ? "" : "s", na);
        else
            FAIL(p, &name, "function '%s' takes %u to %u arguments, got %u", fi->name, fi->min_args,
                 fi->max_args, na);
        return NULL;
    }
    if (fi->id == SH_FN_CIDRMATCH) return make_cidrmatch(p, args, na, &name);
    sh_ir *call = mark(sh_ir_new(p->pool, SH_IR_FUNC, na), &name);
    call->op = (uint8_t)fi->id;
    if (ci) call->flags |= SH_IRF_CI;
    memcpy(call->args, args, na * sizeof *args);
    return call;
}

static sh_ir *parse_primary(parser *p) {
    eql_token t = p->tok;
    char b[80];
    switch (t.type) {
    case T_STRING:
        if (t.single_quoted)
            eql_warn(p->q, "%ld:%ld: single-quoted strings are not accepted by Elasticsearch; use \"...\"",
                     t.line, t.col);
        next(p);
        return mark(sh_ir_lit_str(p->pool, t.str, t.slen), &t);
    case T_INT: next(p); return mark(sh_ir_lit_int(p->pool, t.i), &t);
    case T_FLOAT: next(p); return mark(sh_ir_lit_float(p->pool, t.f), &t);
    case T_LPAREN: {
        next(p);
        sh_ir *e = parse_expr(p);
        if (!e || !expect(p, T_RPAREN, "')'")) return NULL;
        return e;
    }
    case T_QUESTION:
        next(p);
        if (p->tok.type != T_IDENT && p->tok.type != T_QIDENT) {
            expected(p, "a field name after '?'");
            return NULL;
        }
        return parse_field(p, true);
    case T_QIDENT: return parse_field(p, false);
    case T_IDENT:
        if (is_kw(&t, "true") || is_kw(&t, "false")) {
            next(p);
            return mark(sh_ir_lit_bool(p->pool, is_kw(&t, "true")), &t);
        }
        if (is_kw(&t, "null")) {
            next(p);
            return mark(sh_ir_lit_null(p->pool), &t);
        }
        if (is_keyword(&t)) {
            FAIL(p, &t, "expected an expression, found keyword '%.*s'", (int)t.n, t.p);
            return NULL;
        }
        {
            /* a function call when '(' (or '~(') follows */
            eql_lexer save = p->lx;
            eql_token nt = eql_lex_next(&save);
            if (nt.type == T_LPAREN || (nt.type == T_TILDE && nt.adjacent)) return parse_call(p);
        }
        return parse_field(p, false);
    default:
        FAIL(p, &t, "expected an expression, found %s", describe(&t, b, sizeof b));
        return NULL;
    }
}

static sh_ir *parse_unary(parser *p) {
    eql_token t = p->tok;
    if (t.type != T_MINUS && t.type != T_PLUS) return parse_primary(p);
    next(p);
    if (++p->depth > MAX_DEPTH) { FAIL(p, &t, "expression nested too deeply"); return NULL; }
    sh_ir *a = parse_unary(p);
    p->depth--;
    if (!a || t.type == T_PLUS) return a;
    if (a->kind == SH_IR_LIT && a->lit.type == SH_INT && a->lit.i != INT64_MIN)
        return mark(sh_ir_lit_int(p->pool, -a->lit.i), &t);
    if (a->kind == SH_IR_LIT && a->lit.type == SH_FLOAT) return mark(sh_ir_lit_float(p->pool, -a->lit.f), &t);
    return mark(sh_ir_unary(p->pool, SH_IR_NEG, a), &t);
}

/* arithmetic chains build left-deep trees: they count as nesting */
static bool chain_ok(parser *p, int *ops) {
    ++*ops;
    if (++p->depth <= MAX_DEPTH) return true;
    FAIL(p, &p->tok, "expression nested too deeply");
    return false;
}

static sh_ir *parse_term(parser *p) {
    sh_ir *l = parse_unary(p);
    int ops = 0;
    while (l && (p->tok.type == T_STAR || p->tok.type == T_SLASH || p->tok.type == T_PERCENT)) {
        if (!chain_ok(p, &ops)) return NULL;
        eql_token t = p->tok;
        next(p);
        sh_ir *r = parse_unary(p);
        if (!r) return NULL;
        uint8_t op = t.type == T_STAR ? SH_MUL : t.type == T_SLASH ? SH_DIV : SH_MOD;
        l = mark(sh_ir_binary(p->pool, SH_IR_ARITH, op, l, r), &t);
    }
    p->depth -= ops;
    return l;
}

static sh_ir *parse_arith(parser *p) {
    sh_ir *l = parse_term(p);
    int ops = 0;
    while (l && (p->tok.type == T_PLUS || p->tok.type == T_MINUS)) {
        if (!chain_ok(p, &ops)) return NULL;
        eql_token t = p->tok;
        next(p);
        sh_ir *r = parse_term(p);
        if (!r) return NULL;
        l = mark(sh_ir_binary(p->pool, SH_IR_ARITH, t.type == T_PLUS ? SH_ADD : SH_SUB, l, r), &t);
    }
    p->depth -= ops;
    return l;
}

static int cmp_op(const eql_token *t) {
    switch (t->type) {
    case T_EQ: return SH_CMP_EQ;
    case T_NE: return SH_CMP_NE;
    case T_LT: return SH_CMP_LT;
    case T_LE: return SH_CMP_LE;
    case T_GT: return SH_CMP_GT;
    case T_GE: return SH_CMP_GE;
    default: return -1;
    }
}

static sh_ir *make_cmp(parser *p, int op, sh_ir *l, sh_ir *r, const eql_token *t) {
    if ((op == SH_CMP_EQ || op == SH_CMP_NE) && (is_null_lit(l) || is_null_lit(r))) {
        sh_ir *n = sh_ir_unary(p->pool, SH_IR_ISNULL, is_null_lit(l) ? r : l);
        if (op == SH_CMP_NE) n->flags |= SH_IRF_NEGATE;
        return mark(n, t);
    }
    return mark(sh_ir_binary(p->pool, SH_IR_CMP, (uint8_t)op, l, r), t);
}

/* the list after in/in~: '(' expr, ... ')' */
static sh_ir *parse_in(parser *p, sh_ir *lhs, bool ci, bool neg, const eql_token *t) {
    if (!expect(p, T_LPAREN, "'(' after 'in'")) return NULL;
    sh_ir **items = malloc(MAX_LIST * sizeof *items);
    if (!items) abort();
    uint32_t n = 0;
    do {
        if (n == MAX_LIST) { FAIL(p, &p->tok, "list longer than %d items", MAX_LIST); break; }
        items[n] = parse_expr(p);
        if (!items[n++]) break;
    } while (accept(p, T_COMMA));
    sh_ir *node = NULL;
    if (!p->failed && expect(p, T_RPAREN, "',' or ')' in the list")) {
        node = mark(sh_ir_new(p->pool, SH_IR_IN, n + 1), t);
        node->args[0] = lhs;
        memcpy(node->args + 1, items, n * sizeof *items);
        if (ci) node->flags |= SH_IRF_CI;
        if (neg) node->flags |= SH_IRF_NEGATE;
    }
    free(items);
    return node;
}

typedef enum { PM_SEQ, PM_LIKE, PM_LIKE_CI, PM_REGEX, PM_REGEX_CI } pat_kind;

/* one constant of a pattern list */
static bool pattern_const(parser *p, pat_kind k, const eql_token *op, eql_token *out) {
    eql_token t = p->tok;
    bool neg = false;
    if (t.type == T_MINUS) {
        neg = true;
        next(p);
        t = p->tok;
    }
    if (t.type != T_STRING && t.type != T_INT && t.type != T_FLOAT && !is_kw(&t, "true") && !is_kw(&t, "false") &&
        !is_kw(&t, "null")) {
        char b[80];
        FAIL(p, &t, "expected a constant after %s, found %s", eql_tok_name(op->type), describe(&t, b, sizeof b));
        return false;
    }
    if (neg && t.type != T_INT && t.type != T_FLOAT) { expected(p, "a number after '-'"); return false; }
    if (neg && t.type == T_INT) t.i = -t.i;
    if (neg && t.type == T_FLOAT) t.f = -t.f;
    if (k >= PM_REGEX && t.type != T_STRING) { FAIL(p, &t, "regex patterns must be strings"); return false; }
    *out = t;
    next(p);
    return true;
}

static sh_ir *regex_node(parser *p, sh_ir *lhs, const eql_token *toks, uint32_t n, const char **pats,
                         const uint32_t *lens, uint32_t np, bool ci, const eql_token *op) {
    sh_diag rd;
    sh_diag_clear(&rd);
    sh_ir *m = sh_ir_regex(p->pool, lhs, pats, lens, np, ci, true, &rd);
    if (m) return mark(m, op);
    /* find the pattern at fault to point at it */
    for (uint32_t i = 0, j = 0; i < n; i++) {
        if (toks[i].type != T_STRING) continue;
        sh_diag one;
        sh_diag_clear(&one);
        if (!sh_ir_regex(p->pool, lhs, &pats[j], &lens[j], 1, ci, true, &one)) {
            FAIL(p, &toks[i], "%s in \"%s\"", one.msg, pats[j]);
            return NULL;
        }
        j++;
    }
    FAIL(p, op, "%s", rd.msg);
    return NULL;
}

/* `lhs : pats`, `lhs like pats`, `lhs regex pats`: pats is one literal or a
 * parenthesised list of literals; non-string constants compare for equality */
static sh_ir *build_patterns(parser *p, sh_ir *lhs, pat_kind k, const eql_token *op, const eql_token *toks,
                             uint32_t n, const char **pats, uint32_t *lens, sh_ir **others) {
    uint32_t np = 0, no = 0;
    bool ci = k == PM_SEQ || k == PM_LIKE_CI || k == PM_REGEX_CI;
    for (uint32_t i = 0; i < n; i++) {
        const eql_token *t = &toks[i];
        if (t->type == T_STRING) {
            pats[np] = t->str;
            lens[np++] = (uint32_t)t->slen;
            continue;
        }
        sh_ir *lit = t->type == T_INT     ? sh_ir_lit_int(p->pool, t->i)
                     : t->type == T_FLOAT ? sh_ir_lit_float(p->pool, t->f)
                     : is_kw(t, "null")   ? sh_ir_lit_null(p->pool)
                                          : sh_ir_lit_bool(p->pool, is_kw(t, "true"));
        others[no] = make_cmp(p, SH_CMP_EQ, lhs, mark(lit, t), t);
        if (ci) others[no]->flags |= SH_IRF_CI;
        no++;
    }
    sh_ir *m = NULL;
    if (np && k >= PM_REGEX) {
        if (!(m = regex_node(p, lhs, toks, n, pats, lens, np, ci, op))) return NULL;
    } else if (np) {
        m = mark(sh_ir_wildcard(p->pool, lhs, pats, lens, np, ci), op);
    }
    if (!no) return m;
    sh_ir *or = mark(sh_ir_new(p->pool, SH_IR_OR, no + (m ? 1 : 0)), op);
    uint32_t j = 0;
    if (m) or->args[j++] = m;
    memcpy(or->args + j, others, no * sizeof *others);
    return or;
}

static sh_ir *parse_patterns(parser *p, sh_ir *lhs, pat_kind k, const eql_token *op) {
    eql_token *toks = malloc(MAX_LIST * sizeof *toks);
    const char **pats = malloc(MAX_LIST * sizeof *pats);
    uint32_t *lens = malloc(MAX_LIST * sizeof *lens);
    sh_ir **others = malloc(MAX_LIST * sizeof *others);
    if (!toks || !pats || !lens || !others) abort();
    uint32_t n = 0;
    bool list = accept(p, T_LPAREN), ok = true;
    do {
        if (n == MAX_LIST) { FAIL(p, &p->tok, "too many patterns (at most %d)", MAX_LIST); ok = false; break; }
        if (!(ok = pattern_const(p, k, op, &toks[n]))) break;
        n++;
    } while (list && accept(p, T_COMMA));
    if (ok && list) ok = expect(p, T_RPAREN, "',' or ')' in the pattern list");
    sh_ir *res = ok && !p->failed ? build_patterns(p, lhs, k, op, toks, n, pats, lens, others) : NULL;
    free(toks);
    free(pats);
    free(lens);
    free(others);
    return res;
}

static bool adjacent_tilde(parser *p) {
    if (p->tok.type == T_TILDE && p->tok.adjacent) {
        next(p);
        return true;
    }
    return false;
}

/* comparison or predicate after an arithmetic operand */
static sh_ir *parse_predicate(parser *p) {
    sh_ir *l = parse_arith(p);
    if (!l) return NULL;
    eql_token t = p->tok;
    int op = cmp_op(&t);
    sh_ir *res = l;
    if (op >= 0) {
        next(p);
        sh_ir *r = parse_arith(p);
        if (!r) return NULL;
        res = make_cmp(p, op, l, r, &t);
    } else if (t.type == T_ASSIGN) {
        FAIL(p, &t, "'=' is not an EQL operator; use '==' (case-sensitive) or ':' (case-insensitive)");
        return NULL;
    } else if (t.type == T_COLON) {
        next(p);
        res = parse_patterns(p, l, PM_SEQ, &t);
    } else if (is_kw(&t, "like") || is_kw(&t, "regex")) {
        bool rx = is_kw(&t, "regex");
        next(p);
        bool ci = adjacent_tilde(p);
        res = parse_patterns(p, l, rx ? (ci ? PM_REGEX_CI : PM_REGEX) : (ci ? PM_LIKE_CI : PM_LIKE), &t);
    } else if (is_kw(&t, "in")) {
        next(p);
        res = parse_in(p, l, adjacent_tilde(p), false, &t);
    } else if (is_kw(&t, "not")) {
        next(p);
        if (!is_kw(&p->tok, "in")) { expected(p, "'in' after 'not'"); return NULL; }
        next(p);
        res = parse_in(p, l, adjacent_tilde(p), true, &t);
    } else return l;
    if (res && (cmp_op(&p->tok) >= 0 || p->tok.type == T_COLON)) {
        FAIL(p, &p->tok, "comparisons cannot be chained; combine them with 'and'");
        return NULL;
    }
    return res;
}

static sh_ir *parse_not(parser *p) {
    eql_token t = p->tok;
    if (!is_kw(&t, "not")) return parse_predicate(p);
    next(p);
    if (++p->depth > MAX_DEPTH) { FAIL(p, &t, "expression nested too deeply"); return NULL; }
    sh_ir *a = parse_not(p);
    p->depth--;
    return a ? mark(sh_ir_unary(p->pool, SH_IR_NOT, a), &t) : NULL;
}

/* n-ary and/or */
static sh_ir *parse_bool(parser *p, bool is_or) {
    const char *kw = is_or ? "or" : "and";
    sh_ir *first = is_or ? parse_bool(p, false) : parse_not(p);
    if (!first || !is_kw(&p->tok, kw)) return first;
    eql_token t = p->tok;
    size_t n = 1, cap = 8;
    sh_ir **items = malloc(cap * sizeof *items);
    if (!items) abort();
    items[0] = first;
    while (accept_kw(p, kw)) {
        if (n == cap) {
            cap *= 2;
            sh_ir **ni = realloc(items, cap * sizeof *items);
            if (!ni) abort();
            items = ni;
        }
        items[n] = is_or ? parse_bool(p, false) : parse_not(p);
        if (!items[n++]) break;
    }
    sh_ir *node = NULL;
    if (!p->failed) {
        node = mark(sh_ir_new(p->pool, is_or ? SH_IR_OR : SH_IR_AND, (uint32_t)n), &t);
        memcpy(node->args, items, n * sizeof *items);
    }
    free(items);
    return node;
}

static sh_ir *parse_expr(parser *p) {
    eql_token t = p->tok;
    if (++p->depth > MAX_DEPTH) { FAIL(p, &t, "expression nested too deeply"); return NULL; }
    sh_ir *e = parse_bool(p, true);
    p->depth--;
    return p->failed ? NULL : e;
}

/* ---------------------------------------------------------- event query */

/* CATEGORY where EXPR  ->  event.category == CATEGORY and EXPR */
static sh_ir *parse_event_filter(parser *p) {
    eql_token cat = p->tok;
    char b[80];
    bool any = is_kw(&cat, "any");
    if (cat.type == T_IDENT && !any && is_keyword(&cat)) {
        FAIL(p, &cat, "expected an event category, found keyword '%.*s'", (int)cat.n, cat.p);
        return NULL;
    }
    if (cat.type != T_IDENT && cat.type != T_STRING && cat.type != T_QIDENT) {
        FAIL(p, &cat, "expected an event category (or 'any'), found %s", describe(&cat, b, sizeof b));
        return NULL;
    }
    next(p);
    if (!is_kw(&p->tok, "where")) {
        FAIL(p, &p->tok, "expected 'where' after the event category, found %s", describe(&p->tok, b, sizeof b));
        return NULL;
    }
    next(p);
    sh_ir *cond = parse_expr(p);
    if (!cond || any) return cond;
    const char *cs = cat.type == T_IDENT ? cat.p : cat.str;
    size_t cn = cat.type == T_IDENT ? cat.n : cat.slen;
    sh_ir *f = mark(sh_ir_field(p->pool, "event.category", 14, false), &cat);
    sh_ir *cmp = mark(sh_ir_binary(p->pool, SH_IR_CMP, SH_CMP_EQ, f, mark(sh_ir_lit_str(p->pool, cs, cn), &cat)), &cat);
    sh_ir *and = mark(sh_ir_new(p->pool, SH_IR_AND, 2), &cat);
    and->args[0] = cmp;
    and->args[1] = cond;
    return and;
}

/* ------------------------------------------------------ sequence/sample */

typedef struct keylist {
    const sh_ir *k[MAX_KEYS];
    uint8_t opt[MAX_KEYS];
    uint32_t n;
    eql_token at;
} keylist;

static bool parse_keys(parser *p, keylist *kl) {
    kl->at = p->tok;
    do {
        if (kl->n == MAX_KEYS) { FAIL(p, &p->tok, "too many join keys (at most %d)", MAX_KEYS); return false; }
        sh_ir *k = parse_arith(p);
        if (!k) return false;
        kl->opt[kl->n] = k->kind == SH_IR_FIELD && (k->flags & SH_IRF_OPTIONAL);
        kl->k[kl->n++] = k;
    } while (accept(p, T_COMMA));
    return true;
}

static int64_t unit_ns(const char *u, size_t n) {
    static const struct { const char *u; int64_t ns; } units[] = {
        {"nanos", 1}, {"micros", 1000}, {"ms", 1000000}, {"s", 1000000000LL},
        {"m", 60000000000LL}, {"h", 3600000000000LL}, {"d", 86400000000000LL},
    };
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (strlen(units[i].u) == n && memcmp(units[i].u, u, n) == 0) return units[i].ns;
    return 0;
}

static bool parse_maxspan(parser *p) {
    eql_token t = p->tok;
    if (!accept_kw(p, "maxspan")) {
        char b[80];
        FAIL(p, &t, "expected 'maxspan' after 'with', found %s", describe(&t, b, sizeof b));
        return false;
    }
    if (!expect(p, T_ASSIGN, "'=' after 'maxspan'")) return false;
    eql_token num = p->tok;
    if (num.type != T_INT) { expected(p, "a duration such as 5m after 'maxspan='"); return false; }
    next(p);
    if (p->tok.type != T_IDENT) {
        FAIL(p, &num, "maxspan: missing time unit after %lld (use ms, s, m, h or d)", (long long)num.i);
        return false;
    }
    int64_t u = unit_ns(p->tok.p, p->tok.n);
    if (!u) {
        FAIL(p, &p->tok, "maxspan: unknown time unit '%.*s' (use ms, s, m, h or d)", (int)p->tok.n, p->tok.p);
        return false;
    }
    if (num.i <= 0 || num.i > INT64_MAX / u) { FAIL(p, &num, "maxspan: must be a positive duration"); return false; }
    p->q->maxspan_ns = num.i * u;
    next(p);
    return true;
}

typedef struct term {
    sh_ir *filter;
    keylist keys;
    bool missing;
    int64_t runs;
    eql_token at;
} term;

/* '[' filter ']' [by keys] [with runs=N]   (or '![' for a missing event) */
static bool parse_qterm(parser *p, term *t, bool allow_runs) {
    memset(t, 0, sizeof *t);
    t->at = p->tok;
    t->runs = 1;
    if (p->tok.type == T_MISSING_OPEN) t->missing = true;
    else if (p->tok.type != T_LBRACK) { expected(p, "'[' to open a query"); return false; }
    next(p);
    t->filter = parse_event_filter(p);
    if (!t->filter || !expect(p, T_RBRACK, "']' to close the query")) return false;
    if (accept_kw(p, "by") && !parse_keys(p, &t->keys)) return false;
    if (allow_runs && is_kw(&p->tok, "with")) {
        eql_lexer save = p->lx;
        eql_token nt = eql_lex_next(&save);
        if (!(nt.type == T_IDENT && nt.n == 4 && memcmp(nt.p, "runs", 4) == 0)) {
            char b[80];
            FAIL(p, &nt, "expected 'runs' after 'with' (maxspan goes after 'sequence'), found %s", describe(&nt, b, sizeof b));
            return false;
        }
        next(p);
        next(p);
        if (!expect(p, T_ASSIGN, "'=' after 'runs'")) return false;
        eql_token num = p->tok;
        if (num.type != T_INT) { expected(p, "a number after 'runs='"); return false; }
        if (num.i < 1 || num.i > 100) { FAIL(p, &num, "runs must be between 1 and 100, got %lld", (long long)num.i); return false; }
        t->runs = num.i;
        next(p);
    }
    return true;
}

static void fill_stage(parser *p, sh_stage_spec *st, const term *t, const keylist *common) {
    uint32_t nk = common->n + t->keys.n;
    const sh_ir **keys = sh_arena_zalloc(&p->pool->arena, (nk ? nk : 1) * sizeof *keys);
    uint8_t *opt = sh_arena_zalloc(&p->pool->arena, nk ? nk : 1);
    memcpy(keys, common->k, common->n * sizeof *keys);
    memcpy(keys + common->n, t->keys.k, t->keys.n * sizeof *keys);
    memcpy(opt, common->opt, common->n);
    memcpy(opt + common->n, t->keys.opt, t->keys.n);
    st->filter = t->filter;
    st->keys = keys;
    st->key_optional = opt;
    st->nkeys = nk;
    st->missing = t->missing;
    st->line = (uint32_t)t->at.line;
    st->col = (uint32_t)t->at.col;
}

static bool check_key_count(parser *p, const term *t, uint32_t want) {
    if (t->keys.n == want) return true;
    const eql_token *at = t->keys.n ? &t->keys.at : &t->at;
    FAIL(p, at, "inconsistent number of join keys: expected %u (as in the first query), found %u", want, t->keys.n);
    return false;
}

static bool parse_terms(parser *p, term *terms, uint32_t *nterms, bool is_seq) {
    *nterms = 0;
    while (p->tok.type == T_LBRACK || p->tok.type == T_MISSING_OPEN) {
        if (*nterms == EQL_MAX_STAGES) { FAIL(p, &p->tok, "too many queries (at most %d)", EQL_MAX_STAGES); return false; }
        term *t = &terms[*nterms];
        if (!parse_qterm(p, t, is_seq)) return false;
        if (t->missing && !is_seq) { FAIL(p, &t->at, "missing events (![...]) are only allowed in sequences"); return false; }
        if (*nterms && !check_key_count(p, t, terms[0].keys.n)) return false;
        (*nterms)++;
    }
    if (!*nterms) expected(p, "'[' to open the first query");
    return !p->failed;
}

static bool build_stages(parser *p, term *terms, uint32_t nterms, const keylist *common) {
    sh_eql *q = p->q;
    uint32_t total = 0;
    for (uint32_t i = 0; i < nterms; i++) total += (uint32_t)terms[i].runs;
    if (total > EQL_MAX_STAGES) { FAIL(p, &terms[0].at, "too many queries after expanding runs (at most %d)", EQL_MAX_STAGES); return false; }
    q->stages = sh_arena_zalloc(&p->pool->arena, total * sizeof *q->stages);
    for (uint32_t i = 0; i < nterms; i++)
        for (int64_t r = 0; r < terms[i].runs; r++) fill_stage(p, &q->stages[q->nstages++], &terms[i], common);
    return true;
}

static bool parse_sequence(parser *p) {
    sh_eql *q = p->q;
    eql_token kw = p->tok;
    next(p);
    q->kind = SH_EQL_SEQUENCE;
    keylist common = {0};
    bool have_by = false, have_with = false;
    for (int i = 0; i < 2; i++) {
        if (!have_by && accept_kw(p, "by")) {
            if (!parse_keys(p, &common)) return false;
            have_by = true;
        } else if (!have_with && accept_kw(p, "with")) {
            if (!parse_maxspan(p)) return false;
            have_with = true;
        }
    }
    term *terms = calloc(EQL_MAX_STAGES, sizeof *terms);
    if (!terms) abort();
    uint32_t nterms;
    bool ok = parse_terms(p, terms, &nterms, true);
    if (ok && accept_kw(p, "until")) {
        term ut;
        ok = parse_qterm(p, &ut, false) && check_key_count(p, &ut, terms[0].keys.n);
        if (ok && ut.missing) { FAIL(p, &ut.at, "the until query cannot be a missing event"); ok = false; }
        if (ok) {
            fill_stage(p, &q->until, &ut, &common);
            q->has_until = true;
        }
    }
    if (ok) ok = build_stages(p, terms, nterms, &common);
    free(terms);
    if (!ok) return false;
    uint32_t npos = 0, nmiss = 0;
    for (uint32_t i = 0; i < q->nstages; i++) q->stages[i].missing ? nmiss++ : npos++;
    if (!npos) { FAIL(p, &kw, "a sequence needs at least one query that is not a missing event"); return false; }
    if (nmiss && !q->maxspan_ns) { FAIL(p, &kw, "missing events (![...]) require 'with maxspan=...'"); return false; }
    if (q->nstages == 1)
        eql_warn(q, "%ld:%ld: sequence with a single query: Elasticsearch requires at least two; it runs as a sequence of one",
                 kw.line, kw.col);
    return true;
}

static bool parse_sample(parser *p) {
    sh_eql *q = p->q;
    eql_token kw = p->tok;
    next(p);
    q->kind = SH_EQL_SAMPLE;
    keylist common = {0};
    if (accept_kw(p, "by") && !parse_keys(p, &common)) return false;
    if (is_kw(&p->tok, "with")) { FAIL(p, &p->tok, "samples do not support 'with' (maxspan or runs)"); return false; }
    term *terms = calloc(EQL_MAX_STAGES, sizeof *terms);
    if (!terms) abort();
    uint32_t nterms;
    bool ok = parse_terms(p, terms, &nterms, false);
    if (ok && is_kw(&p->tok, "with")) { FAIL(p, &p->tok, "samples do not support 'with' (maxspan or runs)"); ok = false; }
    if (ok && is_kw(&p->tok, "until")) { FAIL(p, &p->tok, "samples do not support 'until'"); ok = false; }
    if (ok) ok = build_stages(p, terms, nterms, &common);
    free(terms);
    if (ok && q->nstages == 1)
        eql_warn(q, "%ld:%ld: sample with a single query: Elasticsearch requires at least two", kw.line, kw.col);
    return ok;
}

/* ---------------------------------------------------------------- pipes */

static bool parse_pipes(parser *p) {
    sh_eql *q = p->q;
    while (accept(p, T_PIPE)) {
        eql_token name = p->tok;
        char b[80];
        if (name.type != T_IDENT) { FAIL(p, &name, "expected a pipe name after '|', found %s", describe(&name, b, sizeof b)); return false; }
        bool head = is_kw(&name, "head"), tail = is_kw(&name, "tail");
        if (!head && !tail) {
            FAIL(p, &name, "unsupported pipe '%.*s' (Elasticsearch EQL supports head and tail)", (int)name.n, name.p);
            return false;
        }
        next(p);
        if (p->tok.type != T_INT) {
            FAIL(p, &p->tok, "expected a non-negative number after '%s', found %s", head ? "head" : "tail",
                 describe(&p->tok, b, sizeof b));
            return false;
        }
        if (q->npipes == EQL_MAX_PIPES) { FAIL(p, &name, "too many pipes (at most %d)", EQL_MAX_PIPES); return false; }
        q->pipes[q->npipes++] = (eql_pipe){.kind = head ? EQL_PIPE_HEAD : EQL_PIPE_TAIL, .n = p->tok.i};
        next(p);
    }
    return true;
}

/* ---------------------------------------------------------------- query */

static bool parse_query(parser *p) {
    sh_eql *q = p->q;
    eql_token t = p->tok;
    if (is_kw(&t, "join")) { FAIL(p, &t, "'join' is not supported by Elasticsearch EQL (use sequence or sample)"); return false; }
    if (is_kw(&t, "sequence")) {
        if (!parse_sequence(p)) return false;
    } else if (is_kw(&t, "sample")) {
        if (!parse_sample(p)) return false;
    } else {
        q->kind = SH_EQL_EVENT;
        sh_ir *f = parse_event_filter(p);
        if (!f) return false;
        q->stages = sh_arena_zalloc(&p->pool->arena, sizeof *q->stages);
        q->stages[0].filter = f;
        q->stages[0].line = (uint32_t)t.line;
        q->stages[0].col = (uint32_t)t.col;
        q->nstages = 1;
    }
    if (!parse_pipes(p)) return false;
    if (p->tok.type != T_EOF) {
        char b[80];
        if (is_kw(&p->tok, "of"))
            FAIL(p, &p->tok, "lineage ('child of', 'descendant of', 'event of') is not supported by Elasticsearch EQL");
        else
            FAIL(p, &p->tok, "unexpected %s after the end of the query", describe(&p->tok, b, sizeof b));
        return false;
    }
    return true;
}

bool eql_parse(sh_eql *q, const char *text, size_t len, sh_diag *d) {
    parser p = {.q = q, .pool = &q->pool, .d = d};
    eql_lex_init(&p.lx, text, len, &q->pool.arena, d);
    next(&p);
    if (p.failed) return false;
    if (p.tok.type == T_EOF) {
        FAIL(&p, &p.tok, "empty query");
        return false;
    }
    return parse_query(&p) && !p.failed;
}
