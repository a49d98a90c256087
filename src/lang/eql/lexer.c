/* lexer.c: tokenizer for Elasticsearch EQL: identifiers (with '@' and '_'),
 * backquoted field names (`` doubles a backquote), strings ("..." with
 * escapes, '...' accepted with a warning by the parser, """raw"""), integers,
 * decimals, operators, and // and block comments. Errors are reported as
 * T_ERROR with the diagnostic filled in (line, column, reason). */
#include "lang/eql/lexer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void eql_lex_init(eql_lexer *lx, const char *src, size_t len, sh_arena *arena, sh_diag *d) {
    lx->src = lx->cur = src;
    lx->end = src + len;
    lx->line = 1;
    lx->line_start = src;
    lx->arena = arena;
    lx->diag = d;
}

const char *eql_tok_name(eql_tok t) {
    static const char *names[] = {
        "end of query", "identifier", "field name", "string", "number", "number",
        "'('", "')'", "'['", "']'", "'!['", "','", "'.'", "'|'",
        "'?'", "'~'", "'=='", "'!='", "'<'", "'<='", "'>'", "'>='", "':'", "'='",
        "'+'", "'-'", "'*'", "'/'", "'%'", "'!'", "error",
    };
    return names[t];
}

static long col_of(const eql_lexer *lx, const char *p) { return (long)(p - lx->line_start) + 1; }

static eql_token err_tok(eql_lexer *lx, const char *at, const char *msg, const char *arg) {
    eql_token t = {.type = T_ERROR, .p = at, .line = lx->line, .col = col_of(lx, at)};
    if (arg) sh_diag_set(lx->diag, NULL, t.line, t.col, "%s%s", msg, arg);
    else sh_diag_set(lx->diag, NULL, t.line, t.col, "%s", msg);
    return t;
}

static void newline(eql_lexer *lx, const char *p) {
    lx->line++;
    lx->line_start = p + 1;
}

/* skip whitespace and comments; false on an unterminated block comment */
static bool skip_space(eql_lexer *lx, long *eline, long *ecol) {
    const char *p = lx->cur;
    while (p < lx->end) {
        char c = *p;
        if (c == '\n') { newline(lx, p); p++; }
        else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') p++;
        else if (c == '/' && p + 1 < lx->end && p[1] == '/') {
            while (p < lx->end && *p != '\n') p++;
        } else if (c == '/' && p + 1 < lx->end && p[1] == '*') {
            *eline = lx->line;
            *ecol = col_of(lx, p);
            p += 2;
            while (p + 1 < lx->end && !(p[0] == '*' && p[1] == '/')) {
                if (*p == '\n') newline(lx, p);
                p++;
            }
            if (p + 1 >= lx->end) {
                lx->cur = lx->end;
                return false;
            }
            p += 2;
        } else break;
    }
    lx->cur = p;
    return true;
}

static bool is_ident_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '@' || (unsigned char)c >= 0x80;
}

static bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }

