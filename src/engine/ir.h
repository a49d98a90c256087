/* ir.h: shrike's intermediate form for event filters, shared by every rule
 * language (EQL today; Sigma and SPL lower into the same tree). A filter is
 * an expression tree of field references, literals, comparisons, boolean
 * logic, arithmetic, function calls and pre-compiled string matchers.
 *
 * The language-specific semantics are explicit flags on the nodes, never
 * separate evaluators:
 *   - SH_IRF_CI         case-insensitive comparison / matching
 *   - SH_IRF_ALL        a multi-valued operand must satisfy the test with
 *                       every value (default: any value suffices)
 *   - SH_IRF_OPTIONAL   a field reference written `?field`: when absent it
 *                       behaves exactly like the literal null
 *   - SH_IRF_NULLSAFE   `==`/`!=` where null equals null (Sigma's `field: null`)
 *
 * Logic is three-valued (true, false, null): a comparison involving null is
 * null, `not null` is null, and an event matches only when its filter is
 * true. Field references are resolved once, when the tree is built, through
 * the field model (sh_fieldref); the evaluator never looks a field up by
 * name. Wildcard patterns are split and lowered at build time; regular
 * expressions are compiled once (PCRE2, with match limits).
 *
 * Memory: every node lives in an sh_irpool (an arena plus the list of
 * compiled regexes to release). Evaluation allocates nothing per event
 * beyond a scratch arena that is reset, not freed. */
#ifndef SHRIKE_IR_H
#define SHRIKE_IR_H

#include "event/fieldmap.h"

typedef enum sh_tri { SH_FALSE = 0, SH_TRUE = 1, SH_NULLT = 2 } sh_tri;

typedef enum sh_ir_kind {
    SH_IR_LIT,       /* lit */
    SH_IR_FIELD,     /* ref */
    SH_IR_AND,       /* args[0..n) */
    SH_IR_OR,        /* args[0..n) */
    SH_IR_NOT,       /* args[0] */
    SH_IR_CMP,       /* args[0] op args[1]; op: sh_cmp_op */
    SH_IR_ISNULL,    /* args[0] has no non-null value (negated: has one) */
    SH_IR_IN,        /* args[0] in args[1..n); negated for `not in` */
    SH_IR_WILDCARD,  /* args[0] matches one of the patterns in wild */
    SH_IR_REGEX,     /* args[0] matches one of the regexes in rx */
    SH_IR_ARITH,     /* args[0] op args[1]; op: sh_arith_op */
    SH_IR_NEG,       /* -args[0] */
    SH_IR_FUNC,      /* fn(args...) ; op: sh_func_id */
    SH_IR_ANYFIELD   /* value: every value of every field the event carries
                      * (derived fields left out): Sigma's keyword searches */
} sh_ir_kind;

typedef enum sh_cmp_op { SH_CMP_EQ, SH_CMP_NE, SH_CMP_LT, SH_CMP_LE, SH_CMP_GT, SH_CMP_GE } sh_cmp_op;
typedef enum sh_arith_op { SH_ADD, SH_SUB, SH_MUL, SH_DIV, SH_MOD } sh_arith_op;

