/* sigma_int.h: what the parts of the Sigma front end share. A Sigma rule
 * (detection, filter or correlation) compiles into an sg_rule, which embeds
 * the engine's sh_query. Detection rules lower into one IR filter:
 *
 *     detection-condition AND logsource-selector
 *
 * (value.c lowers `field|modifiers: values`, detect.c the search
 * identifiers and keyword lists, cond.c the condition expression,
 * logsource.c the logsource table). Filters (sigma.c) AND their condition
 * into the rules they name; correlations (corr.c) re-evaluate the rules they
 * name and keep bounded per-group state. The per-engine context (sg_ctx)
 * holds the compiled rules by id and name, so that correlations and filters
 * compiled later (pass 1) find them. */
#ifndef SHRIKE_SIGMA_INT_H
#define SHRIKE_SIGMA_INT_H

#include "engine/ir.h"
#include "engine/query.h"
#include "lang/sigma/yaml.h"

#define SG_MAX_WARNINGS 32
#define SG_MAX_CATS 16
#define SG_MAX_WINS 64
#define SG_MAX_VALUES 65536     /* values of one detection item after expansion */
#define SG_BUDGET 200000        /* detection nodes visited while compiling one rule */

typedef struct sg_ctx sg_ctx;
typedef struct sg_corr sg_corr;

typedef enum sg_kind { SG_DETECT, SG_FILTER, SG_CORR } sg_kind;

/* product / category / service as the rule gives them (NULL: absent) */
typedef struct sg_logsrc {
    const char *product, *category, *service;
} sg_logsrc;

/* the events a rule can use, for the engine's index */
typedef struct sg_index {
    bool any;                   /* must see every event */
    const char *cats[SG_MAX_CATS];
    size_t ncats;
    sh_win_event wins[SG_MAX_WINS];
    size_t nwins;
} sg_index;

typedef struct sg_rule sg_rule;
struct sg_rule {
    sh_query base;              /* first: the engine sees an sh_query */
    sg_kind kind;
    sg_ctx *ctx;
    sh_irpool pool;             /* IR nodes, strings of this rule */
    sh_eval ev;
    sh_ir *root;                /* detection rules: the filter (filters AND into it) */
    const char *id, *name, *title;   /* "" when absent */
    sg_logsrc ls;
    sg_index idx;
    const char *warnings[SG_MAX_WARNINGS + 1];
    uint32_t nwarnings;
    sg_corr *corr;              /* correlation rules */
    bool generate;              /* named by a correlation with generate: true */
};

/* ---- compiling ---- */

typedef struct sg_ident {
    const sy_node *key;         /* the search identifier */
    const sy_node *val;
    sh_ir *ir;                  /* lowered, once */
    int state;                  /* 0 not yet, 1 in progress, 2 done */
} sg_ident;

typedef struct sg_comp {
    sg_ctx *ctx;
    sg_rule *rule;              /* warnings go here */
    sh_irpool *pool;
    sh_arena tmp;               /* scratch for the compile, freed after it */
    sh_diag *d;
    bool failed;
    uint32_t budget;            /* detection nodes left to visit */
    sg_ident *ids;              /* the search identifiers of the detection */
    size_t nids;
    const char *const *known;   /* fields the logsource's sources provide (NULL: any) */
    const char *lsname;         /* "windows/process_creation" for messages */
} sg_comp;

void sg_fail(sg_comp *c, const sy_node *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void sg_fail_at(sg_comp *c, long line, long col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void sg_warn(sg_rule *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* a field reference of the rule (checks it against the logsource's fields) */
sh_ir *sg_field(sg_comp *c, const char *name, size_t n, const sy_node *at);

/* value.c: one detection item `field|mod|mod: value(s)`; field NULL (or "")
 * for keywords, which search every value of the event */
sh_ir *sg_item(sg_comp *c, const sy_node *key, const sy_node *val);
sh_ir *sg_keywords(sg_comp *c, const sy_node *list, const char *mods, const sy_node *at);

/* detect.c: a detection section (search identifiers + condition) into IR */
sh_ir *sg_detection(sg_comp *c, const sy_node *at, const sy_node *det, const sy_node *cond, const char *what);

/* cond.c: the condition expression over the identifiers in c->ids */
sh_ir *sg_condition(sg_comp *c, const sy_node *cond);
sh_ir *sg_ident_ir(sg_comp *c, sg_ident *id);

/* logsource.c */
bool sg_logsource_parse(sg_comp *c, const sy_node *ls, sg_logsrc *out);
/* the selector of events a logsource covers (NULL: every event) and the index
 * keys; unknown parts give a warning */
sh_ir *sg_logsource_lower(sg_comp *c, const sg_logsrc *ls, sg_index *idx);
/* does a filter's logsource cover the rule's (each part the filter names is equal) */
bool sg_logsource_covers(const sg_logsrc *filter, const sg_logsrc *rule);
/* the fields the sources of a logsource provide, NULL-terminated (NULL: unknown) */
const char *const *sg_logsource_fields(sg_comp *c, const sg_logsrc *ls);

/* sigma.c: the per-engine context */
sg_rule *sg_ctx_find(sg_ctx *ctx, const char *ref);
bool sg_ctx_rejected(sg_ctx *ctx, const char *ref);
/* placeholder values for `expand` (NULL when none is known) */
const char *const *sg_ctx_placeholder(sg_ctx *ctx, const char *name, size_t n);

/* corr.c */
bool sg_corr_compile(sg_comp *c, sg_rule *r, const sy_node *doc);
bool sg_corr_feed(sg_rule *r, sh_event *e, sh_match_cb cb, void *cbctx);
void sg_corr_finish(sg_rule *r, sh_match_cb cb, void *cbctx);
void sg_corr_reset(sg_rule *r);
void sg_corr_free(sg_rule *r);

/* the index of a union of rules */
void sg_index_merge(sg_index *into, const sg_index *from);

#endif
