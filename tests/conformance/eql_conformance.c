/* eql_conformance.c: runs Elasticsearch's EQL conformance cases (the
 * elasticsearch-qa folder of ../shared/data) through shrike's EQL engine and
 * reports the pass rate. The datasets are loaded the way Elasticsearch's own
 * runner loads them (see that folder's README.md): @timestamp from the
 * FILETIME `timestamp` (test_data.json) or given (extra, missing-events),
 * event.category as an alias of event_type, events ordered by timestamp then
 * tiebreaker, results cut at `size` (default 50), alternative expected
 * answers, -1 for missing-event placeholders, join keys compared as text.
 * Entries marked only `case_insensitive` belong to the pre-7.12 dialect and
 * are skipped. The .mapping files are applied where they change values:
 * `null_value` replaces explicit nulls, and in the sample datasets date-typed
 * fields become epoch milliseconds, as Elasticsearch's composite keys are.
 *
 * Usage: eql_conformance [--data DIR] [--min-pass N|P%] [--only NAME] [-v]
 * Exit status: 0, or 1 when --min-pass is given and not reached. Missing
 * data is reported and skipped (status 0). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/fieldmap.h"
#include "input/json.h"
#include "lang/eql/eql.h"
#include "util/toml.h"

/* ------------------------------------------------------------- datasets */

typedef struct dataset {
    sh_event **ev;
    size_t n, cap;
    const char *id_field;           /* the field holding the ids compared */
} dataset;

static void ds_push(dataset *ds, sh_event *e) {
    if (ds->n == ds->cap) {
        ds->cap = ds->cap ? ds->cap * 2 : 128;
        ds->ev = realloc(ds->ev, ds->cap * sizeof *ds->ev);
        if (!ds->ev) abort();
    }
    ds->ev[ds->n++] = e;
}

static void ds_free(dataset *ds) {
    for (size_t i = 0; i < ds->n; i++) sh_event_unref(ds->ev[i]);
    free(ds->ev);
    memset(ds, 0, sizeof *ds);
}

/* drop lines whose first non-blank characters are `prefix` (comments) */
static void strip_comment_lines(char *text, const char *prefix) {
    size_t pl = strlen(prefix);
    char *p = text;
    while (*p) {
        char *eol = strchr(p, '\n');
        char *q = p;
        while (*q == ' ' || *q == '\t') q++;
        if (strncmp(q, prefix, pl) == 0)
            for (char *k = p; k < (eol ? eol : p + strlen(p)); k++) *k = ' ';
        if (!eol) break;
        p = eol + 1;
    }
}

static int64_t int_field(sh_event *e, const char *name, bool *ok) {
    sh_field *f = sh_event_find_cstr(e, name);
    *ok = f && f->nvals && f->vals[0].type == SH_INT;
    return *ok ? f->vals[0].i : 0;
}

/* event.category is an alias of event_type */
static void alias_category(sh_event *e) {
    sh_field *f = sh_event_find_cstr(e, "event_type");
    if (!f || sh_event_find_cstr(e, "event.category")) return;
    sh_field copy = *f;
    if (copy.nvals == 1) copy.vals = &copy.inl;
    sh_field *c = sh_event_field_get_or_add(e, "event.category", 14, NULL);
    for (uint32_t i = 0; i < copy.nvals; i++) sh_event_add_value(e, c, &copy.vals[i]);
}

/* Parse a JSON array file into events (text is modified: comments blanked) */
static bool load_array(const char *path, const char *comment, dataset *ds, char *err, size_t errsz) {
    sh_diag d = {0};
    size_t len;
    char *text = sh_read_file(path, &len, &d);
    if (!text) {
        snprintf(err, errsz, "%s: %s", path, d.msg);
        return false;
    }
    if (comment) strip_comment_lines(text, comment);
    char *p = strchr(text, '[');
    if (!p) {
        snprintf(err, errsz, "%s: not a JSON array", path);
        free(text);
        return false;
    }
    p++;
    const char *end = text + len;
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t' || *p == ',')) p++;
        if (p >= end || *p == ']') break;
        long lines;
        size_t span = sh_json_value_span(p, (size_t)(end - p), &lines);
        if (!span) {
            snprintf(err, errsz, "%s: bad JSON value at byte %ld", path, (long)(p - text));
            free(text);
            return false;
        }
        sh_event *e = sh_event_new();
        sh_json_opts o = {.keep_raw = false, .unwrap = false};
        if (!sh_json_parse_event(p, span, e, &o, &d)) {
            snprintf(err, errsz, "%s: %s", path, d.msg);
            sh_event_unref(e);
            free(text);
            return false;
        }
        alias_category(e);
        e->ts = SH_TS_NONE;
        ds_push(ds, e);
        p += span;
    }
    free(text);
    return true;
}

