/* eql_int.h: the compiled form of an EQL query, shared by the parser
 * (parser.c) and the runtime (eql.c). Filters and join keys are IR trees
 * (engine/ir.h); the stateful parts run on the engine's sequence and sample
 * machines (engine/sequence.h, engine/sample.h). */
#ifndef SHRIKE_EQL_INT_H
#define SHRIKE_EQL_INT_H

#include "engine/ir.h"
#include "engine/sample.h"
#include "engine/sequence.h"
#include "lang/eql/eql.h"

typedef enum { EQL_PIPE_HEAD, EQL_PIPE_TAIL } eql_pipe_kind;

typedef struct eql_pipe {
    eql_pipe_kind kind;
    int64_t n;
    /* runtime */
    int64_t seen;               /* head: results passed */
    sh_match *ring;             /* tail: the last n results (owned copies) */
    int64_t ring_len, ring_pos;
} eql_pipe;

#define EQL_MAX_STAGES 256
#define EQL_MAX_PIPES 16
#define EQL_MAX_WARNINGS 16

struct sh_eql {
    sh_query base;            /* first: the engine sees an sh_query */
    sh_irpool pool;
    sh_eql_kind kind;

    /* compiled stages: an event query has one; a sequence or sample one per
     * query term (runs expanded), plus the until term */
    sh_stage_spec *stages;
    uint32_t nstages;
    sh_stage_spec until;
    bool has_until;
    int64_t maxspan_ns;         /* 0 when none */

    eql_pipe pipes[EQL_MAX_PIPES];
    uint32_t npipes;

    const char *warnings[EQL_MAX_WARNINGS + 1];
    uint32_t nwarnings;

    /* runtime */
    sh_eval ev;
    sh_seq *seq;
    sh_sample *sample;
    bool done;                  /* a head limit was reached */
    sh_match_cb cb;             /* callback of the feed/finish in progress */
    void *cbctx;
};

/* parser.c: fill q from text; false with d set on error */
bool eql_parse(sh_eql *q, const char *text, size_t len, sh_diag *d);
void eql_warn(sh_eql *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
