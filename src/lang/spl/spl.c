/* spl.c: the SPL front end's runtime. Events that pass the first search
 * become result rows; every later command works on rows, in a push
 * pipeline: streaming commands (search, where, eval, table, fields, rename,
 * fillnull, head, dedup) pass each row on at once; blocking ones (sort,
 * tail, stats, eventstats, append, appendcols) buffer rows, never raw
 * events, up to fixed limits (spl_int.h), and pass them on at the end of
 * the input. A limit that drops rows is reported on standard error with the
 * rule and the count (docs/spl.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/eval_int.h"
#include "lang/spl/spl_int.h"

/* ---------------------------------------------------------------- rows */

static void rows_push(spl_rows *r, spl_row row) {
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        if (!r->v) abort();
    }
    r->v[r->n++] = row;
}

static void row_drop(spl_row r) {
    sh_event_unref(r.ev);
    if (r.origin) sh_event_unref(r.origin);
}

static void rows_clear(spl_rows *r) {
    for (uint32_t i = 0; i < r->n; i++) row_drop(r->v[i]);
    free(r->v);
    memset(r, 0, sizeof *r);
}

static sh_value copy_value(sh_event *dst, const sh_value *v) {
    sh_value c = *v;
    if (v->type == SH_STR || v->type == SH_INT || v->type == SH_FLOAT) c.s = sh_arena_strndup(&dst->arena, v->s, v->len);
    return c;
}

/* a row from an event: its own fields (names and values borrowed: the row keeps the event) */
static sh_event *row_of_event(const sh_event *e) { return sh_event_borrow_own(e); }

/* an empty row in the image of src: same time and origin data, plain or not */
static sh_event *row_like(const sh_event *src, bool plain) {
    sh_event *r = sh_event_new_like(src, 0);
    r->plain = plain || src->plain;
    if (r->plain) {           /* a table's or stats' row has no text of its own */
        r->raw = NULL;
        r->raw_len = 0;
        r->raw_kind = SH_RAW_NONE;
    }
    return r;
}

static void set_values(sh_event *r, const char *name, size_t n, const sh_value *v, uint32_t nv) {
    sh_field *f = sh_event_field_get_or_add(r, name, n, NULL);
    r->changed = true;
    f->nvals = 0;
    f->derived = false;
    f->is_array = false;
    uint32_t kept = 0;
    for (uint32_t k = 0; k < nv; k++) {
        if (v[k].type == SH_NULL) continue;
        sh_value c = copy_value(r, &v[k]);
        sh_event_add_value(r, f, &c);
        kept++;
    }
    f->is_array = kept > 1;
}

/* the row's values of a field as Splunk sees it (NULL/0 when null) */
static const sh_field *row_get(sh_event *r, const sh_fieldref *ref) {
    sh_field *f = sh_event_get(r, ref);
    return f && f->nvals ? f : NULL;
}

static bool wild_eq(const char *pat, const char *s, size_t n) { return sh_wild_match(pat, strlen(pat), s, n); }

/* ------------------------------------------------------------ conditions */

static void run_from(spl_q *q, spl_pipe *p, uint32_t i, spl_row row);

static bool cond_eval(spl_q *q, const spl_cond *c, sh_event *e);

/* a subsearch used as a filter: its commands on a copy of the row */
static bool sub_filter(spl_q *q, spl_pipe *sub, sh_event *e) {
    spl_row row = {.ev = row_of_event(e), .origin = e};
    sh_event_ref(e);
    spl_rows saved = sub->out;
    memset(&sub->out, 0, sizeof sub->out);
    run_from(q, sub, 0, row);
    bool pass = sub->out.n > 0;
    rows_clear(&sub->out);
    sub->out = saved;
    return pass;
}

static bool cond_eval(spl_q *q, const spl_cond *c, sh_event *e) {
    switch (c->kind) {
    case SC_IR: return sh_ir_match(&q->ev, c->ir, e);
    case SC_AND:
        for (uint32_t i = 0; i < c->nargs; i++)
            if (!cond_eval(q, c->args[i], e)) return false;
        return true;
    case SC_OR:
        for (uint32_t i = 0; i < c->nargs; i++)
            if (cond_eval(q, c->args[i], e)) return true;
        return false;
    case SC_NOT: return !cond_eval(q, c->args[0], e);
    case SC_SUB: return sub_filter(q, c->sub, e);
    }
    return false;
}

/* ------------------------------------------------------------ notes */

static void note(spl_q *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(spl_q *q, const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char **nn = realloc(q->notes, (q->nnotes + 1) * sizeof *nn);
    if (!nn) abort();
    q->notes = nn;
    q->notes[q->nnotes++] = strdup(msg);
}

/* ------------------------------------------------------- string sets */

struct spl_strset {
    char **keys;
    uint32_t *counts;
    uint32_t cap, n;
};

static uint32_t *strset_slot(spl_strset *s, const char *k, size_t n, bool *fresh) {
    if ((s->n + 1) * 2 > s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 64;
        char **nk = calloc(cap, sizeof *nk);
        uint32_t *nc = calloc(cap, sizeof *nc);
        if (!nk || !nc) abort();
        for (uint32_t i = 0; i < s->cap; i++) {
            if (!s->keys[i]) continue;
            uint32_t h = sh_hash(s->keys[i], strlen(s->keys[i])) & (cap - 1);
            while (nk[h]) h = (h + 1) & (cap - 1);
            nk[h] = s->keys[i];
            nc[h] = s->counts[i];
        }
        free(s->keys);
        free(s->counts);
        s->keys = nk;
        s->counts = nc;
        s->cap = cap;
    }
    uint32_t h = sh_hash(k, n) & (s->cap - 1);
    while (s->keys[h]) {
        if (strlen(s->keys[h]) == n && memcmp(s->keys[h], k, n) == 0) {
            *fresh = false;
            return &s->counts[h];
        }
        h = (h + 1) & (s->cap - 1);
    }
    *fresh = true;
    char *c = malloc(n + 1);
    if (!c) abort();
    memcpy(c, k, n);
    c[n] = 0;
    s->keys[h] = c;
    s->n++;
    return &s->counts[h];
}

static uint32_t *strset_find(spl_strset *s, const char *k, size_t n) {
    if (!s->cap) return NULL;
    uint32_t h = sh_hash(k, n) & (s->cap - 1);
    while (s->keys[h]) {
        if (strlen(s->keys[h]) == n && memcmp(s->keys[h], k, n) == 0) return &s->counts[h];
        h = (h + 1) & (s->cap - 1);
    }
    return NULL;
}

static void strset_free(spl_strset *s) {
    if (!s) return;
    for (uint32_t i = 0; i < s->cap; i++) free(s->keys[i]);
    free(s->keys);
    free(s->counts);
    free(s);
}

/* ------------------------------------------------------------ stats */

typedef struct aggst {
    int64_t count;
    double sum, nmin, nmax;
    bool hasnum;
    char *smin, *smax;              /* text min/max (when no number) */
    char *first, *last;
    int64_t tfirst, tlast;          /* times of earliest / latest */
    char *earliest, *latest;
    char **vals;                    /* values / list: sorted distinct (values, dc) or in order (list) */
    uint32_t nvals, capvals;
    bool truncated;
} aggst;

typedef struct group {
    char *key;
    char **parts;                   /* the by-field values */
    aggst *st;
} group;

struct spl_groups {
    spl_strset index;               /* key -> group number + 1 */
    group *g;
    uint32_t n, cap;
};

static int text_cmp(const char *a, const char *b) {
    sh_value x, y;
    bool xn = sh_parse_num(a, strlen(a), &x), yn = sh_parse_num(b, strlen(b), &y);
    if (xn && yn) {
        double p = sh_value_num(&x), r = sh_value_num(&y);
        return p < r ? -1 : p > r;
    }
    if (xn != yn) return xn ? -1 : 1; /* numbers before text */
    return strcmp(a, b);
}

static void vals_insert(aggst *s, const char *t, size_t n, bool sorted_distinct, uint32_t max) {
    if (!sorted_distinct) {
        if (s->nvals >= max) { s->truncated = true; return; }
    }
    uint32_t lo = 0, hi = s->nvals;
    char *c = malloc(n + 1);
    if (!c) abort();
    memcpy(c, t, n);
    c[n] = 0;
    if (sorted_distinct) {
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            int r = strcmp(s->vals[mid], c);
            if (r == 0) { free(c); return; }
            if (r < 0) lo = mid + 1;
            else hi = mid;
        }
        if (s->nvals >= max) { free(c); s->truncated = true; return; }
    } else {
        lo = s->nvals;
    }
    if (s->nvals == s->capvals) {
        s->capvals = s->capvals ? s->capvals * 2 : 8;
        s->vals = realloc(s->vals, s->capvals * sizeof *s->vals);
        if (!s->vals) abort();
    }
    memmove(s->vals + lo + 1, s->vals + lo, (s->nvals - lo) * sizeof *s->vals);
    s->vals[lo] = c;
    s->nvals++;
}