static int64_t tiebreak_of(sh_event *e, const char *field) {
    bool ok;
    int64_t v = int_field(e, field, &ok);
    return ok ? v : 0;
}

static const char *g_tiebreak;

static int ev_order(const void *a, const void *b) {
    sh_event *x = *(sh_event *const *)a, *y = *(sh_event *const *)b;
    if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
    int64_t p = tiebreak_of(x, g_tiebreak), q = tiebreak_of(y, g_tiebreak);
    if (p != q) return p < q ? -1 : 1;
    return x->ordinal < y->ordinal ? -1 : x->ordinal > y->ordinal;
}

static void order_events(dataset *ds, const char *tiebreak) {
    for (size_t i = 0; i < ds->n; i++) ds->ev[i]->ordinal = i;
    g_tiebreak = tiebreak;
    qsort(ds->ev, ds->n, sizeof *ds->ev, ev_order);
    for (size_t i = 0; i < ds->n; i++) ds->ev[i]->ordinal = i;
}

/* test_data.json: @timestamp = timestamp / 10000 - 11644473600000 (ms) */
static bool load_main(const char *dir, dataset *ds, char *err, size_t errsz) {
    char path[1024];
    snprintf(path, sizeof path, "%s/test_data.json", dir);
    if (!load_array(path, NULL, ds, err, errsz)) return false;
    for (size_t i = 0; i < ds->n; i++) {
        sh_event *e = ds->ev[i];
        bool ok;
        int64_t ft = int_field(e, "timestamp", &ok);
        if (!ok) continue;
        int64_t ms = ft / 10000 - 11644473600000LL;
        sh_event_add_int(e, "@timestamp", ms);
        e->ts = ms * 1000000;
    }
    ds->id_field = "serial_event_id";
    order_events(ds, "serial_event_id");
    return true;
}

static bool apply_mapping(const char *mapping_path, dataset *ds, size_t from, bool dates, char *err, size_t errsz);

/* extra / missing-events: @timestamp given as epoch-ms text or ISO-8601 */
static bool load_given(const char *dir, const char *file, dataset *ds, char *err, size_t errsz) {
    char path[1024];
    snprintf(path, sizeof path, "%s/data/%s", dir, file);
    if (!load_array(path, "//", ds, err, errsz)) return false;
    char mpath[1024];
    snprintf(mpath, sizeof mpath, "%s/data/%.*s.mapping", dir, (int)(strlen(file) - 5), file);
    if (!apply_mapping(mpath, ds, 0, false, err, errsz)) return false;
    for (size_t i = 0; i < ds->n; i++) {
        sh_event *e = ds->ev[i];
        sh_field *f = sh_event_find_cstr(e, "@timestamp");
        if (!f || !f->nvals) continue;
        const sh_value *v = &f->vals[0];
        char *end;
        long long ms = strtoll(v->s, &end, 10);
        if (end == v->s + v->len) e->ts = (int64_t)ms * 1000000;
        else e->ts = sh_parse_time(v->s, v->len);
    }
    ds->id_field = "sequence";
    order_events(ds, "sequence");
    return true;
}

/* ---- sample datasets: date fields become epoch milliseconds ---- */

static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* dates in the formats the sample mappings use: dd-MM-yyyy, yyyy-MM-dd,
 * ISO-8601, epoch milliseconds */
static bool date_ms(const char *s, size_t n, const char *format, int64_t *ms) {
    int a, b, c;
    if (format && strcmp(format, "dd-MM-yyyy") == 0 && n == 10 && sscanf(s, "%2d-%2d-%4d", &a, &b, &c) == 3) {
        *ms = days_from_civil(c, b, a) * 86400000LL;
        return true;
    }
    int64_t ts = sh_parse_time(s, n);
    if (ts != SH_TS_NONE) {
        *ms = ts / 1000000;
        return true;
    }
    char *end;
    long long v = strtoll(s, &end, 10);
    if (n && end == s + n) {
        *ms = v;
        return true;
    }
    return false;
}

