/* exclude.c: exclusion files (see exclude.h and docs/tuning.md).
 *
 *   [[exclude]]
 *   name = "ci-signing"                 # optional; shown in counts
 *   reason = "release pipeline"         # optional
 *   rules = ["3c61745c-*", "Detect*"]   # optional: rule ids or names; none = every rule
 *   host = "BUILD-AGENT-*"              # each key: a pattern or a list of them (any one)
 *   parent = "Agent.Worker.exe"
 *   [exclude.fields]
 *   "process.args" = "/tr"
 *
 * Patterns compare case-insensitively with the whole value; `*` is any run
 * of characters, `?` one character. Every key given must hold (and), on one
 * and the same event of the alert. */
#include "api/exclude.h"

#include <stdlib.h>
#include <string.h>

#include "engine/ir.h"
#include "event/fieldmap.h"
#include "util/toml.h"

typedef enum xkind {
    XK_FIELD,      /* refs[0] */
    XK_HOST,       /* host.name, or its first label when the pattern has no '.' */
    XK_USER,       /* user name; DOMAIN\name when the pattern has a backslash */
    XK_PATHLIKE,   /* refs[0] (a path) when the pattern has a separator, else refs[1] (a name) */
    XK_ANYOF       /* any of refs[0..nrefs) */
} xkind;

typedef struct xcond {
    xkind kind;
    char *key;                    /* as written, for messages (owned: the TOML tree is freed after parsing) */
    const sh_fieldref *refs[4];
    uint32_t nrefs;
    char **pats;                  /* lowered */
    size_t npats;
} xcond;

typedef struct xentry {
    char *name;
    char *reason;
    long line;
    char **rules;                 /* lowered patterns; NULL: every rule */
    size_t nrules;
    xcond *conds;
    size_t nconds;
    uint64_t hits;
} xentry;

struct shrike_exclusions {
    char *file;
    xentry *entries;
    size_t n;
};

static const sh_fieldref *R(const char *name) { return sh_fieldref_get(name, strlen(name)); }

static char *lower_dup(const char *s, size_t n) {
    char *o = malloc(2 * n + 1);
    if (!o) abort();
    size_t k = sh_utf8_lower(s, n, o);
    o[k] = 0;
    return o;
}

static char *xstrdup(const char *s) {
    char *o = strdup(s ? s : "");
    if (!o) abort();
    return o;
}

static void free_entry(xentry *e) {
    free(e->name);
    free(e->reason);
    for (size_t i = 0; i < e->nrules; i++) free(e->rules[i]);
    free(e->rules);
    for (size_t c = 0; c < e->nconds; c++) {
        for (size_t i = 0; i < e->conds[c].npats; i++) free(e->conds[c].pats[i]);
        free(e->conds[c].pats);
        free(e->conds[c].key);
    }
    free(e->conds);
}

void shrike_exclusions_free(shrike_exclusions *x) {
    if (!x) return;
    for (size_t i = 0; i < x->n; i++) free_entry(&x->entries[i]);
    free(x->entries);
    free(x->file);
    free(x);
}

/* a string or an array of strings into lowered patterns; false when not */
static bool take_patterns(const sh_toml *v, char ***out, size_t *n) {
    if (v->type == SH_TOML_STRING) {
        *out = malloc(sizeof **out);
        if (!*out) abort();
        (*out)[0] = lower_dup(v->str, v->len);
        *n = 1;
        return true;
    }
    if (v->type != SH_TOML_ARRAY || v->n == 0) return false;
    for (size_t i = 0; i < v->n; i++)
        if (v->items[i]->type != SH_TOML_STRING) return false;
    *out = calloc(v->n, sizeof **out);
    if (!*out) abort();
    for (size_t i = 0; i < v->n; i++) (*out)[i] = lower_dup(v->items[i]->str, v->items[i]->len);
    *n = v->n;
    return true;
}

static const char *const known_keys =
    "name, reason, rules, host, user, parent, path, command_line, signer, file, fields";