static void set_str(char **slot, const char *s, size_t n) {
    free(*slot);
    *slot = malloc(n + 1);
    if (!*slot) abort();
    memcpy(*slot, s, n);
    (*slot)[n] = 0;
}

static void agg_add(const spl_agg *a, aggst *s, sh_event *row) {
    if (!a->ref) {
        s->count++;
        return;
    }
    const sh_field *f = row_get(row, a->ref);
    if (!f) return;
    for (uint32_t k = 0; k < f->nvals; k++) {
        const sh_value *v = &f->vals[k];
        if (v->type == SH_NULL) continue;
        s->count++;
        sh_value num;
        bool isnum = v->type == SH_INT || v->type == SH_FLOAT || (v->type == SH_STR && sh_parse_num(v->s, v->len, &num));
        if (v->type == SH_INT || v->type == SH_FLOAT) num = *v;
        if (isnum) {
            double d = sh_value_num(&num);
            s->sum += d;
            if (!s->hasnum || d < s->nmin) s->nmin = d;
            if (!s->hasnum || d > s->nmax) s->nmax = d;
            s->hasnum = true;
        }
        if (!s->smin || strcmp(v->s, s->smin) < 0) set_str(&s->smin, v->s, v->len);
        if (!s->smax || strcmp(v->s, s->smax) > 0) set_str(&s->smax, v->s, v->len);
        if (!s->first) set_str(&s->first, v->s, v->len);
        set_str(&s->last, v->s, v->len);
        if (row->ts != SH_TS_NONE) {
            if (!s->earliest || row->ts < s->tfirst) { set_str(&s->earliest, v->s, v->len); s->tfirst = row->ts; }
            if (!s->latest || row->ts >= s->tlast) { set_str(&s->latest, v->s, v->len); s->tlast = row->ts; }
        }
        if (a->kind == A_VALUES || a->kind == A_DC) vals_insert(s, v->s, v->len, true, SPL_VALUES_MAX);
        else if (a->kind == A_LIST) vals_insert(s, v->s, v->len, false, SPL_LIST_MAX);
    }
}

static sh_value num_value(sh_event *r, double d) {
    if (d == (double)(int64_t)d && d > -9e18 && d < 9e18) return sh_value_int(&r->arena, (int64_t)d);
    char tmp[40];
    int k = snprintf(tmp, sizeof tmp, "%.17g", d);
    for (int prec = 1; prec <= 17; prec++) {
        k = snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d) break;
    }
    sh_value v = {.type = SH_FLOAT, .f = d, .s = sh_arena_strndup(&r->arena, tmp, (size_t)k), .len = (uint32_t)k};
    return v;
}

/* write aggregation a's result into row r */
static void agg_out(const spl_agg *a, const aggst *s, sh_event *r) {
    size_t an = strlen(a->as);
    sh_value v;
    switch (a->kind) {
    case A_COUNT: v = sh_value_int(&r->arena, s->count); break;
    case A_DC: v = sh_value_int(&r->arena, s->nvals); break;
    case A_VALUES:
    case A_LIST: {
        if (!s->nvals) return;
        sh_value *vs = sh_arena_alloc(&r->arena, s->nvals * sizeof *vs);
        for (uint32_t i = 0; i < s->nvals; i++) vs[i] = sh_value_str(s->vals[i], strlen(s->vals[i]));
        set_values(r, a->as, an, vs, s->nvals);
        return;
    }
    case A_MIN:
    case A_MAX:
        if (s->hasnum) v = num_value(r, a->kind == A_MIN ? s->nmin : s->nmax);
        else if (s->smin) v = sh_value_str(a->kind == A_MIN ? s->smin : s->smax, strlen(a->kind == A_MIN ? s->smin : s->smax));
        else return;
        break;
    case A_SUM:
        if (!s->hasnum) return;
        v = num_value(r, s->sum);
        break;
    case A_AVG:
        if (!s->hasnum || !s->count) return;
        v = num_value(r, s->sum / (double)s->count);
        break;
    case A_RANGE:
        if (!s->hasnum) return;
        v = num_value(r, s->nmax - s->nmin);
        break;
    case A_FIRST:
    case A_LAST:
    case A_EARLIEST:
    case A_LATEST: {
        const char *t = a->kind == A_FIRST ? s->first : a->kind == A_LAST ? s->last
                        : a->kind == A_EARLIEST ? s->earliest : s->latest;
        if (!t) return;
        v = sh_value_str(t, strlen(t));
        break;
    }
    default: return;
    }
    set_values(r, a->as, an, &v, 1);
}

