/* lexer.h: tokens of Elasticsearch EQL. The lexer works on the query text
 * in place; string tokens are decoded into the parser's pool. Every token
 * carries its 1-based line and column for diagnostics. */
#ifndef SHRIKE_EQL_LEXER_H
#define SHRIKE_EQL_LEXER_H

#include "util/util.h"

typedef enum eql_tok {
    T_EOF, T_IDENT, T_QIDENT, T_STRING, T_INT, T_FLOAT,
    T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK, T_MISSING_OPEN, T_COMMA, T_DOT, T_PIPE,
    T_QUESTION, T_TILDE, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_COLON, T_ASSIGN,
    T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PERCENT, T_BANG,
    T_ERROR
} eql_tok;

typedef struct eql_token {
    eql_tok type;
    const char *p;          /* start in the source */
    size_t n;               /* bytes in the source */
    long line, col;
    bool adjacent;          /* no whitespace before this token */
    /* decoded value */
    char *str;              /* T_STRING / T_QIDENT text (arena) */
    size_t slen;
    bool single_quoted;     /* T_STRING written '...' */
    int64_t i;              /* T_INT */
    double f;               /* T_FLOAT */
} eql_token;

typedef struct eql_lexer {
    const char *src, *end, *cur;
    long line;
    const char *line_start;
    sh_arena *arena;
    sh_diag *diag;          /* set on T_ERROR */
} eql_lexer;

void eql_lex_init(eql_lexer *lx, const char *src, size_t len, sh_arena *arena, sh_diag *d);
eql_token eql_lex_next(eql_lexer *lx);
const char *eql_tok_name(eql_tok t);

#endif