/* set up the condition for shorthand key k; false when k is not one */
static bool shorthand(const char *k, xcond *c) {
    memset(c, 0, sizeof *c);
    if (!strcmp(k, "host")) {
        c->kind = XK_HOST;
        c->refs[c->nrefs++] = R("host.name");
    } else if (!strcmp(k, "user")) {
        c->kind = XK_USER;
        c->refs[c->nrefs++] = R("user.domain");
        c->refs[c->nrefs++] = R("user.name");
        c->refs[c->nrefs++] = R("SubjectDomainName");
        c->refs[c->nrefs++] = R("SubjectUserName");
    } else if (!strcmp(k, "parent")) {
        c->kind = XK_PATHLIKE;
        c->refs[c->nrefs++] = R("process.parent.executable");
        c->refs[c->nrefs++] = R("process.parent.name");
    } else if (!strcmp(k, "path")) {
        c->kind = XK_PATHLIKE;
        c->refs[c->nrefs++] = R("process.executable");
        c->refs[c->nrefs++] = R("process.name");
    } else if (!strcmp(k, "file")) {
        c->kind = XK_PATHLIKE;
        c->refs[c->nrefs++] = R("file.path");
        c->refs[c->nrefs++] = R("file.name");
    } else if (!strcmp(k, "command_line")) {
        c->kind = XK_ANYOF;
        c->refs[c->nrefs++] = R("process.command_line");
    } else if (!strcmp(k, "signer")) {
        c->kind = XK_ANYOF;
        c->refs[c->nrefs++] = R("process.code_signature.subject_name");
        c->refs[c->nrefs++] = R("process.code_signature.signing_id");
        c->refs[c->nrefs++] = R("process.code_signature.team_id");
    } else {
        return false;
    }
    return true;
}

static xcond *add_cond(xentry *e) {
    e->conds = realloc(e->conds, (e->nconds + 1) * sizeof *e->conds);
    if (!e->conds) abort();
    return &e->conds[e->nconds++];
}

static bool parse_entry(shrike_exclusions *x, const sh_toml *t, size_t idx, sh_diag *d) {
    xentry *e = &x->entries[x->n++];
    memset(e, 0, sizeof *e);
    e->line = t->line;
    for (size_t i = 0; i < t->n; i++) {
        const char *k = t->keys[i];
        const sh_toml *v = t->items[i];
        if (!strcmp(k, "name") || !strcmp(k, "reason")) {
            if (v->type != SH_TOML_STRING) {
                sh_diag_set(d, x->file, v->line, 0, "'%s' must be a string", k);
                return false;
            }
            char **dst = k[0] == 'n' ? &e->name : &e->reason;
            free(*dst);
            *dst = xstrdup(v->str);
        } else if (!strcmp(k, "rules")) {
            if (!take_patterns(v, &e->rules, &e->nrules)) {
                sh_diag_set(d, x->file, v->line, 0, "'rules' must be a rule id or name, or a non-empty array of them");
                return false;
            }
        } else if (!strcmp(k, "fields")) {
            if (v->type != SH_TOML_TABLE || v->n == 0) {
                sh_diag_set(d, x->file, v->line, 0, "'fields' must be a table of FIELD = pattern(s)");
                return false;
            }
            for (size_t f = 0; f < v->n; f++) {
                xcond *c = add_cond(e);
                memset(c, 0, sizeof *c);
                c->kind = XK_FIELD;
                c->key = xstrdup(v->keys[f]);
                c->refs[c->nrefs++] = R(v->keys[f]);
                if (!take_patterns(v->items[f], &c->pats, &c->npats)) {
                    free(c->key);
                    e->nconds--;
                    sh_diag_set(d, x->file, v->items[f]->line, 0,
                                "field '%s' must be a pattern or a non-empty array of patterns", v->keys[f]);
                    return false;
                }
            }
        } else {
            xcond c;
            if (!shorthand(k, &c)) {
                sh_diag_set(d, x->file, v->line, 0, "unknown key '%s' in [[exclude]] (known: %s)", k, known_keys);
                return false;
            }
            if (!take_patterns(v, &c.pats, &c.npats)) {
                sh_diag_set(d, x->file, v->line, 0, "'%s' must be a pattern or a non-empty array of patterns", k);
                return false;
            }
            c.key = xstrdup(k);
            *add_cond(e) = c;
        }
    }
    if (e->nconds == 0) {
        sh_diag_set(d, x->file, t->line, 0,
                    "[[exclude]] entry %zu has no condition: it would suppress every alert of its rules "
                    "(give host, user, parent, path, command_line, signer, file or fields)", idx + 1);
        return false;
    }
    if (!e->name) {
        char buf[64];
        snprintf(buf, sizeof buf, "entry %zu (line %ld)", idx + 1, t->line);
        e->name = xstrdup(buf);
    }
    return true;
}