/* null_value: explicit nulls are indexed as the given value */
static void apply_null_value(const sh_event *m, const sh_field *f, dataset *ds, size_t from) {
    const char *nm = f->name + 11;
    size_t nl = f->nlen - 11 - 11; /* "properties." ... ".null_value" */
    if (memchr(nm, '.', nl)) return;
    char field[256];
    snprintf(field, sizeof field, "%.*s", (int)nl, nm);
    for (size_t k = from; k < ds->n; k++) {
        sh_field *v = sh_event_find_cstr(ds->ev[k], field);
        for (uint32_t i = 0; v && i < v->nvals; i++)
            if (v->vals[i].type == SH_NULL)
                v->vals[i] = sh_value_str(sh_arena_strndup(&ds->ev[k]->arena, f->vals[0].s, f->vals[0].len), f->vals[0].len);
    }
    (void)m;
}

static bool apply_mapping(const char *mapping_path, dataset *ds, size_t from, bool dates, char *err, size_t errsz) {
    sh_diag d = {0};
    size_t len;
    char *text = sh_read_file(mapping_path, &len, &d);
    if (!text) {
        snprintf(err, errsz, "%s: %s", mapping_path, d.msg);
        return false;
    }
    strip_comment_lines(text, "#");
    sh_event *m = sh_event_new();
    sh_json_opts o = {0};
    bool ok = sh_json_parse_event(text, len, m, &o, &d);
    free(text);
    if (!ok) {
        snprintf(err, errsz, "%s: %s", mapping_path, d.msg);
        sh_event_unref(m);
        return false;
    }
    for (uint32_t i = 0; i < m->nfields; i++) {
        const sh_field *f = m->fields[i];
        if (strncmp(f->name, "properties.", 11) || f->nvals != 1) continue;
        if (f->nlen > 22 && strcmp(f->name + f->nlen - 11, ".null_value") == 0) {
            apply_null_value(m, f, ds, from);
            continue;
        }
        /* properties.NAME.type = date (top-level fields only) */
        if (!dates || strcmp(f->vals[0].s, "date")) continue;
        const char *nm = f->name + 11;
        size_t nl = f->nlen - 11;
        if (nl < 5 || strcmp(nm + nl - 5, ".type") || memchr(nm, '.', nl - 5)) continue;
        char field[256], fmtkey[300];
        snprintf(field, sizeof field, "%.*s", (int)(nl - 5), nm);
        snprintf(fmtkey, sizeof fmtkey, "properties.%s.format", field);
        sh_field *ff = sh_event_find_cstr(m, fmtkey);
        const char *format = ff && ff->nvals ? ff->vals[0].s : NULL;
        for (size_t k = from; k < ds->n; k++) {
            sh_field *v = sh_event_find_cstr(ds->ev[k], field);
            int64_t ms;
            if (!v || v->nvals != 1 || v->vals[0].type != SH_STR) continue;
            if (!date_ms(v->vals[0].s, v->vals[0].len, format, &ms)) continue;
            v->vals[0] = sh_value_int(&ds->ev[k]->arena, ms);
        }
    }
    sh_event_unref(m);
    return true;
}

static bool load_samples(const char *dir, dataset *ds, char *err, size_t errsz) {
    for (int i = 1; i <= 3; i++) {
        char path[1024], mpath[1024];
        snprintf(path, sizeof path, "%s/data/sample%d.data", dir, i);
        snprintf(mpath, sizeof mpath, "%s/data/sample%d.mapping", dir, i);
        size_t from = ds->n;
        if (!load_array(path, NULL, ds, err, errsz)) return false;
        if (!apply_mapping(mpath, ds, from, true, err, errsz)) return false;
    }
    for (size_t i = 0; i < ds->n; i++) ds->ev[i]->ordinal = i;
    ds->id_field = "id";
    return true;
}

/* ---------------------------------------------------------------- cases */

typedef struct results {
    long *ids;
    size_t n, cap;
    char **keys;
    size_t nkeys, capkeys;
    size_t count, limit;
    const char *id_field;
} results;

static void push_id(results *r, long id) {
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->ids = realloc(r->ids, r->cap * sizeof *r->ids);
        if (!r->ids) abort();
    }
    r->ids[r->n++] = id;
}

static void push_key(results *r, const char *k) {
    if (r->nkeys == r->capkeys) {
        r->capkeys = r->capkeys ? r->capkeys * 2 : 64;
        r->keys = realloc(r->keys, r->capkeys * sizeof *r->keys);
        if (!r->keys) abort();
    }
    r->keys[r->nkeys++] = strdup(k);
}