static void aggst_free(aggst *s) {
    free(s->smin);
    free(s->smax);
    free(s->first);
    free(s->last);
    free(s->earliest);
    free(s->latest);
    for (uint32_t i = 0; i < s->nvals; i++) free(s->vals[i]);
    free(s->vals);
}

static void groups_free(spl_groups *g, uint32_t naggs, uint32_t nby) {
    if (!g) return;
    for (uint32_t i = 0; i < g->n; i++) {
        for (uint32_t k = 0; k < naggs; k++) aggst_free(&g->g[i].st[k]);
        for (uint32_t k = 0; k < nby; k++) free(g->g[i].parts[k]);
        free(g->g[i].parts);
        free(g->g[i].st);
        free(g->g[i].key);
    }
    free(g->g);
    for (uint32_t i = 0; i < g->index.cap; i++) free(g->index.keys[i]);
    free(g->index.keys);
    free(g->index.counts);
    free(g);
}

/* the group key of a row: the by-fields' first values, joined; false when one is missing */
static bool group_key(spl_cmd *c, sh_event *row, sh_buf *key, const char **parts, uint32_t *lens) {
    sh_buf_clear(key);
    for (uint32_t k = 0; k < c->n; k++) {
        const sh_field *f = row_get(row, c->refs[k]);
        if (!f || f->vals[0].type == SH_NULL) return false;
        parts[k] = f->vals[0].s;
        lens[k] = f->vals[0].len;
        sh_buf_printf(key, "%u:", lens[k]);
        sh_buf_put(key, parts[k], lens[k]);
    }
    return true;
}

static group *group_of(spl_q *q, spl_cmd *c, sh_event *row) {
    if (!c->groups) {
        c->groups = calloc(1, sizeof *c->groups);
        if (!c->groups) abort();
    }
    spl_groups *g = c->groups;
    const char *parts[64];
    uint32_t lens[64];
    sh_buf key = {0};
    if (c->n > 64 || !group_key(c, row, &key, parts, lens)) {
        sh_buf_free(&key);
        return NULL;
    }
    uint32_t *slot = strset_find(&g->index, key.data ? key.data : "", key.len);
    if (slot) {
        sh_buf_free(&key);
        return &g->g[*slot - 1];
    }
    if (g->n >= SPL_GROUPS_MAX) {
        c->dropped++;
        sh_buf_free(&key);
        return NULL;
    }
    bool fresh;
    slot = strset_slot(&g->index, key.data ? key.data : "", key.len, &fresh);
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 16;
        g->g = realloc(g->g, g->cap * sizeof *g->g);
        if (!g->g) abort();
    }
    group *gr = &g->g[g->n++];
    *slot = g->n;
    memset(gr, 0, sizeof *gr);
    gr->key = strdup(sh_buf_cstr(&key));
    gr->parts = calloc(c->n ? c->n : 1, sizeof *gr->parts);
    gr->st = calloc(c->naggs, sizeof *gr->st);
    if (!gr->key || !gr->parts || !gr->st) abort();
    for (uint32_t k = 0; k < c->n; k++) set_str(&gr->parts[k], parts[k], lens[k]);
    sh_buf_free(&key);
    (void)q;
    return gr;
}

/* the one group of stats/eventstats without `by` */
static group *single_group(spl_cmd *c) {
    if (!c->groups) {
        c->groups = calloc(1, sizeof *c->groups);
        if (!c->groups) abort();
    }
    spl_groups *g = c->groups;
    if (!g->n) {
        g->g = calloc(1, sizeof *g->g);
        if (!g->g) abort();
        g->cap = g->n = 1;
        g->g[0].st = calloc(c->naggs ? c->naggs : 1, sizeof(aggst));
        g->g[0].key = strdup("");
        g->g[0].parts = calloc(1, sizeof(char *));
        if (!g->g[0].st || !g->g[0].key || !g->g[0].parts) abort();
    }
    return &g->g[0];
}

static uint32_t cmp_nby;
static int group_cmp(const void *a, const void *b) {
    const group *x = a, *y = b;
    for (uint32_t k = 0; k < cmp_nby; k++) {
        int c = text_cmp(x->parts[k], y->parts[k]);
        if (c) return c;
    }
    return 0;
}

/* --------------------------------------------------------------- sort */

typedef struct sortent {
    spl_row row;
    uint32_t seq;
    const sh_value **keys;
} sortent;

static const spl_cmd *sort_cmd;

static int sort_value_cmp(const sh_value *a, const sh_value *b, uint8_t how) {
    if (!a || !b) return a ? -1 : b ? 1 : 0; /* missing values last */
    sh_value x, y;
    bool xn = how != 2 && (sh_value_is_num(a) ? (x = *a, true) : (a->type == SH_STR && sh_parse_num(a->s, a->len, &x)));
    bool yn = how != 2 && (sh_value_is_num(b) ? (y = *b, true) : (b->type == SH_STR && sh_parse_num(b->s, b->len, &y)));
    if (xn && yn) {
        double p = sh_value_num(&x), q = sh_value_num(&y);
        return p < q ? -1 : p > q;
    }
    if (xn != yn && how != 1) return xn ? -1 : 1;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->s, b->s, n);
    if (c) return c < 0 ? -1 : 1;
    return a->len < b->len ? -1 : a->len > b->len;
}

