/* logsource.c: a Sigma rule's logsource into a selector of events, from the
 * tables in data/sigma_logsource.tsv and data/sigma_fields.tsv (compiled
 * into the binary; their headers say how they are read). The selector is
 * IR, ANDed with the rule's detection; the same rows give the engine's index
 * keys (event.category values, Windows (Channel, EventID) pairs), so an
 * event only meets the rules whose logsource can select it. */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lang/sigma/sigma_int.h"

extern const char sh_sigma_logsource_builtin[];
extern const char sh_sigma_fields_builtin[];

typedef struct ls_cond {
    char *field;
    char **vals;
    size_t nvals;
    bool present;       /* FIELD=* */
    bool neg;           /* FIELD!=V */
} ls_cond;

typedef struct ls_row {
    char *product, *category, *service;     /* NULL for '-' */
    ls_cond *conds;
    size_t nconds;
    char **fields;                          /* sigma_fields rows: the field list */
    size_t nfields;
} ls_row;

typedef struct ls_table {
    ls_row *rows;
    size_t n;
} ls_table;

static ls_table g_rows, g_fields;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static char *dup_n(const char *s, size_t n) {
    char *p = malloc(n + 1);
    if (!p) abort();
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

static void push_str(char ***arr, size_t *n, char *s) {
    *arr = realloc(*arr, (*n + 1) * sizeof **arr);
    if (!*arr) abort();
    (*arr)[(*n)++] = s;
}

static void parse_conds(ls_row *r, const char *s, size_t n) {
    const char *end = s + n;
    while (s < end) {
        const char *semi = memchr(s, ';', (size_t)(end - s));
        if (!semi) semi = end;
        const char *eq = memchr(s, '=', (size_t)(semi - s));
        if (eq) {
            r->conds = realloc(r->conds, (r->nconds + 1) * sizeof *r->conds);
            if (!r->conds) abort();
            ls_cond *c = &r->conds[r->nconds++];
            memset(c, 0, sizeof *c);
            bool neg = eq > s && eq[-1] == '!';
            c->field = dup_n(s, (size_t)(eq - s - neg));
            c->neg = neg;
            const char *v = eq + 1;
            if (semi - v == 1 && *v == '*') c->present = true;
            else
                while (v <= semi) {
                    const char *bar = memchr(v, '|', (size_t)(semi - v));
                    if (!bar) bar = semi;
                    push_str(&c->vals, &c->nvals, dup_n(v, (size_t)(bar - v)));
                    v = bar + 1;
                }
        }
        s = semi + 1;
    }
}

static char *col_or_null(const char *s, size_t n) { return (n == 1 && *s == '-') || n == 0 ? NULL : dup_n(s, n); }

static void load_table(ls_table *t, const char *text, bool fields) {
    for (const char *p = text; *p;) {
        const char *eol = strchr(p, '\n');
        if (!eol) eol = p + strlen(p);
        if (*p != '#' && eol > p) {
            const char *cols[4];
            size_t lens[4];
            int nc = 0;
            for (const char *q = p; q <= eol && nc < 4;) {
                const char *tab = nc < 3 ? memchr(q, '\t', (size_t)(eol - q)) : NULL;
                if (!tab) tab = eol;
                cols[nc] = q;
                lens[nc++] = (size_t)(tab - q);
                q = tab + 1;
            }
            if (nc == 4) {
                t->rows = realloc(t->rows, (t->n + 1) * sizeof *t->rows);
                if (!t->rows) abort();
                ls_row *r = &t->rows[t->n++];
                memset(r, 0, sizeof *r);
                r->product = col_or_null(cols[0], lens[0]);
                r->category = col_or_null(cols[1], lens[1]);
                r->service = col_or_null(cols[2], lens[2]);
                if (fields) {
                    const char *f = cols[3], *fe = cols[3] + lens[3];
                    while (f < fe) {
                        while (f < fe && *f == ' ') f++;
                        const char *w = f;
                        while (f < fe && *f != ' ') f++;
                        if (f > w) push_str(&r->fields, &r->nfields, dup_n(w, (size_t)(f - w)));
                    }
                } else {
                    parse_conds(r, cols[3], lens[3]);
                }
            }
        }
        p = *eol ? eol + 1 : eol;
    }
}

static void load_tables(void) {
    load_table(&g_rows, sh_sigma_logsource_builtin, false);
    load_table(&g_fields, sh_sigma_fields_builtin, true);
}

static bool ieq(const char *a, const char *b) {
    if (!a || !b) return false;
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return false;
    return *a == *b;
}

/* ------------------------------------------------------------- parsing */

static const char *ls_value(sg_comp *c, const sy_node *ls, const char *key, bool *ok) {
    const sy_node *v = sy_get(ls, key);
    if (!v || sy_is_null(v)) return NULL;
    if (v->kind != SY_SCALAR) {
        sg_fail(c, v, "logsource %s must be a name, not %s", key, sy_kind_name(v));
        *ok = false;
        return NULL;
    }
    char *s = sh_arena_strndup(&c->pool->arena, v->s, v->len);
    for (char *p = s; *p; p++) *p = (char)tolower((unsigned char)*p);
    return s;
}

bool sg_logsource_parse(sg_comp *c, const sy_node *ls, sg_logsrc *out) {
    memset(out, 0, sizeof *out);
    if (!ls) return true;
    if (ls->kind != SY_MAP) {
        sg_fail(c, ls, "logsource must be a mapping (product, category, service)");
        return false;
    }
    bool ok = true;
    out->product = ls_value(c, ls, "product", &ok);
    out->category = ls_value(c, ls, "category", &ok);
    out->service = ls_value(c, ls, "service", &ok);
    return ok;
}

bool sg_logsource_covers(const sg_logsrc *f, const sg_logsrc *r) {
    if (f->product && !ieq(f->product, r->product)) return false;
    if (f->category && !ieq(f->category, r->category)) return false;
    if (f->service && !ieq(f->service, r->service)) return false;
    return true;
}

/* ------------------------------------------------------------ lowering */

static bool all_digits(const char *s) {
    if (!*s) return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return false;
    return true;
}

static sh_ir *lower_cond(sg_comp *c, const ls_cond *k) {
    sh_irpool *p = c->pool;
    sh_ir *f = sh_ir_field(p, k->field, strlen(k->field), false);
    sh_ir *n;
    if (k->present) {
        n = sh_ir_unary(p, SH_IR_ISNULL, f);
        n->flags |= SH_IRF_NEGATE;
        return n;
    }
    bool nums = true;
    for (size_t i = 0; i < k->nvals; i++) nums &= all_digits(k->vals[i]);
    if (nums) {
        n = sh_ir_new(p, SH_IR_IN, (uint32_t)k->nvals + 1);
        n->args[0] = f;
        for (size_t i = 0; i < k->nvals; i++) n->args[i + 1] = sh_ir_lit_int(p, strtoll(k->vals[i], NULL, 10));
    } else {
        uint32_t *lens = sh_arena_alloc(&c->tmp, (k->nvals + 1) * sizeof *lens);
        for (size_t i = 0; i < k->nvals; i++) lens[i] = (uint32_t)strlen(k->vals[i]);
        n = sh_ir_wildcard(p, f, (const char *const *)k->vals, lens, (uint32_t)k->nvals, true);
        sh_ir_lower_cache(n);
    }
    if (k->neg) {
        n = sh_ir_unary(p, SH_IR_NOT, n);
        n->flags |= SH_IRF_TWOVALUED;
    }
    return n;
}

static sh_ir *lower_row(sg_comp *c, const ls_row *r) {
    if (r->nconds == 1) return lower_cond(c, &r->conds[0]);
    sh_ir *and = sh_ir_new(c->pool, SH_IR_AND, (uint32_t)r->nconds);
    for (size_t i = 0; i < r->nconds; i++) and->args[i] = lower_cond(c, &r->conds[i]);
    return and;
}

static sh_ir *lower_rows(sg_comp *c, const ls_row **rows, size_t n) {
    if (n == 1) return lower_row(c, rows[0]);
    sh_ir *or = sh_ir_new(c->pool, SH_IR_OR, (uint32_t)n);
    for (size_t i = 0; i < n; i++) or->args[i] = lower_row(c, rows[i]);
    return or;
}

/* index keys of one row into idx; false when the row cannot be indexed */
static bool index_row(const ls_row *r, sg_index *idx) {
    const ls_cond *ch = NULL, *id = NULL, *cat = NULL;
    for (size_t i = 0; i < r->nconds; i++) {
        const ls_cond *k = &r->conds[i];
        if (k->neg || k->present) continue;
        if (!strcmp(k->field, "Channel")) ch = k;
        else if (!strcmp(k->field, "EventID")) id = k;
        else if (!strcmp(k->field, "event.category")) cat = k;
    }
    if (ch) {
        size_t nid = id ? id->nvals : 1;
        if (idx->nwins + ch->nvals * nid > SG_MAX_WINS) return false;
        for (size_t a = 0; a < ch->nvals; a++)
            for (size_t b = 0; b < nid; b++)
                idx->wins[idx->nwins++] = (sh_win_event){.channel = ch->vals[a], .event_id = id ? strtoll(id->vals[b], NULL, 10) : -1};
        return true;
    }
    if (cat) {
        for (size_t a = 0; a < cat->nvals; a++) {
            bool seen = false;
            for (size_t k = 0; k < idx->ncats && !seen; k++) seen = !strcmp(idx->cats[k], cat->vals[a]);
            if (seen) continue;
            if (idx->ncats == SG_MAX_CATS) return false;
            idx->cats[idx->ncats++] = cat->vals[a];
        }
        return true;
    }
    return false;
}

static bool index_rows(const ls_row **rows, size_t n, sg_index *idx) {
    sg_index t = {0};
    for (size_t i = 0; i < n; i++)
        if (!index_row(rows[i], &t)) return false;
    *idx = t;
    return true;
}

static bool product_known(const char *p) {
    for (size_t i = 0; i < g_rows.n; i++)
        if (ieq(g_rows.rows[i].product, p)) return true;
    return false;
}

/* rows for (product, category, service); a NULL want matches only '-' */
static size_t find_rows(const char *prod, const char *cat, const char *svc, const ls_row **out, size_t max) {
    size_t n = 0;
    for (size_t i = 0; i < g_rows.n && n < max; i++) {
        const ls_row *r = &g_rows.rows[i];
        if (r->product && prod && !ieq(r->product, prod)) continue;
        if (cat ? !ieq(r->category, cat) : r->category != NULL) continue;
        if (svc ? !ieq(r->service, svc) : r->service != NULL) continue;
        if (!cat && !svc && (!r->product || !prod)) continue; /* product rows need the product */
        out[n++] = r;
    }
    return n;
}

/* the events of no known product: none of the product rows holds */
static sh_ir *no_known_product(sg_comp *c) {
    const ls_row *rows[64];
    size_t n = 0;
    for (size_t i = 0; i < g_rows.n && n < 64; i++)
        if (g_rows.rows[i].product && !g_rows.rows[i].category && !g_rows.rows[i].service) rows[n++] = &g_rows.rows[i];
    sh_ir *not = sh_ir_unary(c->pool, SH_IR_NOT, lower_rows(c, rows, n));
    not->flags |= SH_IRF_TWOVALUED;
    return not;
}

sh_ir *sg_logsource_lower(sg_comp *c, const sg_logsrc *ls, sg_index *idx) {
    pthread_once(&g_once, load_tables);
    memset(idx, 0, sizeof *idx);
    idx->any = true;
    if (!ls->product && !ls->category && !ls->service) return NULL;
    const char *prod = ls->product;
    if (prod && !product_known(prod)) {
        sg_warn(c->rule, "logsource %s: shrike reads no events of product '%s'; the rule is checked only against events "
                         "of no known product", c->lsname, prod);
        return no_known_product(c);
    }
    const ls_row *rows[128];
    sh_ir *parts[2];
    int np = 0;
    bool indexed = false;
    if (ls->category) {
        size_t n = find_rows(prod, ls->category, NULL, rows, 128);
        if (!n) sg_warn(c->rule, "logsource %s: category '%s' is not in shrike's logsource table", c->lsname, ls->category);
        else {
            parts[np++] = lower_rows(c, rows, n);
            indexed = index_rows(rows, n, idx);
        }
    }
    if (ls->service) {
        size_t n = find_rows(prod, NULL, ls->service, rows, 128);
        if (!n) sg_warn(c->rule, "logsource %s: service '%s' is not in shrike's logsource table", c->lsname, ls->service);
        else {
            parts[np++] = lower_rows(c, rows, n);
            if (!indexed) indexed = index_rows(rows, n, idx);
        }
    }
    if (!np) {
        if (!prod) return no_known_product(c);
        size_t n = find_rows(prod, NULL, NULL, rows, 128);
        if (!n) return NULL;
        parts[np++] = lower_rows(c, rows, n);
        indexed = index_rows(rows, n, idx);
    }
    idx->any = !indexed;
    if (np == 1) return parts[0];
    sh_ir *and = sh_ir_new(c->pool, SH_IR_AND, 2);
    and->args[0] = parts[0];
    and->args[1] = parts[1];
    return and;
}

const char *const *sg_logsource_fields(sg_comp *c, const sg_logsrc *ls) {
    pthread_once(&g_once, load_tables);
    if (!ls->category && !ls->service) return NULL;
    size_t total = 0;
    bool specific = false;
    for (size_t i = 0; i < g_fields.n; i++) {
        const ls_row *r = &g_fields.rows[i];
        if (r->product && !ieq(r->product, ls->product)) continue;
        if (!r->product && ls->product) continue;
        bool common = !r->category && !r->service;
        bool match = (r->category && ieq(r->category, ls->category)) || (r->service && ieq(r->service, ls->service));
        if (!common && !match) continue;
        specific |= match && r->nfields > 0;
        total += r->nfields;
    }
    if (!specific) return NULL;
    const char **out = sh_arena_alloc(&c->tmp, (total + 1) * sizeof *out);
    size_t n = 0;
    for (size_t i = 0; i < g_fields.n; i++) {
        const ls_row *r = &g_fields.rows[i];
        if (r->product && !ieq(r->product, ls->product)) continue;
        if (!r->product && ls->product) continue;
        bool common = !r->category && !r->service;
        bool match = (r->category && ieq(r->category, ls->category)) || (r->service && ieq(r->service, ls->service));
        if (!common && !match) continue;
        for (size_t k = 0; k < r->nfields; k++) out[n++] = r->fields[k];
    }
    out[n] = NULL;
    return out;
}

void sg_index_merge(sg_index *into, const sg_index *from) {
    if (into->any) return;
    if (from->any) {
        into->any = true;
        return;
    }
    for (size_t i = 0; i < from->ncats; i++) {
        bool seen = false;
        for (size_t k = 0; k < into->ncats && !seen; k++) seen = !strcmp(into->cats[k], from->cats[i]);
        if (seen) continue;
        if (into->ncats == SG_MAX_CATS) { into->any = true; return; }
        into->cats[into->ncats++] = from->cats[i];
    }
    for (size_t i = 0; i < from->nwins; i++) {
        if (into->nwins == SG_MAX_WINS) { into->any = true; return; }
        into->wins[into->nwins++] = from->wins[i];
    }
}
