/* shrike.c: the engine instance behind the public API: a list of compiled
 * rules, each fed every event in load order. */
#include "shrike/shrike.h"

#include <stdlib.h>
#include <string.h>

typedef struct crule {
    sh_rule *rule;
    sh_eql *eql;
    bool done;                /* head limit reached */
} crule;

struct shrike {
    crule *rules;
    size_t n, cap;
};

shrike *shrike_new(void) {
    shrike *s = calloc(1, sizeof *s);
    if (!s) abort();
    return s;
}

void shrike_free(shrike *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        sh_eql_free(s->rules[i].eql);
        sh_rule_free(s->rules[i].rule);
    }
    free(s->rules);
    free(s);
}

/* map a position inside the query text to the rule file */
static void locate(const sh_rule *r, sh_diag *d) {
    snprintf(d->file, sizeof d->file, "%s", r->path ? r->path : "");
    if (d->line > 0 && r->query_line > 0) d->line += r->query_line - 1;
    else if (d->line <= 0) d->line = r->line;
}

bool shrike_add_rule(shrike *s, sh_rule *r, sh_diag *d) {
    sh_diag_clear(d);
    if (r->lang != SH_LANG_EQL) {
        sh_diag_set(d, r->path, r->line, 0, "rule language not supported yet");
        return false;
    }
    sh_eql *q = sh_eql_compile(r->query, strlen(r->query), d);
    if (!q) {
        locate(r, d);
        return false;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->rules = realloc(s->rules, s->cap * sizeof *s->rules);
        if (!s->rules) abort();
    }
    s->rules[s->n++] = (crule){.rule = r, .eql = q};
    return true;
}

size_t shrike_rule_count(const shrike *s) { return s->n; }
const sh_rule *shrike_rule(const shrike *s, size_t i) { return s->rules[i].rule; }
const char *const *shrike_rule_warnings(const shrike *s, size_t i) { return sh_eql_warnings(s->rules[i].eql); }

typedef struct fwd {
    const sh_rule *rule;
    shrike_alert_cb cb;
    void *ctx;
} fwd;

static void forward(void *ctx, const sh_match *m) {
    fwd *f = ctx;
    shrike_alert a = {.rule = f->rule, .match = m};
    f->cb(f->ctx, &a);
}

void shrike_feed(shrike *s, sh_event *e, shrike_alert_cb cb, void *ctx) {
    for (size_t i = 0; i < s->n; i++) {
        crule *c = &s->rules[i];
        if (c->done) continue;
        fwd f = {.rule = c->rule, .cb = cb, .ctx = ctx};
        if (!sh_eql_feed(c->eql, e, forward, &f)) c->done = true;
    }
}

void shrike_finish(shrike *s, shrike_alert_cb cb, void *ctx) {
    for (size_t i = 0; i < s->n; i++) {
        fwd f = {.rule = s->rules[i].rule, .cb = cb, .ctx = ctx};
        sh_eql_finish(s->rules[i].eql, forward, &f);
    }
}