static void on_match(void *ctx, const sh_match *m) {
    results *r = ctx;
    if (r->count >= r->limit) return;
    r->count++;
    for (uint32_t i = 0; i < m->nevents; i++) {
        if (!m->events[i]) {
            push_id(r, -1);
            continue;
        }
        bool ok;
        push_id(r, (long)int_field(m->events[i], r->id_field, &ok));
    }
    for (uint32_t i = 0; i < m->nkeys; i++) push_key(r, m->keys[i]);
}

static void results_free(results *r) {
    for (size_t i = 0; i < r->nkeys; i++) free(r->keys[i]);
    free(r->keys);
    free(r->ids);
}

static bool ids_equal(const sh_toml *exp, const results *r) {
    if (exp->n != r->n) return false;
    for (size_t i = 0; i < exp->n; i++)
        if (exp->items[i]->type != SH_TOML_INT || exp->items[i]->i != r->ids[i]) return false;
    return true;
}

static bool keys_equal(const sh_toml *exp, const results *r) {
    if (exp->n != r->nkeys) return false;
    for (size_t i = 0; i < exp->n; i++) {
        const sh_toml *k = exp->items[i];
        const char *want = k->type == SH_TOML_NULL ? "null" : k->type == SH_TOML_STRING ? k->str : NULL;
        char num[32];
        if (k->type == SH_TOML_INT) {
            snprintf(num, sizeof num, "%lld", k->i);
            want = num;
        }
        if (!want || strcmp(want, r->keys[i]) != 0) return false;
    }
    return true;
}

static void print_toml_ids(const sh_toml *t, FILE *f) {
    fputc('[', f);
    for (size_t i = 0; i < t->n; i++) {
        if (i) fputs(", ", f);
        const sh_toml *x = t->items[i];
        if (x->type == SH_TOML_ARRAY) print_toml_ids(x, f);
        else if (x->type == SH_TOML_INT) fprintf(f, "%lld", x->i);
        else if (x->type == SH_TOML_STRING) fprintf(f, "\"%s\"", x->str);
        else if (x->type == SH_TOML_NULL) fputs("null", f);
        else fputs("?", f);
    }
    fputc(']', f);
}

static void print_got(const results *r, FILE *f) {
    fputc('[', f);
    for (size_t i = 0; i < r->n; i++) fprintf(f, "%s%ld", i ? ", " : "", r->ids[i]);
    fputc(']', f);
    if (r->nkeys) {
        fputs(" keys [", f);
        for (size_t i = 0; i < r->nkeys; i++) fprintf(f, "%s\"%s\"", i ? ", " : "", r->keys[i]);
        fputc(']', f);
    }
}

typedef struct tally {
    int passed, failed, skipped;
    bool verbose;
    const char *only;
} tally;

static bool bool_key(const sh_toml *q, const char *k) {
    const sh_toml *v = sh_toml_get(q, k);
    return v && v->type == SH_TOML_BOOL && v->b;
}

static void fail_case(const char *file, const char *name, const char *query, const sh_toml *exp,
                      const sh_toml *jk, const char *got_err, const results *r) {
    printf("FAIL %s: %s\n  query: ", file, name);
    for (const char *c = query; *c; c++) {
        putchar(*c == '\n' ? ' ' : *c);
    }
    printf("\n  expected: ");
    print_toml_ids(exp, stdout);
    if (jk) {
        printf(" keys ");
        print_toml_ids(jk, stdout);
    }
    printf("\n  got:      ");
    if (got_err) printf("error: %s", got_err);
    else print_got(r, stdout);
    printf("\n");
}

