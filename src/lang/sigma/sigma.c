/* sigma.c: the Sigma front end (placeholder until the front end lands). */
#include "engine/query.h"

static sh_query *fe_compile(void *ctx, const sh_rule *r, sh_diag *d) {
    (void)ctx;
    (void)r;
    sh_diag_set(d, "", 0, 0, "Sigma rules are not supported yet");
    return NULL;
}

const sh_frontend sh_frontend_sigma = {.lang = SH_LANG_SIGMA, .name = "sigma", .compile = fe_compile};