shrike_exclusions *shrike_exclusions_parse(const char *text, size_t len, const char *name, sh_diag *d) {
    sh_diag_clear(d);
    shrike_exclusions *x = calloc(1, sizeof *x);
    if (!x) abort();
    x->file = xstrdup(name);
    sh_toml *root = sh_toml_parse(text, len, d);
    if (!root) {
        char msg[sizeof d->msg];
        snprintf(msg, sizeof msg, "%s", d->msg);
        sh_diag_set(d, x->file, d->line, d->col, "%s", msg);
        shrike_exclusions_free(x);
        return NULL;
    }
    bool ok = true;
    const sh_toml *list = NULL;
    for (size_t i = 0; i < root->n && ok; i++) {
        if (strcmp(root->keys[i], "exclude") != 0) {
            sh_diag_set(d, x->file, root->items[i]->line, 0, "unknown key '%s' (an exclusion file holds [[exclude]] entries)",
                        root->keys[i]);
            ok = false;
        } else {
            list = root->items[i];
        }
    }
    if (ok && list && list->type != SH_TOML_ARRAY) {
        sh_diag_set(d, x->file, list->line, 0, "'exclude' must be an array of tables ([[exclude]])");
        ok = false;
    }
    if (ok && list) {
        x->entries = calloc(list->n ? list->n : 1, sizeof *x->entries);
        if (!x->entries) abort();
        for (size_t i = 0; i < list->n && ok; i++) {
            if (list->items[i]->type != SH_TOML_TABLE) {
                sh_diag_set(d, x->file, list->items[i]->line, 0, "'exclude' must be an array of tables ([[exclude]])");
                ok = false;
            } else {
                ok = parse_entry(x, list->items[i], i, d);
            }
        }
    }
    sh_toml_free(root);
    if (!ok) {
        shrike_exclusions_free(x);
        return NULL;
    }
    return x;
}

shrike_exclusions *shrike_exclusions_load(const char *path, sh_diag *d) {
    sh_diag_clear(d);
    size_t len;
    char *text = sh_read_file(path, &len, d);
    if (!text) return NULL;
    shrike_exclusions *x = shrike_exclusions_parse(text, len, path, d);
    free(text);
    return x;
}

size_t shrike_exclusions_count(const shrike_exclusions *x) { return x ? x->n : 0; }
const char *shrike_exclusions_file(const shrike_exclusions *x) { return x->file; }
const char *shrike_exclusions_name(const shrike_exclusions *x, size_t i) { return x->entries[i].name; }
uint64_t shrike_exclusions_hits(const shrike_exclusions *x, size_t i) { return x->entries[i].hits; }
void sh_exclusions_hit(shrike_exclusions *x, size_t i) { x->entries[i].hits++; }

/* ------------------------------------------------------------ matching */

typedef struct lowbuf {
    char stack[512];
    char *heap;
    size_t cap;
} lowbuf;

static const char *lower_into(lowbuf *b, const char *s, size_t n, size_t *outn) {
    char *o = b->stack;
    if (2 * n + 1 > sizeof b->stack) {
        if (2 * n + 1 > b->cap) {
            free(b->heap);
            b->cap = 2 * n + 1;
            b->heap = malloc(b->cap);
            if (!b->heap) abort();
        }
        o = b->heap;
    }
    *outn = sh_utf8_lower(s, n, o);
    return o;
}

static bool wild(const char *pat, const char *s, size_t n) { return sh_wild_match(pat, strlen(pat), s, n); }

/* does some value of ref on e match pat (lowered)? prefix_label: also try
 * the text before the first '.' (a host's short name) */