static int hexv(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* \u{XXXX}: 2 to 8 hex digits; p points at 'u'. Returns bytes consumed or 0. */
static size_t unicode_escape(const char *p, const char *end, uint32_t *cp) {
    if (p + 1 >= end || p[1] != '{') return 0;
    const char *q = p + 2;
    uint32_t v = 0;
    int k = 0;
    while (q < end && hexv(*q) >= 0 && k < 8) v = v * 16 + (uint32_t)hexv(*q++), k++;
    if (k < 2 || q >= end || *q != '}') return 0;
    if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
    *cp = v;
    return (size_t)(q + 1 - p);
}

static eql_token lex_quoted(eql_lexer *lx, char q) {
    const char *st = lx->cur, *p = st + 1;
    char *out = sh_arena_alloc(lx->arena, (size_t)(lx->end - st) + 1);
    size_t o = 0;
    for (;;) {
        if (p >= lx->end || *p == '\n' || *p == '\r') {
            lx->cur = p;
            return err_tok(lx, st, "unterminated string", NULL);
        }
        char c = *p;
        if (c == q) break;
        if (c != '\\') { out[o++] = c; p++; continue; }
        if (p + 1 >= lx->end) { lx->cur = p; return err_tok(lx, st, "unterminated string", NULL); }
        char e = p[1];
        const char *map = "n\nr\rt\tb\bf\f\\\\\"\"''";
        const char *m = NULL;
        for (const char *k = map; *k; k += 2)
            if (*k == e) { m = k; break; }
        if (m) { out[o++] = m[1]; p += 2; continue; }
        uint32_t cp;
        size_t used = e == 'u' ? unicode_escape(p + 1, lx->end, &cp) : 0;
        if (!used) {
            char what[8] = {'\\', e, '\'', 0};
            lx->cur = p;
            return err_tok(lx, p, "invalid escape sequence '", what);
        }
        o += sh_utf8_encode(cp, out + o);
        p += 1 + used;
    }
    out[o] = 0;
    eql_token t = {.type = T_STRING, .p = st, .n = (size_t)(p + 1 - st), .line = lx->line,
                   .col = col_of(lx, st), .str = out, .slen = o, .single_quoted = q == '\''};
    lx->cur = p + 1;
    return t;
}

static eql_token lex_raw(eql_lexer *lx) {
    const char *st = lx->cur, *p = st + 3;
    long line = lx->line, col = col_of(lx, st);
    while (p + 2 < lx->end && !(p[0] == '"' && p[1] == '"' && p[2] == '"')) {
        if (*p == '\n') newline(lx, p);
        p++;
    }
    if (p + 2 >= lx->end) {
        lx->cur = lx->end;
        eql_token t = {.type = T_ERROR, .line = line, .col = col};
        sh_diag_set(lx->diag, NULL, line, col, "unterminated raw string (\"\"\"...\"\"\")");
        return t;
    }
    size_t n = (size_t)(p - (st + 3));
    eql_token t = {.type = T_STRING, .p = st, .n = (size_t)(p + 3 - st), .line = line, .col = col,
                   .str = sh_arena_strndup(lx->arena, st + 3, n), .slen = n};
    lx->cur = p + 3;
    return t;
}

static eql_token lex_backquoted(eql_lexer *lx) {
    const char *st = lx->cur, *p = st + 1;
    char *out = sh_arena_alloc(lx->arena, (size_t)(lx->end - st) + 1);
    size_t o = 0;
    for (;;) {
        if (p >= lx->end || *p == '\n') {
            lx->cur = p;
            return err_tok(lx, st, "unterminated backquoted name", NULL);
        }
        if (*p == '`') {
            if (p + 1 < lx->end && p[1] == '`') { out[o++] = '`'; p += 2; continue; }
            break;
        }
        out[o++] = *p++;
    }
    out[o] = 0;
    if (o == 0) {
        lx->cur = p + 1;
        return err_tok(lx, st, "empty backquoted name", NULL);
    }
    eql_token t = {.type = T_QIDENT, .p = st, .n = (size_t)(p + 1 - st), .line = lx->line,
                   .col = col_of(lx, st), .str = out, .slen = o};
    lx->cur = p + 1;
    return t;
}

static eql_token lex_number(eql_lexer *lx) {
    const char *st = lx->cur, *p = st;
    bool is_float = false;
    while (p < lx->end && *p >= '0' && *p <= '9') p++;
    if (p + 1 < lx->end && *p == '.' && p[1] >= '0' && p[1] <= '9') {
        is_float = true;
        p++;
        while (p < lx->end && *p >= '0' && *p <= '9') p++;
    }
    if (p < lx->end && (*p == 'e' || *p == 'E')) {
        const char *q = p + 1;
        if (q < lx->end && (*q == '+' || *q == '-')) q++;
        if (q < lx->end && *q >= '0' && *q <= '9') {
            is_float = true;
            p = q;
            while (p < lx->end && *p >= '0' && *p <= '9') p++;
        }
    }
    eql_token t = {.p = st, .n = (size_t)(p - st), .line = lx->line, .col = col_of(lx, st)};
    char tmp[128];
    if (t.n >= sizeof tmp) return err_tok(lx, st, "number too long", NULL);
    memcpy(tmp, st, t.n);
    tmp[t.n] = 0;
    errno = 0;
    if (is_float) {
        t.type = T_FLOAT;
        t.f = strtod(tmp, NULL);
    } else {
        t.type = T_INT;
        unsigned long long v = strtoull(tmp, NULL, 10);
        if (errno || v > INT64_MAX) return err_tok(lx, st, "integer out of range: ", tmp);
        t.i = (int64_t)v;
    }
    lx->cur = p;
    return t;
}

static eql_token simple(eql_lexer *lx, eql_tok type, size_t n) {
    eql_token t = {.type = type, .p = lx->cur, .n = n, .line = lx->line, .col = col_of(lx, lx->cur)};
    lx->cur += n;
    return t;
}

static eql_token lex_op(eql_lexer *lx) {
    const char *p = lx->cur;
    char c = *p, d = p + 1 < lx->end ? p[1] : 0;
    switch (c) {
    case '(': return simple(lx, T_LPAREN, 1);
    case ')': return simple(lx, T_RPAREN, 1);
    case '[': return simple(lx, T_LBRACK, 1);
    case ']': return simple(lx, T_RBRACK, 1);
    case ',': return simple(lx, T_COMMA, 1);
    case '.': return simple(lx, T_DOT, 1);
    case '|': return simple(lx, T_PIPE, 1);
    case '?': return simple(lx, T_QUESTION, 1);
    case '~': return simple(lx, T_TILDE, 1);
    case ':': return simple(lx, T_COLON, 1);
    case '+': return simple(lx, T_PLUS, 1);
    case '-': return simple(lx, T_MINUS, 1);
    case '*': return simple(lx, T_STAR, 1);
    case '/': return simple(lx, T_SLASH, 1);
    case '%': return simple(lx, T_PERCENT, 1);
    case '=': return d == '=' ? simple(lx, T_EQ, 2) : simple(lx, T_ASSIGN, 1);
    case '<': return d == '=' ? simple(lx, T_LE, 2) : simple(lx, T_LT, 1);
    case '>': return d == '=' ? simple(lx, T_GE, 2) : simple(lx, T_GT, 1);
    case '!':
        if (d == '=') return simple(lx, T_NE, 2);
        if (d == '[') return simple(lx, T_MISSING_OPEN, 2);
        return simple(lx, T_BANG, 1);
    default: {
        char what[4] = {c, '\'', 0, 0};
        lx->cur++;
        return err_tok(lx, p, "unexpected character '", what);
    }
    }
}

eql_token eql_lex_next(eql_lexer *lx) {
    const char *before = lx->cur;
    long eline = 0, ecol = 0;
    if (!skip_space(lx, &eline, &ecol)) {
        eql_token t = {.type = T_ERROR, .p = lx->cur, .line = eline, .col = ecol};
        sh_diag_set(lx->diag, NULL, eline, ecol, "unterminated comment");
        return t;
    }
    bool adjacent = lx->cur == before;
    eql_token t;
    if (lx->cur >= lx->end) {
        t = (eql_token){.type = T_EOF, .p = lx->cur, .line = lx->line, .col = col_of(lx, lx->cur)};
    } else {
        char c = *lx->cur;
        if (c == '"' && lx->end - lx->cur >= 3 && lx->cur[1] == '"' && lx->cur[2] == '"') t = lex_raw(lx);
        else if (c == '"' || c == '\'') t = lex_quoted(lx, c);
        else if (c == '`') t = lex_backquoted(lx);
        else if (c >= '0' && c <= '9') t = lex_number(lx);
        else if (is_ident_start(c)) {
            const char *p = lx->cur;
            while (p < lx->end && is_ident_char(*p)) p++;
            t = (eql_token){.type = T_IDENT, .p = lx->cur, .n = (size_t)(p - lx->cur), .line = lx->line,
                            .col = col_of(lx, lx->cur)};
            lx->cur = p;
        } else t = lex_op(lx);
    }
    t.adjacent = adjacent;
    return t;
}