typedef enum sh_func_id {
    SH_FN_ADD, SH_FN_BETWEEN, SH_FN_CIDRMATCH, SH_FN_CONCAT, SH_FN_DIVIDE,
    SH_FN_ENDSWITH, SH_FN_INDEXOF, SH_FN_LENGTH, SH_FN_MODULO, SH_FN_MULTIPLY,
    SH_FN_NUMBER, SH_FN_STARTSWITH, SH_FN_STRING, SH_FN_STRINGCONTAINS,
    SH_FN_SUBSTRING, SH_FN_SUBTRACT,
    SH_FN_TIMEPART,     /* Sigma's time modifiers: timepart(value, unit) with unit
                         * 0 minute, 1 hour, 2 day, 3 week (ISO), 4 month, 5 year;
                         * not reachable from EQL (its name is no identifier) */
    /* Splunk's eval functions (func_spl.c; named "spl:NAME" so that no EQL
     * query can reach them). They see each argument's whole value set
     * (multivalue fields), and if/case/coalesce evaluate lazily. */
    SH_FN_SPL_FIRST_,
    SH_FN_SPL_IF = SH_FN_SPL_FIRST_, SH_FN_SPL_CASE, SH_FN_SPL_COALESCE, SH_FN_SPL_LOWER,
    SH_FN_SPL_UPPER, SH_FN_SPL_LEN, SH_FN_SPL_SUBSTR, SH_FN_SPL_REPLACE, SH_FN_SPL_SPLIT,
    SH_FN_SPL_MVINDEX, SH_FN_SPL_MVCOUNT, SH_FN_SPL_MVJOIN, SH_FN_SPL_MVAPPEND, SH_FN_SPL_TOSTRING,
    SH_FN_SPL_TONUMBER, SH_FN_SPL_STRFTIME, SH_FN_SPL_NOW, SH_FN_SPL_LIKE, SH_FN_SPL_PLUS,
    SH_FN_SPL_CONCAT, SH_FN_SPL_TRIM, SH_FN_SPL_LTRIM, SH_FN_SPL_RTRIM, SH_FN_SPL_ABS,
    SH_FN_SPL_ROUND, SH_FN_SPL_FLOOR, SH_FN_SPL_CEIL, SH_FN_SPL_ISNUM, SH_FN_SPL_ISSTR,
    SH_FN_SPL_CIDRMATCH, SH_FN_SPL_IN, SH_FN_SPL_MVDEDUP, SH_FN_SPL_STRPTIME,
    SH_FN_COUNT_
} sh_func_id;

enum {
    SH_IRF_CI = 1u << 0,
    SH_IRF_ALL = 1u << 1,
    SH_IRF_NEGATE = 1u << 2,
    SH_IRF_OPTIONAL = 1u << 3,
    SH_IRF_NULLSAFE = 1u << 4,
    SH_IRF_TWOVALUED = 1u << 5, /* NOT: true unless its operand is true (a null
                                 * operand counts as false: Sigma's two-valued logic) */
    SH_IRF_PRESENT = 1u << 6,   /* ISNULL: tests whether the field is there at all
                                 * (a JSON null counts as present: Sigma's `exists`) */
    SH_IRF_LOWERED = 1u << 7,   /* WILDCARD (CI) on a field: the field's values are folded
                                 * once per event and kept in the event as a derived field
                                 * (ref names it), shared by every rule (sh_ir_lower_cache) */
    SH_IRF_NUMTEXT = 1u << 8,   /* CMP, ARITH (SPL): text that reads as a number counts as
                                 * one (Splunk compares "10" > "9" and adds "1" + 2) */
};

/* One wildcard pattern: '*' any run, '?' one character; no escapes. */
typedef struct sh_wpat {
    const char *text;       /* as given, lowered when the set is case-insensitive */
    uint32_t len;
    bool wild;              /* contains '*' or '?' (else plain equality) */
    uint8_t shape;          /* sh_wshape: lets common shapes skip the general matcher */
    const char *core;       /* the literal of PREFIX/SUFFIX/CONTAINS shapes */
    uint32_t core_len;
} sh_wpat;

typedef enum sh_wshape { SH_W_EXACT, SH_W_PREFIX, SH_W_SUFFIX, SH_W_CONTAINS, SH_W_ANY, SH_W_GENERAL } sh_wshape;

/* A hash set of literal strings (lowered when case-insensitive): IN lists
 * and the plain patterns of wildcard lists test membership in one probe. */
typedef struct sh_strset_slot {
    const char *s;
    uint32_t len, hash;
} sh_strset_slot;