static int sortent_cmp(const void *pa, const void *pb) {
    const sortent *a = pa, *b = pb;
    for (uint32_t k = 0; k < sort_cmd->nkeys; k++) {
        const sh_value *x = a->keys[k], *y = b->keys[k];
        int c = sort_value_cmp(x, y, sort_cmd->keys[k].how);
        if (c && x && y && sort_cmd->keys[k].desc) c = -c;
        if (c) return c;
    }
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* sort the buffer and keep the first `keep` rows */
static void sort_rows(spl_cmd *c, uint32_t keep) {
    uint32_t n = c->buf.n;
    sortent *es = calloc(n ? n : 1, sizeof *es);
    const sh_value **kv = calloc((size_t)(n ? n : 1) * c->nkeys, sizeof *kv);
    if (!es || !kv) abort();
    for (uint32_t i = 0; i < n; i++) {
        es[i].row = c->buf.v[i];
        es[i].seq = i;
        es[i].keys = kv + (size_t)i * c->nkeys;
        for (uint32_t k = 0; k < c->nkeys; k++) {
            const sh_field *f = row_get(es[i].row.ev, c->keys[k].ref);
            es[i].keys[k] = f && f->vals[0].type != SH_NULL ? &f->vals[0] : NULL;
        }
    }
    sort_cmd = c;
    qsort(es, n, sizeof *es, sortent_cmp);
    for (uint32_t i = 0; i < n; i++) {
        if (i < keep) c->buf.v[i] = es[i].row;
        else row_drop(es[i].row);
    }
    if (n > keep) {
        if (!c->count_given || keep == SPL_ROWS_MAX) c->dropped += n - keep;
        c->buf.n = keep;
    }
    free(es);
    free(kv);
}

/* ------------------------------------------------------------- running */

static bool pipe_streaming(const spl_pipe *p, uint32_t upto) {
    for (uint32_t i = 0; i < upto; i++) {
        spl_cmd_kind k = p->cmds[i]->kind;
        if (k == C_SORT || k == C_TAIL || k == C_STATS || k == C_EVENTSTATS || k == C_APPEND || k == C_APPENDCOLS) return false;
    }
    return true;
}

static void emit(spl_q *q, spl_pipe *p, spl_row row) {
    if (p->sub) {
        if (p->out.n >= SPL_APPEND_MAX) {
            p->dropped++;
            row_drop(row);
            return;
        }
        rows_push(&p->out, row);
        return;
    }
    /* fields set to null are not columns */
    sh_event *out = row.ev;
    bool holes = false;
    for (uint32_t i = 0; i < out->nfields && !holes; i++) holes = !out->fields[i]->derived && out->fields[i]->nvals == 0;
    if (holes) {
        out = row_like(row.ev, row.ev->plain);
        for (uint32_t i = 0; i < row.ev->nfields; i++) {
            const sh_field *f = row.ev->fields[i];
            if (f->derived || !f->nvals) continue;
            set_values(out, f->name, f->nlen, f->vals, f->nvals);
            if (f->is_array) sh_event_field_get_or_add(out, f->name, f->nlen, NULL)->is_array = true;
        }
    }
    sh_event *one[1] = {row.origin};
    sh_match m = {.events = row.origin ? one : NULL, .nevents = row.origin ? 1 : 0, .row = out};
    q->cb(q->cbctx, &m);
    if (out != row.ev) sh_event_unref(out);
    row_drop(row);
}

/* eval: each assignment in turn, later ones seeing earlier ones */
static void do_eval(spl_q *q, spl_cmd *c, sh_event *r) {
    for (uint32_t k = 0; k < c->n; k++) {
        sh_eval_reset(&q->ev);
        sh_vals v;
        sh_ir_values(&q->ev, c->exprs[k], r, &v);
        set_values(r, c->names[k], strlen(c->names[k]), v.v, v.n);
    }
    sh_eval_reset(&q->ev);
}

/* table / fields +: a new row with the named fields, in order */
static sh_event *do_table(spl_cmd *c, sh_event *r, bool keep_time) {
    sh_event *t = row_like(r, true);
    for (uint32_t k = 0; k < c->n; k++) {
        if (c->refs[k]) {
            const sh_field *f = row_get(r, c->refs[k]);
            if (f && !sh_event_find_cstr(t, c->names[k])) set_values(t, c->names[k], strlen(c->names[k]), f->vals, f->nvals);
            continue;
        }
        for (uint32_t i = 0; i < r->nfields; i++) {
            const sh_field *f = r->fields[i];
            if (f->derived || !f->nvals || !wild_eq(c->names[k], f->name, f->nlen)) continue;
            if (!sh_event_find(t, f->name, f->nlen, f->hash)) set_values(t, f->name, f->nlen, f->vals, f->nvals);
        }
    }
    if (keep_time && !sh_event_find_cstr(t, "_time")) {
        const sh_field *f = row_get(r, spl_ref("_time", 5));
        if (f) set_values(t, "_time", 5, f->vals, f->nvals);
    }
    return t;
}

static void do_fields_minus(spl_cmd *c, sh_event *r) {
    for (uint32_t k = 0; k < c->n; k++) {
        for (uint32_t i = 0; i < r->nfields; i++) {
            sh_field *f = r->fields[i];
            if (!f->derived && wild_eq(c->names[k], f->name, f->nlen)) f->nvals = 0, r->changed = true;
        }
        if (c->refs[k]) set_values(r, c->names[k], strlen(c->names[k]), NULL, 0); /* hides derivations too */
    }
}

/* the name a rename gives field `name` (NULL: no rule applies); *buf holds it */
static const char *renamed(spl_cmd *c, const char *name, size_t n, sh_buf *buf) {
    const char *res = NULL;
    for (uint32_t k = 0; k < c->n; k++) {
        const char *from = c->names[k], *to = c->names2[k];
        const char *star = strchr(from, '*');
        if (!star) {
            if (strlen(from) == n && memcmp(from, name, n) == 0) res = to;
            continue;
        }
        if (!wild_eq(from, name, n)) continue;
        size_t pre = (size_t)(star - from), suf = strlen(star + 1);
        const char *tstar = strchr(to, '*');
        sh_buf_clear(buf);
        if (tstar) {
            sh_buf_put(buf, to, (size_t)(tstar - to));
            sh_buf_put(buf, name + pre, n - pre - suf);
            sh_buf_puts(buf, tstar + 1);
        } else {
            sh_buf_puts(buf, to);
        }
        res = sh_buf_cstr(buf);
    }
    return res;
}

/* rename: a new row with the fields in their places under their new names
 * (a field already called the new name gives way); a renamed field the row
 * does not carry itself but the Splunk view derives comes last */
static sh_event *do_rename(spl_cmd *c, sh_event *r) {
    sh_event *t = row_like(r, false);
    t->plain = r->plain;
    sh_buf nb = {0};
    /* the new names, to drop the fields they replace */
    spl_strset targets = {0};
    bool fresh;
    for (uint32_t i = 0; i < r->nfields; i++) {
        const sh_field *f = r->fields[i];
        if (f->derived || !f->nvals) continue;
        const char *nn = renamed(c, f->name, f->nlen, &nb);
        if (nn) strset_slot(&targets, nn, strlen(nn), &fresh);
    }
    for (uint32_t k = 0; k < c->n; k++)
        if (c->refs[k]) strset_slot(&targets, c->names2[k], strlen(c->names2[k]), &fresh);
    for (uint32_t i = 0; i < r->nfields; i++) {
        const sh_field *f = r->fields[i];
        if (f->derived) continue;
        const char *nn = renamed(c, f->name, f->nlen, &nb);
        if (nn) {
            if (f->nvals) set_values(t, nn, strlen(nn), f->vals, f->nvals);
            continue;
        }
        if (strset_find(&targets, f->name, f->nlen)) continue;
        if (!sh_event_find(t, f->name, f->nlen, f->hash)) set_values(t, f->name, f->nlen, f->vals, f->nvals);
        if (!f->nvals) sh_event_field_get_or_add(t, f->name, f->nlen, NULL); /* a hidden field stays hidden */
    }
    for (uint32_t k = 0; k < c->n; k++) {
        if (!c->refs[k] || sh_event_find_cstr(t, c->names2[k])) continue;
        const sh_field *own = sh_event_find_cstr(r, c->names[k]);
        if (own && !own->derived) continue;
        const sh_field *f = row_get(r, c->refs[k]);
        if (f) set_values(t, c->names2[k], strlen(c->names2[k]), f->vals, f->nvals);
        set_values(t, c->names[k], strlen(c->names[k]), NULL, 0); /* hides the derivation */
    }
    for (uint32_t i = 0; i < targets.cap; i++) free(targets.keys[i]);
    free(targets.keys);
    free(targets.counts);
    sh_buf_free(&nb);
    return t;
}

static void do_fillnull(spl_cmd *c, sh_event *r) {
    sh_value v = sh_value_str(c->fill, strlen(c->fill));
    if (c->n) {
        for (uint32_t k = 0; k < c->n; k++)
            if (c->refs[k] && !row_get(r, c->refs[k])) set_values(r, c->names[k], strlen(c->names[k]), &v, 1);
        return;
    }
    for (uint32_t i = 0; i < r->nfields; i++) {
        sh_field *f = r->fields[i];
        if (!f->derived && f->nvals == 0) set_values(r, f->name, f->nlen, &v, 1);
    }
}

static bool dedup_pass(spl_q *q, spl_cmd *c, sh_event *r) {
    sh_buf key = {0};
    for (uint32_t k = 0; k < c->n; k++) {
        const sh_field *f = row_get(r, c->refs[k]);
        if (!f) {
            sh_buf_free(&key);
            return c->keepempty;
        }
        for (uint32_t i = 0; i < f->nvals; i++) {
            sh_buf_printf(&key, "%u:", f->vals[i].len);
            sh_buf_put(&key, f->vals[i].s, f->vals[i].len);
        }
        sh_buf_putc(&key, ';');
    }
    if (!c->keyset) {
        c->keyset = calloc(1, sizeof *c->keyset);
        if (!c->keyset) abort();
    }
    if (c->consecutive) {
        /* only the previous row's key counts */
        bool same = c->keyset->n && strset_find(c->keyset, key.data, key.len);
        if (!same) {
            strset_free(c->keyset);
            c->keyset = calloc(1, sizeof *c->keyset);
            if (!c->keyset) abort();
        }
    }
    uint32_t *cnt = strset_find(c->keyset, key.data, key.len);
    bool pass;
    if (cnt) {
        pass = ++*cnt <= c->count;
    } else if (c->keyset->n >= SPL_KEYS_MAX) {
        c->dropped++;
        pass = false;
    } else {
        bool fresh;
        cnt = strset_slot(c->keyset, key.data, key.len, &fresh);
        *cnt = 1;
        pass = c->count >= 1;
    }
    (void)q;
    sh_buf_free(&key);
    return pass;
}

/* run row through commands i.. of p; takes ownership of row */
static void run_from(spl_q *q, spl_pipe *p, uint32_t i, spl_row row) {
    for (; i < p->n; i++) {
        spl_cmd *c = p->cmds[i];
        sh_event *r = row.ev;
        switch (c->kind) {
        case C_SEARCH:
            if (!cond_eval(q, c->cond, r)) { row_drop(row); return; }
            break;
        case C_WHERE:
            if (!sh_ir_match(&q->ev, c->expr, r)) { row_drop(row); return; }
            break;
        case C_EVAL: do_eval(q, c, r); break;
        case C_TABLE:
        case C_FIELDS:
            if (c->kind == C_FIELDS && c->minus) {
                do_fields_minus(c, r);
                break;
            }
            row.ev = do_table(c, r, c->kind == C_FIELDS);
            sh_event_unref(r);
            break;
        case C_RENAME:
            row.ev = do_rename(c, r);
            sh_event_unref(r);
            break;
        case C_FILLNULL: do_fillnull(c, r); break;
        case C_HEAD:
            if (c->seen >= c->count) { row_drop(row); return; }
            c->seen++;
            if (c->seen >= c->count && !p->sub && q->can_stop && pipe_streaming(p, i)) q->done = true;
            break;
        case C_DEDUP:
            if (!dedup_pass(q, c, r)) { row_drop(row); return; }
            break;
        case C_TAIL:
            if (c->count <= 0) { row_drop(row); return; }
            if (c->buf.n >= (uint32_t)(c->count < SPL_ROWS_MAX ? c->count : SPL_ROWS_MAX)) {
                /* ring: drop the oldest */
                row_drop(c->buf.v[0]);
                memmove(c->buf.v, c->buf.v + 1, (c->buf.n - 1) * sizeof *c->buf.v);
                c->buf.n--;
            }
            rows_push(&c->buf, row);
            return;
        case C_SORT: {
            uint32_t keep = c->count > 0 && c->count < SPL_ROWS_MAX ? (uint32_t)c->count : SPL_ROWS_MAX;
            rows_push(&c->buf, row);
            if (c->buf.n >= 2 * keep) sort_rows(c, keep);
            return;
        }
        case C_STATS: {
            group *g;
            if (c->n) {
                g = group_of(q, c, r);
            } else {
                g = single_group(c);
            }
            if (g)
                for (uint32_t k = 0; k < c->naggs; k++) agg_add(&c->aggs[k], &g->st[k], r);
            row_drop(row);
            return;
        }
        case C_EVENTSTATS: {
            if (c->buf.n >= SPL_ROWS_MAX) {
                c->dropped++;
                row_drop(row);
                return;
            }
            group *g = NULL;
            if (c->n) g = group_of(q, c, r);
            else g = single_group(c);
            if (g)
                for (uint32_t k = 0; k < c->naggs; k++) agg_add(&c->aggs[k], &g->st[k], r);
            rows_push(&c->buf, row);
            return;
        }
        case C_APPEND: break; /* main rows pass; the subsearch's come at the end */
        case C_APPENDCOLS:
            if (c->buf.n >= SPL_ROWS_MAX) {
                c->dropped++;
                row_drop(row);
                return;
            }
            rows_push(&c->buf, row);
            return;
        }
    }
    emit(q, p, row);
}

static void feed_pipe(spl_q *q, spl_pipe *p, sh_event *e) {
    /* subsearches of append/appendcols read every event on their own */
    for (uint32_t i = 0; i < p->n; i++)
        if (p->cmds[i]->sub) feed_pipe(q, p->cmds[i]->sub, e);
    if (p == q->main && q->done) return;
    spl_cmd *first = p->cmds[0];
    if (!cond_eval(q, first->cond, e)) return;
    sh_event_ref(e);
    spl_row row = {.ev = row_of_event(e), .origin = e};
    run_from(q, p, 1, row);
}

static void finish_pipe(spl_q *q, spl_pipe *p);

static const char *cmd_name(spl_cmd_kind k) {
    static const char *const names[] = {"search", "where", "eval", "table", "fields", "rename", "sort", "head",
                                        "tail", "dedup", "stats", "eventstats", "append", "appendcols", "fillnull"};
    return names[k];
}

static void finish_cmd(spl_q *q, spl_pipe *p, uint32_t i) {
    spl_cmd *c = p->cmds[i];
    switch (c->kind) {
    case C_SORT: {
        uint32_t keep = c->count > 0 && c->count < SPL_ROWS_MAX ? (uint32_t)c->count : SPL_ROWS_MAX;
        sort_rows(c, keep);
        spl_rows rows = c->buf;
        memset(&c->buf, 0, sizeof c->buf);
        for (uint32_t k = 0; k < rows.n; k++) run_from(q, p, i + 1, rows.v[k]);
        free(rows.v);
        break;
    }
    case C_TAIL: {
        spl_rows rows = c->buf;
        memset(&c->buf, 0, sizeof c->buf);
        for (uint32_t k = rows.n; k-- > 0;) run_from(q, p, i + 1, rows.v[k]); /* Splunk: last first */
        free(rows.v);
        break;
    }
    case C_STATS: {
        if (!c->n) single_group(c); /* no rows at all: one row of empty aggregates (count 0) */
        if (!c->groups) break;
        spl_groups *g = c->groups;
        cmp_nby = c->n;
        /* the index holds positions: sort a copy of the order only */
        group *order = malloc((g->n ? g->n : 1) * sizeof *order);
        if (!order) abort();
        if (g->n) {
            memcpy(order, g->g, g->n * sizeof *order);
            qsort(order, g->n, sizeof *order, group_cmp);
        }
        for (uint32_t k = 0; k < g->n; k++) {
            sh_event *r = sh_event_new();
            r->plain = true;
            for (uint32_t b = 0; b < c->n; b++) {
                sh_value v = sh_value_str(order[k].parts[b], strlen(order[k].parts[b]));
                set_values(r, c->names[b], strlen(c->names[b]), &v, 1);
            }
            for (uint32_t a = 0; a < c->naggs; a++) agg_out(&c->aggs[a], &order[k].st[a], r);
            spl_row row = {.ev = r, .origin = NULL};
            run_from(q, p, i + 1, row);
        }
        free(order);
        break;
    }
    case C_EVENTSTATS: {
        spl_rows rows = c->buf;
        memset(&c->buf, 0, sizeof c->buf);
        for (uint32_t k = 0; k < rows.n; k++) {
            sh_event *r = rows.v[k].ev;
            group *g = NULL;
            if (c->groups) {
                if (!c->n) g = &c->groups->g[0];
                else {
                    const char *parts[64];
                    uint32_t lens[64];
                    sh_buf key = {0};
                    if (c->n <= 64 && group_key(c, r, &key, parts, lens)) {
                        uint32_t *slot = strset_find(&c->groups->index, key.data ? key.data : "", key.len);
                        if (slot) g = &c->groups->g[*slot - 1];
                    }
                    sh_buf_free(&key);
                }
            }
            if (g)
                for (uint32_t a = 0; a < c->naggs; a++) agg_out(&c->aggs[a], &g->st[a], r);
            run_from(q, p, i + 1, rows.v[k]);
        }
        free(rows.v);
        break;
    }
    case C_APPEND: {
        finish_pipe(q, c->sub);
        spl_rows rows = c->sub->out;
        memset(&c->sub->out, 0, sizeof c->sub->out);
        for (uint32_t k = 0; k < rows.n; k++) run_from(q, p, i + 1, rows.v[k]);
        free(rows.v);
        break;
    }
    case C_APPENDCOLS: {
        finish_pipe(q, c->sub);
        spl_rows sub = c->sub->out, main = c->buf;
        memset(&c->sub->out, 0, sizeof c->sub->out);
        memset(&c->buf, 0, sizeof c->buf);
        uint32_t n = main.n > sub.n ? main.n : sub.n;
        for (uint32_t k = 0; k < n; k++) {
            if (k >= main.n) {
                run_from(q, p, i + 1, sub.v[k]);
                continue;
            }
            spl_row row = main.v[k];
            if (k < sub.n) {
                sh_event *s = sub.v[k].ev;
                for (uint32_t f = 0; f < s->nfields; f++) {
                    const sh_field *sf = s->fields[f];
                    if (sf->derived || !sf->nvals) continue;
                    const sh_field *have = sh_event_find(row.ev, sf->name, sf->nlen, sf->hash);
                    if (have && have->nvals && !have->derived) continue; /* override=false */
                    set_values(row.ev, sf->name, sf->nlen, sf->vals, sf->nvals);
                }
                row_drop(sub.v[k]);
            }
            run_from(q, p, i + 1, row);
        }
        free(sub.v);
        free(main.v);
        break;
    }
    default: break;
    }
    if (c->dropped) {
        const char *why = c->kind == C_SORT ? "its limit" : c->kind == C_DEDUP ? "the dedup key limit"
                          : c->kind == C_STATS || c->kind == C_EVENTSTATS ? "the group or row limit" : "the row limit";
        note(q, "%s (line %u) dropped %llu result%s at %s", cmd_name(c->kind), c->line, (unsigned long long)c->dropped,
             c->dropped == 1 ? "" : "s", why);
        c->dropped = 0;
    }
}

static void finish_pipe(spl_q *q, spl_pipe *p) {
    for (uint32_t i = 0; i < p->n; i++) finish_cmd(q, p, i);
    if (p->dropped) {
        note(q, "a subsearch kept %u results and dropped %llu (Splunk's maxout is %u)", p->out.n,
             (unsigned long long)p->dropped, SPL_APPEND_MAX);
        p->dropped = 0;
    }
}

static void reset_pipe(spl_pipe *p) {
    for (uint32_t i = 0; i < p->n; i++) {
        spl_cmd *c = p->cmds[i];
        rows_clear(&c->buf);
        c->seen = 0;
        c->dropped = 0;
        strset_free(c->keyset);
        c->keyset = NULL;
        groups_free(c->groups, c->naggs, c->n);
        c->groups = NULL;
        if (c->sub) reset_pipe(c->sub);
        if (c->cond) {
            /* filter subsearches hold no state */
        }
    }
    rows_clear(&p->out);
    p->dropped = 0;
}

/* ------------------------------------------------------------ as a query */

static bool q_feed(sh_query *qq, sh_event *e, sh_match_cb cb, void *ctx) {
    spl_q *q = (spl_q *)qq;
    bool has_subs = false;
    for (uint32_t i = 0; i < q->main->n; i++) has_subs |= q->main->cmds[i]->sub != NULL;
    if (q->done && !has_subs) return false;
    q->cb = cb;
    q->cbctx = ctx;
    feed_pipe(q, q->main, e);
    return !(q->done && !has_subs);
}

static void q_finish(sh_query *qq, sh_match_cb cb, void *ctx) {
    spl_q *q = (spl_q *)qq;
    q->cb = cb;
    q->cbctx = ctx;
    finish_pipe(q, q->main);
    for (uint32_t i = 0; i < q->nnotes; i++) {
        fprintf(stderr, "shrike: note: SPL rule %s: %s\n", q->rule, q->notes[i]);
        free(q->notes[i]);
    }
    q->nnotes = 0;
    q->done = true;
}

static void q_reset(sh_query *qq) {
    spl_q *q = (spl_q *)qq;
    reset_pipe(q->main);
    q->done = false;
}

static void q_free(sh_query *qq) {
    spl_q *q = (spl_q *)qq;
    if (q->main) reset_pipe(q->main);
    spl_pipe_free(q->main);
    for (uint32_t i = 0; i < q->nwarnings; i++) free(q->warnings[i]);
    free(q->warnings);
    for (uint32_t i = 0; i < q->nnotes; i++) free(q->notes[i]);
    free(q->notes);
    free(q->rule);
    sh_eval_free(&q->ev);
    sh_irpool_free(&q->pool);
    free(q);
}

static const char *const *q_warnings(const sh_query *qq) {
    const spl_q *q = (const spl_q *)qq;
    return (const char *const *)q->warnings;
}

/* ---------------------------------------------------------------- pushdown
 *
 * What a pipeline requires of an event, for the engine's literal prefilter
 * and event classes: its first search, and what the streaming commands after
 * it let through, followed as far as rows are still the event's own fields
 * plus what eval made of them. A `where match(X, "regex")` whose X is, through
 * earlier evals, lower/upper/coalesce of event fields, requires one of those
 * fields to contain (case-insensitively) one of the literals the regex cannot
 * match without (rxlit.c). The condition is necessary, not sufficient: an
 * event failing it could not have made a row past that point, and one
 * passing it still runs the whole pipeline. */

#define ENV_MAX 128

typedef struct nenv {
    const char *name[ENV_MAX];
    const sh_ir *expr[ENV_MAX];
    uint32_t n;
} nenv;

/* the latest of the first `upto` evals that gave name, or -1 */
static int env_find(const nenv *env, uint32_t upto, const char *name, uint32_t nlen) {
    for (uint32_t i = upto; i-- > 0;)
        if (strlen(env->name[i]) == nlen && memcmp(env->name[i], name, nlen) == 0) return (int)i;
    return -1;
}

/* the event fields whose text x is made of, case aside (lower, upper,
 * coalesce of fields through evals); false when x is anything else */
static bool text_sources(const nenv *env, uint32_t upto, const sh_ir *x, const sh_fieldref **out, uint32_t *n,
                         uint32_t max, int depth) {
    if (!x || depth > 32) return false;
    if (x->kind == SH_IR_FIELD) {
        if (!x->ref) return false;
        int k = env_find(env, upto, x->ref->name, x->ref->nlen);
        if (k >= 0) return text_sources(env, (uint32_t)k, env->expr[k], out, n, max, depth + 1);
        for (uint32_t i = 0; i < *n; i++)
            if (out[i] == x->ref) return true;
        if (*n == max) return false;
        out[(*n)++] = x->ref;
        return true;
    }
    if (x->kind != SH_IR_FUNC) return false;
    if ((x->op == SH_FN_SPL_LOWER || x->op == SH_FN_SPL_UPPER) && x->nargs == 1)
        return text_sources(env, upto, x->args[0], out, n, max, depth + 1);
    if (x->op == SH_FN_SPL_COALESCE && x->nargs > 0) {
        for (uint32_t i = 0; i < x->nargs; i++)
            if (!text_sources(env, upto, x->args[i], out, n, max, depth + 1)) return false;
        return true;
    }
    return false;
}

static sh_ir *ir_join(sh_irpool *pool, sh_ir_kind kind, sh_ir **parts, uint32_t n) {
    if (n == 1) return parts[0];
    sh_ir *j = sh_ir_new(pool, kind, n);
    for (uint32_t i = 0; i < n; i++) j->args[i] = parts[i];
    return j;
}

/* `field contains one of lits`, case-insensitively, for each source field, OR-ed */
static sh_ir *contains_any(sh_irpool *pool, const sh_fieldref *const *src, uint32_t nsrc, const char *const *lits,
                           const uint32_t *lens, uint32_t nl) {
    const char **pats = sh_arena_alloc(&pool->arena, nl * sizeof *pats);
    uint32_t *plens = sh_arena_alloc(&pool->arena, nl * sizeof *plens);
    for (uint32_t i = 0; i < nl; i++) {
        /* a wildcard pattern cannot spell '*' or '?': the longest run without */
        uint32_t bs = 0, bl = 0;
        for (uint32_t k = 0; k < lens[i];) {
            uint32_t e = k;
            while (e < lens[i] && lits[i][e] != '*' && lits[i][e] != '?') e++;
            if (e - k > bl) bs = k, bl = e - k;
            k = e + 1;
        }
        if (!bl) return NULL;
        char *t = sh_arena_alloc(&pool->arena, (size_t)bl + 3);
        t[0] = '*';
        memcpy(t + 1, lits[i] + bs, bl);
        t[bl + 1] = '*';
        t[bl + 2] = 0;
        pats[i] = t;
        plens[i] = bl + 2;
    }
    sh_ir *parts[16];
    for (uint32_t i = 0; i < nsrc; i++) {
        sh_ir *f = sh_ir_new(pool, SH_IR_FIELD, 0);
        f->ref = src[i];
        parts[i] = sh_ir_wildcard(pool, f, pats, plens, nl, true);
    }
    return ir_join(pool, SH_IR_OR, parts, nsrc);
}

/* what a where expression requires of the event, or NULL */
static sh_ir *expr_nec(sh_irpool *pool, const nenv *env, const sh_ir *x, int depth) {
    if (!x || depth > 32) return NULL;
    if (x->kind == SH_IR_AND || x->kind == SH_IR_OR) {
        sh_ir *parts[64];
        uint32_t n = 0;
        if (x->nargs > 64) return NULL;
        for (uint32_t i = 0; i < x->nargs; i++) {
            sh_ir *p = expr_nec(pool, env, x->args[i], depth + 1);
            if (p) parts[n++] = p;
            else if (x->kind == SH_IR_OR) return NULL;     /* a branch that requires nothing */
        }
        return n ? ir_join(pool, (sh_ir_kind)x->kind, parts, n) : NULL;
    }
    if (x->kind != SH_IR_REGEX || (x->flags & SH_IRF_NEGATE) || x->nargs != 1 || !x->rx || x->rx->n != 1 ||
        !x->rx->pats)
        return NULL;
    const sh_fieldref *src[16];
    uint32_t nsrc = 0;
    if (!text_sources(env, env->n, x->args[0], src, &nsrc, 16, 0) || !nsrc) return NULL;
    const char **lits;
    uint32_t *lens, nl;
    if (!sh_regex_needs(x->rx->pats[0], x->rx->lens[0], x->rx->caseless, x->rx->extended, &pool->arena, &lits, &lens,
                        &nl))
        return NULL;
    return contains_any(pool, src, nsrc, lits, lens, nl);
}

/* whether x reads a name an eval made */
static bool reads_env(const nenv *env, const sh_ir *x, int depth) {
    if (!x) return false;
    if (depth > 64) return true;
    if (x->kind == SH_IR_FIELD && x->ref && env_find(env, env->n, x->ref->name, x->ref->nlen) >= 0) return true;
    if (x->kind == SH_IR_ANYFIELD) return env->n > 0;
    for (uint32_t i = 0; i < x->nargs; i++)
        if (reads_env(env, x->args[i], depth + 1)) return true;
    return false;
}

static sh_ir *pipe_nec(sh_irpool *pool, const spl_pipe *p, nenv *env, int depth);

/* what a search condition requires, or NULL */
static sh_ir *cond_nec(sh_irpool *pool, const spl_cond *c, nenv *env, int depth) {
    if (!c || depth > 16) return NULL;
    switch (c->kind) {
    case SC_IR: return reads_env(env, c->ir, 0) ? NULL : c->ir;
    case SC_AND:
    case SC_OR: {
        sh_ir *parts[64];
        uint32_t n = 0;
        if (c->nargs > 64) return NULL;
        for (uint32_t i = 0; i < c->nargs; i++) {
            sh_ir *p = cond_nec(pool, c->args[i], env, depth + 1);
            if (p) parts[n++] = p;
            else if (c->kind == SC_OR) return NULL;
        }
        return n ? ir_join(pool, c->kind == SC_AND ? SH_IR_AND : SH_IR_OR, parts, n) : NULL;
    }
    case SC_SUB: {
        /* the subsearch runs on a copy of the row: the evals so far hold */
        nenv sub = *env;
        return pipe_nec(pool, c->sub, &sub, depth + 1);
    }
    case SC_NOT: return NULL;
    }
    return NULL;
}

/* the AND of what the pipeline's commands require of an event, as far as
 * rows are still the event's fields and what eval made of them; NULL when
 * nothing */
static sh_ir *pipe_nec(sh_irpool *pool, const spl_pipe *p, nenv *env, int depth) {
    sh_ir *parts[64];
    uint32_t n = 0;
    for (uint32_t i = 0; i < p->n && n < 64; i++) {
        const spl_cmd *c = p->cmds[i];
        sh_ir *x = NULL;
        if (c->kind == C_SEARCH) {
            x = cond_nec(pool, c->cond, env, depth);
        } else if (c->kind == C_WHERE) {
            x = expr_nec(pool, env, c->expr, 0);
        } else if (c->kind == C_EVAL) {
            if (c->n > ENV_MAX - env->n) break;    /* more evals than followed */
            for (uint32_t k = 0; k < c->n; k++) {
                env->name[env->n] = c->names[k];
                env->expr[env->n++] = c->exprs[k];
            }
        } else {
            /* table, rename, stats, append ...: rows are no longer the event's */
            break;
        }
        if (x) parts[n++] = x;
    }
    return n ? ir_join(pool, SH_IR_AND, parts, n) : NULL;
}

/* the searches that read events: the main one and each append's, with what
 * the rest of their pipeline requires (q->need, made when compiled) */
static void collect_needs(spl_q *q, const spl_pipe *p) {
    if (q->nneed < SPL_NEED_MAX) {
        nenv env = {.n = 0};
        sh_ir *x = pipe_nec(&q->pool, p, &env, 0);
        if (x) sh_ir_finalize(&q->pool, x);
        q->need[q->nneed++] = x;
    } else {
        q->need[SPL_NEED_MAX - 1] = NULL;   /* too many searches: the last entry takes any event */
    }
    for (uint32_t i = 0; i < p->n; i++)
        if (p->cmds[i]->sub && (p->cmds[i]->kind == C_APPEND || p->cmds[i]->kind == C_APPENDCOLS))
            collect_needs(q, p->cmds[i]->sub);
}

static uint32_t q_filters(const sh_query *qq, const sh_ir **out, uint32_t max) {
    const spl_q *q = (const spl_q *)qq;
    uint32_t n = 0;
    for (uint32_t i = 0; i < q->nneed && n < max; i++) out[n++] = q->need[i];
    return n;
}

static const sh_query_ops spl_ops = {
    .feed = q_feed,
    .finish = q_finish,
    .reset = q_reset,
    .free = q_free,
    .warnings = q_warnings,
    .filters = q_filters,
};

static void finalize_cond(sh_irpool *pool, spl_cond *c);
static void finalize_pipe(sh_irpool *pool, spl_pipe *p) {
    for (uint32_t i = 0; i < p->n; i++) {
        spl_cmd *c = p->cmds[i];
        if (c->cond) finalize_cond(pool, c->cond);
        if (c->expr) sh_ir_finalize(pool, c->expr);
        for (uint32_t k = 0; c->exprs && k < c->n; k++) sh_ir_finalize(pool, c->exprs[k]);
        if (c->sub) finalize_pipe(pool, c->sub);
    }
}
static void finalize_cond(sh_irpool *pool, spl_cond *c) {
    if (c->ir) sh_ir_finalize(pool, c->ir);
    for (uint32_t i = 0; i < c->nargs; i++) finalize_cond(pool, c->args[i]);
    if (c->sub) finalize_pipe(pool, c->sub);
}

static bool has_subs(const spl_pipe *p) {
    for (uint32_t i = 0; i < p->n; i++)
        if (p->cmds[i]->sub) return true;
    return false;
}

static sh_query *fe_compile(void *ctx, const sh_rule *r, sh_diag *d) {
    (void)ctx;
    spl_q *q = calloc(1, sizeof *q);
    if (!q) abort();
    sh_irpool_init(&q->pool);
    sh_eval_init(&q->ev);
    q->base.ops = &spl_ops;
    q->base.shape = SH_SHAPE_ROWS;
    q->rule = strdup(r->id && r->id[0] ? r->id : r->path ? r->path : "query");
    if (!q->rule) abort();
    if (d) {
        d->line = d->col = 0;
        d->offset = -1;
        d->msg[0] = 0;
    }
    sh_spl_set_now((double)time(NULL));
    if (!spl_parse(q, r->query, strlen(r->query), d)) {
        q_free(&q->base);
        return NULL;
    }
    finalize_pipe(&q->pool, q->main);
    collect_needs(q, q->main);
    q->can_stop = !has_subs(q->main);
    return &q->base;
}

const sh_frontend sh_frontend_spl = {.lang = SH_LANG_SPL, .name = "spl", .compile = fe_compile};