static void run_case(const char *file, const sh_toml *qt, const dataset *ds, tally *t) {
    const sh_toml *nm = sh_toml_get(qt, "name"), *qq = sh_toml_get(qt, "query");
    const sh_toml *exp = sh_toml_get(qt, "expected_event_ids"), *jk = sh_toml_get(qt, "join_keys");
    const sh_toml *size = sh_toml_get(qt, "size");
    const char *name = nm && nm->type == SH_TOML_STRING ? nm->str : "(unnamed)";
    if (t->only && strcmp(t->only, name) != 0) return;
    if (!qq || qq->type != SH_TOML_STRING || !exp || exp->type != SH_TOML_ARRAY) {
        printf("SKIP %s: %s: malformed entry\n", file, name);
        t->skipped++;
        return;
    }
    if (bool_key(qt, "case_insensitive") && !bool_key(qt, "case_sensitive")) {
        if (t->verbose) printf("SKIP %s: %s: case_insensitive only (pre-7.12 dialect)\n", file, name);
        t->skipped++;
        return;
    }
    sh_diag d = {0};
    sh_eql *q = sh_eql_compile(qq->str, qq->len, &d);
    if (!q) {
        char msg[700];
        sh_diag_format(&d, msg, sizeof msg);
        fail_case(file, name, qq->str, exp, jk, msg, NULL);
        t->failed++;
        return;
    }
    results r = {.limit = size && size->type == SH_TOML_INT ? (size_t)size->i : 50, .id_field = ds->id_field};
    for (size_t i = 0; i < ds->n && r.limit; i++)
        if (!sh_eql_feed(q, ds->ev[i], on_match, &r)) break;
    sh_eql_finish(q, on_match, &r);
    sh_eql_free(q);
    bool alt = exp->n && exp->items[0]->type == SH_TOML_ARRAY, ok = false;
    if (alt) {
        for (size_t i = 0; i < exp->n && !ok; i++) ok = ids_equal(exp->items[i], &r);
    } else ok = ids_equal(exp, &r);
    if (ok && jk && jk->type == SH_TOML_ARRAY) ok = keys_equal(jk, &r);
    if (ok) {
        t->passed++;
        if (t->verbose) printf("PASS %s: %s\n", file, name);
    } else {
        t->failed++;
        fail_case(file, name, qq->str, exp, jk, NULL, &r);
    }
    results_free(&r);
}

static bool run_file(const char *dir, const char *file, const dataset *ds, tally *t) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    sh_diag d = {0};
    size_t len;
    char *text = sh_read_file(path, &len, &d);
    if (!text) {
        printf("eql conformance: cannot read %s: %s\n", path, d.msg);
        return false;
    }
    sh_toml *doc = sh_toml_parse(text, len, &d);
    free(text);
    if (!doc) {
        char msg[700];
        sh_diag_format(&d, msg, sizeof msg);
        printf("eql conformance: %s: %s\n", path, msg);
        return false;
    }
    const sh_toml *qs = sh_toml_get(doc, "queries");
    for (size_t i = 0; qs && qs->type == SH_TOML_ARRAY && i < qs->n; i++) run_case(file, qs->items[i], ds, t);
    sh_toml_free(doc);
    return true;
}

int main(int argc, char **argv) {
    const char *dir = "../shared/data/eql/elasticsearch-qa", *min_pass = NULL;
    tally t = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--data") && i + 1 < argc) dir = argv[++i];
        else if (!strcmp(argv[i], "--min-pass") && i + 1 < argc) min_pass = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) t.only = argv[++i];
        else if (!strcmp(argv[i], "-v")) t.verbose = true;
        else {
            fprintf(stderr, "usage: %s [--data DIR] [--min-pass N|P%%] [--only NAME] [-v]\n", argv[0]);
            return 2;
        }
    }
    char err[1200] = "";
    dataset main_ds = {0}, extra = {0}, missing = {0}, samples = {0};
    bool ok = load_main(dir, &main_ds, err, sizeof err) && load_given(dir, "extra.data", &extra, err, sizeof err) &&
              load_given(dir, "missing-events.data", &missing, err, sizeof err) &&
              load_samples(dir, &samples, err, sizeof err);
    if (ok) {
        ok = run_file(dir, "test_queries.toml", &main_ds, &t) && run_file(dir, "test_queries_date.toml", &main_ds, &t) &&
             run_file(dir, "test_extra.toml", &extra, &t) &&
             run_file(dir, "test_missing_events.toml", &missing, &t) && run_file(dir, "test_sample.toml", &samples, &t);
    } else {
        printf("eql conformance: data not available (%s)\n", err);
    }
    ds_free(&main_ds);
    ds_free(&extra);
    ds_free(&missing);
    ds_free(&samples);
    if (!ok) {
        printf("eql conformance: skipped\n");
        return 0;
    }
    int applicable = t.passed + t.failed;
    double pct = applicable ? 100.0 * t.passed / applicable : 0;
    printf("eql conformance: %d passed, %d failed, %d skipped (%.1f%% of applicable)\n", t.passed, t.failed,
           t.skipped, pct);
    if (min_pass) {
        size_t ml = strlen(min_pass);
        bool percent = ml && min_pass[ml - 1] == '%';
        double floor = atof(min_pass);
        if (percent ? pct < floor : t.passed < floor) {
            printf("eql conformance: below the floor of %s\n", min_pass);
            return 1;
        }
    }
    return 0;
}