typedef struct sh_strset {
    sh_strset_slot *slots;      /* power-of-two table, s == NULL empty */
    uint32_t cap, n;
    uint32_t *others;           /* IN: argument indices not in the set */
    uint32_t nothers;
} sh_strset;

bool sh_strset_has(const sh_strset *set, const char *s, size_t n);

typedef struct sh_wlits sh_wlits;   /* match.c */

typedef struct sh_wildset {
    sh_wpat *pats;
    uint32_t n;
    sh_strset *exact;           /* the plain (wildcard-free) patterns, when many */
    sh_wlits *lits;             /* the `*literal*` patterns, when many: one Vectorscan
                                 * literal scan instead of one search each */
} sh_wildset;

typedef struct sh_rxset {
    void **codes;           /* pcre2_code_8 * */
    uint32_t n;
    const char **pats;      /* their source text (in the pool) */
    uint32_t *lens;
    bool caseless;          /* compiled with PCRE2_CASELESS */
    bool extended;          /* ... with PCRE2_EXTENDED(_MORE) or PCRE2_LITERAL:
                             * not read as rxlit.c reads patterns */
} sh_rxset;

/* Literals every match of regex pat must contain (rxlit.c): true with *n
 * strings (in a), one of which is in any text the regex matches; for a
 * caseless regex (or one with (?i) anywhere), runs whose case variants all
 * fold back to them, so the text must be folded (sh_utf8_lower) before it
 * is searched. False when no such set is known (syntax not read there, or a
 * branch that may match nothing). */
bool sh_regex_needs(const char *pat, size_t len, bool caseless, bool extended, sh_arena *a, const char ***out,
                    uint32_t **lens, uint32_t *n);

typedef struct sh_cidr {
    uint8_t addr[16];
    uint8_t is_v6;
    uint8_t bits;
} sh_cidr;

typedef struct sh_ir sh_ir;
struct sh_ir {
    uint8_t kind;           /* sh_ir_kind */
    uint8_t op;             /* sh_cmp_op / sh_arith_op / sh_func_id */
    uint16_t flags;         /* SH_IRF_* */
    uint32_t nargs;
    sh_ir **args;
    sh_value lit;                   /* SH_IR_LIT (strings live in the pool) */
    const char *lit_lower;          /* SH_IR_LIT string, lowered (for CI uses) */
    uint32_t lit_lower_len;
    const sh_fieldref *ref;         /* SH_IR_FIELD */
    sh_wildset *wild;               /* SH_IR_WILDCARD */
    sh_strset *set;                 /* SH_IR_IN over many string literals */
    sh_rxset *rx;                   /* SH_IR_REGEX */
    sh_cidr *cidrs;                 /* SH_FN_CIDRMATCH: pre-parsed blocks */
    uint32_t ncidrs;
    uint32_t line, col;             /* where the source text had it (1-based) */
    uint32_t memo;                  /* WILDCARD on a field: 1 + the number of its test
                                     * (the same field, flags and patterns in any rule
                                     * share it): an event remembers the result;
                                     * UINT32_MAX not remembered, 0 not finalized */
};

/* ---- pool: owns nodes and compiled regexes ---- */
typedef struct sh_irpool {
    sh_arena arena;
    void **codes;                   /* pcre2 codes to free */
    size_t ncodes, capcodes;
    sh_wlits **lits;                /* literal sets whose matchers to free */
    size_t nlits, caplits;
} sh_irpool;

void sh_irpool_init(sh_irpool *p);
void sh_irpool_free(sh_irpool *p);

