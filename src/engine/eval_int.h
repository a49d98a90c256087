/* eval_int.h: helpers private to the evaluator (eval.c, func.c): making
 * computed values in the scratch arena and walking the combinations of
 * multi-valued arguments. */
#ifndef SHRIKE_EVAL_INT_H
#define SHRIKE_EVAL_INT_H

#include "engine/ir.h"

sh_value sh_mk_int(sh_eval *ev, int64_t i);
sh_value sh_mk_float(sh_eval *ev, double d);
sh_value sh_mk_bool(bool b);
sh_value sh_mk_str(sh_eval *ev, const char *s, size_t n);   /* copies */

/* Growable list of computed values in scratch. */
typedef struct sh_vbuild {
    sh_value *v;
    uint32_t n, cap;
} sh_vbuild;

void sh_vb_push(sh_eval *ev, sh_vbuild *b, const sh_value *v);
static inline void sh_vb_done(sh_vbuild *b, sh_vals *out) {
    out->v = b->v;
    out->n = b->n;
    out->optional_null = false;
}

/* x op y for numbers (sh_arith_op); false when null (non-numbers, division by zero). */
bool sh_arith(sh_eval *ev, uint8_t op, const sh_value *x, const sh_value *y, sh_value *r);

/* Number parsing shared by comparisons and number(): strict, whole string. */
bool sh_parse_int(const char *s, size_t n, int base, int64_t *out);
bool sh_parse_num(const char *s, size_t n, sh_value *out);   /* int or float, text not set */

/* UTF-8 code points: the length of the one at byte i (clipped to n), how
 * many s holds, and the byte offset of code point number cp (n past the end) */
static inline size_t sh_cp_len(const char *s, size_t i, size_t n) {
    unsigned char c = (unsigned char)s[i];
    size_t k = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    return i + k > n ? n - i : k;
}

static inline size_t sh_cp_count(const char *s, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i += sh_cp_len(s, i, n)) c++;
    return c;
}

static inline size_t sh_cp_offset(const char *s, size_t n, size_t cp) {
    size_t i = 0;
    while (cp-- > 0 && i < n) i += sh_cp_len(s, i, n);
    return i;
}

#endif