static bool field_matches(sh_event *e, const sh_fieldref *ref, const char *pat, bool short_name, lowbuf *b) {
    sh_field *f = sh_event_get(e, ref);
    if (!f) return false;
    for (uint32_t k = 0; k < f->nvals; k++) {
        const sh_value *v = &f->vals[k];
        if (v->type == SH_NULL || !v->s) continue;
        size_t ln;
        const char *low = lower_into(b, v->s, v->len, &ln);
        if (wild(pat, low, ln)) return true;
        if (short_name) {
            const char *dot = memchr(low, '.', ln);
            if (dot && wild(pat, low, (size_t)(dot - low))) return true;
        }
    }
    return false;
}

static const sh_value *first_str(sh_event *e, const sh_fieldref *ref) {
    sh_field *f = sh_event_get(e, ref);
    if (!f) return NULL;
    for (uint32_t k = 0; k < f->nvals; k++)
        if (f->vals[k].type != SH_NULL && f->vals[k].s) return &f->vals[k];
    return NULL;
}

static bool user_matches(sh_event *e, const xcond *c, const char *pat, lowbuf *b) {
    bool qualified = strchr(pat, '\\') != NULL;
    for (uint32_t i = 0; i + 1 < c->nrefs; i += 2) {
        if (!qualified) {
            if (field_matches(e, c->refs[i + 1], pat, false, b)) return true;
            continue;
        }
        const sh_value *dom = first_str(e, c->refs[i]), *name = first_str(e, c->refs[i + 1]);
        if (!dom || !name) continue;
        size_t n = (size_t)dom->len + 1 + name->len;
        char *joined = malloc(n + 1);
        if (!joined) abort();
        memcpy(joined, dom->s, dom->len);
        joined[dom->len] = '\\';
        memcpy(joined + dom->len + 1, name->s, name->len);
        size_t ln;
        const char *low = lower_into(b, joined, n, &ln);
        bool m = wild(pat, low, ln);
        free(joined);
        if (m) return true;
    }
    return false;
}

static bool cond_matches(sh_event *e, const xcond *c, lowbuf *b) {
    for (size_t p = 0; p < c->npats; p++) {
        const char *pat = c->pats[p];
        switch (c->kind) {
        case XK_FIELD:
            if (field_matches(e, c->refs[0], pat, false, b)) return true;
            break;
        case XK_HOST:
            if (field_matches(e, c->refs[0], pat, strchr(pat, '.') == NULL, b)) return true;
            break;
        case XK_USER:
            if (user_matches(e, c, pat, b)) return true;
            break;
        case XK_PATHLIKE: {
            bool sep = strchr(pat, '\\') || strchr(pat, '/');
            if (field_matches(e, c->refs[sep ? 0 : 1], pat, false, b)) return true;
            break;
        }
        case XK_ANYOF:
            for (uint32_t i = 0; i < c->nrefs; i++)
                if (field_matches(e, c->refs[i], pat, false, b)) return true;
            break;
        }
    }
    return false;
}

static bool rule_applies(const xentry *x, const sh_rule *r, lowbuf *b) {
    if (!x->rules) return true;
    for (size_t i = 0; i < x->nrules; i++) {
        size_t ln;
        if (r->id && *r->id) {
            const char *low = lower_into(b, r->id, strlen(r->id), &ln);
            if (wild(x->rules[i], low, ln)) return true;
        }
        if (r->name && *r->name) {
            const char *low = lower_into(b, r->name, strlen(r->name), &ln);
            if (wild(x->rules[i], low, ln)) return true;
        }
    }
    return false;
}

static bool event_matches(sh_event *e, const xentry *x, lowbuf *b) {
    for (size_t c = 0; c < x->nconds; c++)
        if (!cond_matches(e, &x->conds[c], b)) return false;
    return true;
}

long shrike_exclusions_match(const shrike_exclusions *x, const shrike_alert *a) {
    if (!x) return -1;
    lowbuf b = {.heap = NULL, .cap = 0};
    long hit = -1;
    for (size_t i = 0; i < x->n && hit < 0; i++) {
        const xentry *en = &x->entries[i];
        if (!rule_applies(en, a->rule, &b)) continue;
        const sh_match *m = a->match;
        for (uint32_t k = 0; k < m->nevents && hit < 0; k++)
            if (m->events[k] && event_matches(m->events[k], en, &b)) hit = (long)i;
        if (hit < 0 && m->row && event_matches(m->row, en, &b)) hit = (long)i;
    }
    free(b.heap);
    return hit;
}