/* ---- building ---- */
sh_ir *sh_ir_new(sh_irpool *p, sh_ir_kind kind, uint32_t nargs);
sh_ir *sh_ir_lit(sh_irpool *p, const sh_value *v);       /* copies string text */
sh_ir *sh_ir_lit_str(sh_irpool *p, const char *s, size_t n);
sh_ir *sh_ir_lit_int(sh_irpool *p, int64_t i);
sh_ir *sh_ir_lit_float(sh_irpool *p, double d);
sh_ir *sh_ir_lit_bool(sh_irpool *p, bool b);
sh_ir *sh_ir_lit_null(sh_irpool *p);
sh_ir *sh_ir_field(sh_irpool *p, const char *name, size_t n, bool optional);
sh_ir *sh_ir_unary(sh_irpool *p, sh_ir_kind kind, sh_ir *a);
sh_ir *sh_ir_binary(sh_irpool *p, sh_ir_kind kind, uint8_t op, sh_ir *a, sh_ir *b);
/* Wildcard node over a list of literal patterns (pattern strings copied and,
 * with ci, lowered). */
sh_ir *sh_ir_wildcard(sh_irpool *p, sh_ir *subject, const char *const *pats,
                      const uint32_t *lens, uint32_t n, bool ci);
/* Regex node. anchored: the whole value must match (EQL, Lucene); otherwise
 * a match anywhere counts (Sigma's `re`, SPL's `match`). Returns NULL and
 * fills d (col = offset in the pattern + 1) on a bad pattern. */
sh_ir *sh_ir_regex(sh_irpool *p, sh_ir *subject, const char *const *pats,
                   const uint32_t *lens, uint32_t n, bool ci, bool anchored, sh_diag *d);
/* Regex node with PCRE2 options of the caller's choosing (Sigma's `re` with
 * its i/m/s flags): opts are PCRE2 compile options added to PCRE2_UTF and
 * PCRE2_MATCH_INVALID_UTF; the match is unanchored. NULL and d set as above. */
sh_ir *sh_ir_regex_opts(sh_irpool *p, sh_ir *subject, const char *const *pats,
                        const uint32_t *lens, uint32_t n, uint32_t opts, sh_diag *d);
/* cidrMatch(subject, blocks...) with the blocks parsed now; NULL and d set
 * (d->msg names the block) when one is not a CIDR block. */
sh_ir *sh_ir_cidrmatch(sh_irpool *p, sh_ir *subject, const char *const *blocks,
                       const uint32_t *lens, uint32_t n, sh_diag *d);
/* Parse a CIDR block ("10.0.0.0/8", "fe80::/10", a bare address = /32 or /128). */
bool sh_cidr_parse(const char *s, size_t n, sh_cidr *out);
bool sh_ip_parse(const char *s, size_t n, uint8_t addr[16], bool *is_v6);
bool sh_cidr_contains(const sh_cidr *c, const uint8_t addr[16], bool is_v6);

/* Let a case-insensitive WILDCARD node on a plain field read the field's
 * lower-cased values from a per-event cache (SH_IRF_LOWERED) instead of
 * folding them at each evaluation; other nodes are left as they are.
 * sh_ir_wildcard does it for every case-insensitive node; the cache is not
 * used once an event's fields were changed (sh_event.changed: SPL's eval). */
void sh_ir_lower_cache(sh_ir *n);

/* Build the membership sets of a finished tree (IN lists and wildcard
 * lists with many plain strings). Front ends call it once per filter. */
void sh_ir_finalize(sh_irpool *p, sh_ir *n);
/* how many distinct remembered tests there are (sh_ir.memo) */
uint32_t sh_ir_memo_count(void);

/* True when n is a literal (after folding nothing: kinds LIT only). */
static inline bool sh_ir_is_lit(const sh_ir *n) { return n->kind == SH_IR_LIT; }

/* ---- evaluation ---- */

/* A set of values produced by evaluating an expression: a field's values, one
 * literal, or computed values (in the evaluator's scratch arena). n == 0 means
 * null / absent. Values of type SH_NULL may appear inside (JSON nulls). */
typedef struct sh_vals {
    const sh_value *v;
    uint32_t n;
    bool optional_null;     /* empty because an optional field is absent */
} sh_vals;

typedef struct sh_eval {
    sh_arena scratch;       /* reset by sh_eval_reset; never freed per event */
    void *md;               /* pcre2_match_data_8 * */
    void *mctx;             /* pcre2_match_context_8 * */
    uint32_t combo_limit;   /* cap on argument combinations of multi-valued function calls */
} sh_eval;

void sh_eval_init(sh_eval *ev);
void sh_eval_free(sh_eval *ev);
static inline void sh_eval_reset(sh_eval *ev) { sh_arena_reset(&ev->scratch); }

/* Evaluate a condition: three-valued. */
sh_tri sh_ir_eval(sh_eval *ev, const sh_ir *n, sh_event *e);
/* Evaluate a value expression into a set of values. */
void sh_ir_values(sh_eval *ev, const sh_ir *n, sh_event *e, sh_vals *out);
/* The filter matches: sh_ir_eval(...) == SH_TRUE, scratch reset first. */
bool sh_ir_match(sh_eval *ev, const sh_ir *n, sh_event *e);

/* ---- string matching helpers (match.c) ---- */
bool sh_wild_match(const char *pat, size_t pn, const char *s, size_t sn);
/* Match subject against the set; ci: the patterns were lowered at build. */
bool sh_wildset_match(sh_eval *ev, const sh_wildset *w, bool ci, const char *s, size_t n);
/* Literal sets (sh_wildset.lits): made from `*literal*` patterns; the matcher
 * is compiled on first use; freed with the pool. */
sh_wlits *sh_wlits_new(sh_irpool *p, const char *const *lits, const uint32_t *lens, uint32_t n);
void sh_wlits_free(sh_wlits *l);
/* the literals of a set (what the `*literal*` patterns had between their stars) */
uint32_t sh_wlits_list(const sh_wlits *l, const char *const **lits, const uint32_t **lens);
/* Returns 1 match, 0 no match, -1 error (limit exceeded: treated as no match). */
int sh_rxset_match(sh_eval *ev, const sh_rxset *r, const char *s, size_t n);
/* Lower s into scratch (or into buf when it fits); returns the lowered text. */
const char *sh_lower_tmp(sh_eval *ev, const char *s, size_t n, char *buf, size_t bufsz, size_t *outn);

/* ---- values helpers (eval.c) ---- */
/* Total order used for join keys and sorting: null < bool < number < string. */
int sh_value_order(const sh_value *a, const sh_value *b);
/* Compare two non-null values for the comparison operators. Returns -1/0/1 or
 * 2 when they are not comparable. ci: case-insensitive for strings. */
int sh_value_cmp(const sh_value *a, const sh_value *b, bool ci);
bool sh_value_is_num(const sh_value *v);
double sh_value_num(const sh_value *v);

/* ---- functions (func.c) ---- */
typedef struct sh_func_info {
    const char *name;
    sh_func_id id;
    uint8_t min_args, max_args;     /* max 255 = variadic */
    bool ci_variant;                /* has a `~` form */
} sh_func_info;

const sh_func_info *sh_func_lookup(const char *name, size_t n); /* case-insensitive; NULL if unknown */
const sh_func_info *sh_func_info_of(sh_func_id id);
/* Evaluate a function call node into out (results in scratch). */
void sh_func_eval(sh_eval *ev, const sh_ir *n, sh_event *e, sh_vals *out);
/* Splunk's functions (func_spl.c): the SPL front end's name table, the
 * evaluation of SH_FN_SPL_* nodes and the time now() returns (set once per
 * search, so every row of a run sees the same value). */
typedef struct sh_spl_func {
    const char *name;
    sh_func_id id;
    uint8_t min_args, max_args;   /* max 255 = variadic */
} sh_spl_func;
const sh_spl_func *sh_spl_func_lookup(const char *name, size_t n);   /* case-sensitive, as Splunk */
void sh_spl_func_eval(sh_eval *ev, const sh_ir *n, sh_event *e, sh_vals *out);
void sh_spl_set_now(double epoch_seconds);

#endif
