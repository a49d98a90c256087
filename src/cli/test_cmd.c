/* test_cmd.c: `shrike test` runs rule test cases and prints a matrix of case
 * against rule: how many alerts each rule raised on each event file, with
 * the expectations checked and, for the rules that missed an attack case,
 * the reason (shrike_explain_miss). The case format is in docs/testing.md:
 * a folder of event files plus expected*.tsv tables (FILE, RULE_ID, COUNT,
 * NOTE), optionally inputs.txt naming event files elsewhere. */
#include <dirent.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <fnmatch.h>

#include "cli/cli.h"

static const char test_help[] =
    "usage: shrike test [-r RULES]... [--exclusions FILE]... [--no-exclusions]\n"
    "                   [--strict] [-q] [--fieldmap FILE] [--splunk-index NAME]\n"
    "                   [--splunk-sourcetype auto|xml|classic] [CASES]...\n"
    "\n"
    "Run rule test cases and print a matrix of case against rule: the alerts each rule\n"
    "raised on each event file, checked against the case's expectations, and for every\n"
    "rule that raised nothing on an attack case the first condition no event met, with\n"
    "the nearest event's value.\n"
    "\n"
    "A case is a folder holding event files (any format shrike reads) and one or more\n"
    "expected*.tsv tables: FILE<TAB>RULE_ID<TAB>COUNT[<TAB>NOTE], FILE a name or a\n"
    "wildcard pattern, COUNT a number or >=N (alerts raised, before exclusions). A\n"
    "folder that is no case is searched for cases. Default CASES: the bundled scenarios\n"
    "(tests/scenarios beside the bundled pack). See docs/testing.md.\n"
    "\n"
    "  -r, --rules PATH    rule file or folder (repeatable); default: the bundled pack\n"
    "  --exclusions FILE   exclusion file (repeatable); default: the pack's own when no\n"
    "                      -r is given. Suppressed alerts are shown, and still count as\n"
    "                      raised for the expectations.\n"
    "  --no-exclusions     no exclusion file at all\n"
    "  --strict            alerts of a rule the case has no expectation for fail\n"
    "  -q, --quiet         print only failures and the summary\n"
    CLI_FIELD_HELP
    "  -h, --help          this help\n"
    "\n"
    "Exit status: 0 every expectation met, 1 some failed, 2 usage error, 3 no rule\n"
    "could be loaded.\n";

/* ------------------------------------------------------------ small helpers */

static void *xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (!p) abort();
    return p;
}

static char *xstrdup(const char *s) {
    char *p = strdup(s);
    if (!p) abort();
    return p;
}

static bool is_dir(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static bool is_file(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static char *join(const char *a, const char *b) {
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = xrealloc(NULL, n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* sorted names of a folder's entries (no hidden ones) */
static char **list_dir(const char *dir, size_t *n) {
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char **out = NULL;
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        if (*n == cap) out = xrealloc(out, (cap = cap ? cap * 2 : 16) * sizeof *out);
        out[(*n)++] = xstrdup(de->d_name);
    }
    closedir(d);
    if (*n) qsort(out, *n, sizeof *out, cmp_str);
    return out;
}

static void free_list(char **l, size_t n) {
    for (size_t i = 0; i < n; i++) free(l[i]);
    free(l);
}

static bool is_expect_file(const char *name) {
    size_t n = strlen(name);
    return !strncmp(name, "expected", 8) && n > 4 && !strcmp(name + n - 4, ".tsv");
}

/* files of a case folder that are not events */
static bool is_case_meta(const char *name) {
    size_t n = strlen(name);
    if (is_expect_file(name) || !strcmp(name, "inputs.txt")) return true;
    if (!strncasecmp(name, "README", 6)) return true;
    return n > 3 && !strcasecmp(name + n - 3, ".md");
}

static bool is_case_dir(const char *dir) {
    size_t n;
    char **l = list_dir(dir, &n);
    bool yes = false;
    for (size_t i = 0; i < n && !yes; i++) yes = is_expect_file(l[i]);
    free_list(l, n);
    return yes;
}

/* ------------------------------------------------------------ the model */

enum { OP_EQ, OP_GE };

typedef struct exp_row {
    char *file;               /* name or fnmatch pattern */
    char *rule;
    int op;
    long count;
    char *note;
    char *src;                /* expected*.tsv it came from */
    long line;
} exp_row;

typedef enum { F_RUN, F_SKIP, F_ERROR } fstate;

typedef struct tfile {
    char *name;               /* as shown and as expectations name it */
    char *path;
    bool external;            /* from inputs.txt: events not kept */
    fstate state;
    char *msg;                /* skip / error reason */
    uint64_t *fired, *excl;   /* per rule */
    sh_event **evs;           /* kept for explanations */
    size_t nev, capev;
} tfile;

typedef struct tcase {
    char *dir, *name;
    bool attack;
    int kind;                 /* @kind row: 1 attack, 0 benign, -1 none */
    exp_row *rows;
    size_t nrows;
    tfile *files;
    size_t nfiles;
    bool *checked;            /* per rule: the case has a row for it */
    sh_buf misses;            /* explanations, made when the case has run */
} tcase;

typedef struct tctx {
    const char **rules;
    size_t nrules_paths;
    const char **excl;
    size_t nexcl;
    bool no_excl, strict, quiet;
    FILE *devnull;
    shrike *ref;              /* the reference engine: rule list, explanations */
    size_t nr;                /* rules loaded */
    tcase *cases;
    size_t ncases;
    uint64_t checks, failed, skipped_rows, unexpected_alerts, suppressed, errors;
    sh_buf fails;             /* failure lines, printed after the matrix */
} tctx;

static void fail_line(tctx *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail_line(tctx *t, const char *fmt, ...) {
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    sh_buf_puts(&t->fails, "FAIL ");
    sh_buf_puts(&t->fails, buf);
    sh_buf_putc(&t->fails, '\n');
    t->failed++;
}

/* ------------------------------------------------------------ reading cases */

static void read_expectations(tctx *t, tcase *c, const char *path) {
    size_t len;
    sh_diag d;
    char *text = sh_read_file(path, &len, &d);
    if (!text) {
        fail_line(t, "%s: cannot read: %s", path, d.msg);
        return;
    }
    long line = 0;
    for (char *p = text; p && *p;) {
        char *eol = strchr(p, '\n');
        if (eol) *eol = 0;
        line++;
        size_t n = strlen(p);
        if (n && p[n - 1] == '\r') p[--n] = 0;
        if (n == 0 || p[0] == '#') goto next;
        /* FILE, RULE_ID, COUNT, and the note: the rest of the line */
        char *cols[4] = {0};
        int nc = 0;
        for (char *q = p; q && nc < 4; nc++) {
            cols[nc] = q;
            char *tab = nc < 3 ? strchr(q, '\t') : NULL;
            if (tab) *tab = 0;
            q = tab ? tab + 1 : NULL;
        }
        if (nc >= 2 && !strcmp(cols[0], "@kind")) {
            if (!strcmp(cols[1], "attack")) c->kind = 1;
            else if (!strcmp(cols[1], "benign")) c->kind = 0;
            else fail_line(t, "%s:%ld: @kind is attack or benign, not '%s'", path, line, cols[1]);
            goto next;
        }
        if (nc < 3) {
            fail_line(t, "%s:%ld: an expectation is FILE<TAB>RULE_ID<TAB>COUNT[<TAB>NOTE]", path, line);
            goto next;
        }
        int op = OP_EQ;
        const char *cnt = cols[2];
        if (!strncmp(cnt, ">=", 2)) op = OP_GE, cnt += 2;
        char *end;
        long k = strtol(cnt, &end, 10);
        if (!*cnt || *end || k < 0) {
            fail_line(t, "%s:%ld: COUNT must be a number or >=N, not '%s'", path, line, cols[2]);
            goto next;
        }
        c->rows = xrealloc(c->rows, (c->nrows + 1) * sizeof *c->rows);
        c->rows[c->nrows++] = (exp_row){.file = xstrdup(cols[0]), .rule = xstrdup(cols[1]), .op = op, .count = k,
                                        .note = xstrdup(cols[3] ? cols[3] : ""), .src = xstrdup(path),
                                        .line = line};
    next:
        p = eol ? eol + 1 : NULL;
    }
    free(text);
}

static void add_file(tcase *c, const char *name, const char *path, bool external) {
    c->files = xrealloc(c->files, (c->nfiles + 1) * sizeof *c->files);
    tfile *f = &c->files[c->nfiles++];
    memset(f, 0, sizeof *f);
    f->name = xstrdup(name);
    f->path = xstrdup(path);
    f->external = external;
}

/* inputs.txt: one path or wildcard pattern a line, relative to the case */
static void read_inputs(tcase *c, const char *path) {
    size_t len;
    sh_diag d;
    char *text = sh_read_file(path, &len, &d);
    if (!text) return;
    for (char *p = text; p && *p;) {
        char *eol = strchr(p, '\n');
        if (eol) *eol = 0;
        size_t n = strlen(p);
        while (n && (p[n - 1] == '\r' || p[n - 1] == ' ')) p[--n] = 0;
        if (n && p[0] != '#') {
            char *full = p[0] == '/' ? xstrdup(p) : join(c->dir, p);
            glob_t g;
            if (glob(full, 0, NULL, &g) == 0 && g.gl_pathc > 0) {
                add_file(c, p, full, true);
                /* a pattern: every match is read as part of this one input */
            } else {
                add_file(c, p, full, true);
                c->files[c->nfiles - 1].state = F_SKIP;
                c->files[c->nfiles - 1].msg = xstrdup("not present");
            }
            globfree(&g);
            free(full);
        }
        p = eol ? eol + 1 : NULL;
    }
    free(text);
}

static void load_case(tctx *t, const char *dir) {
    t->cases = xrealloc(t->cases, (t->ncases + 1) * sizeof *t->cases);
    tcase *c = &t->cases[t->ncases++];
    memset(c, 0, sizeof *c);
    c->dir = xstrdup(dir);
    const char *slash = strrchr(dir, '/');
    c->name = xstrdup(slash && slash[1] ? slash + 1 : dir);
    c->kind = -1;
    size_t n;
    char **l = list_dir(dir, &n);
    for (size_t i = 0; i < n; i++) {
        char *p = join(dir, l[i]);
        if (is_expect_file(l[i])) {
            read_expectations(t, c, p);
        } else if (!strcmp(l[i], "inputs.txt")) {
            read_inputs(c, p);
        } else if (!is_case_meta(l[i]) && is_file(p)) {
            add_file(c, l[i], p, false);
        }
        free(p);
    }
    free_list(l, n);
    /* without @kind: an attack case when some rule is expected to fire */
    c->attack = c->kind == 1;
    for (size_t i = 0; c->kind < 0 && i < c->nrows; i++)
        if (c->rows[i].count > 0) c->attack = true;
}

static void find_cases(tctx *t, const char *dir, int depth) {
    if (is_case_dir(dir)) {
        load_case(t, dir);
        return;
    }
    if (depth > 4) return;
    size_t n;
    char **l = list_dir(dir, &n);
    for (size_t i = 0; i < n; i++) {
        char *p = join(dir, l[i]);
        if (is_dir(p)) find_cases(t, p, depth + 1);
        free(p);
    }
    free_list(l, n);
}

/* ------------------------------------------------------------ running */

static shrike *load_engine(tctx *t, bool report, cli_rules_report *rep) {
    memset(rep, 0, sizeof *rep);
    if (!report) {
        rep->print_rejects = true;
        rep->out = t->devnull;
    }
    shrike *s = cli_load_rules(t->rules, t->nrules_paths, rep);
    return s;
}

typedef struct frun {
    cli_run run;              /* first member: cli_error's context */
    tctx *t;
    shrike *eng;
    tfile *f;
    size_t last;              /* rule index cache */
    bool unsupported;
    char firstmsg[600];
} frun;

static size_t rule_index(frun *r, const sh_rule *rule) {
    size_t n = r->t->nr;
    if (r->last < n && shrike_rule(r->eng, r->last) == rule) return r->last;
    for (size_t i = 0; i < n; i++)
        if (shrike_rule(r->eng, i) == rule) return r->last = i;
    return SIZE_MAX;
}

static void on_alert(void *ctx, const shrike_alert *a) {
    frun *r = ctx;
    size_t i = rule_index(r, a->rule);
    if (i != SIZE_MAX) r->f->fired[i]++;
}

static void on_excluded(void *ctx, const shrike_alert *a, const shrike_exclusions *x, size_t entry) {
    (void)x, (void)entry;
    frun *r = ctx;
    size_t i = rule_index(r, a->rule);
    if (i != SIZE_MAX) r->f->fired[i]++, r->f->excl[i]++;
}

static bool on_event(void *ctx, sh_event *e) {
    frun *r = ctx;
    shrike_feed(r->eng, e, on_alert, r);
    tfile *f = r->f;
    if (!f->external) {
        if (f->nev == f->capev) f->evs = xrealloc(f->evs, (f->capev = f->capev ? f->capev * 2 : 64) * sizeof *f->evs);
        sh_event_ref(e);
        f->evs[f->nev++] = e;
    }
    return true;
}

static void on_error(void *ctx, const sh_diag *d) {
    frun *r = ctx;
    if (strstr(d->msg, "not supported yet")) r->unsupported = true;
    if (!r->firstmsg[0]) sh_diag_format(d, r->firstmsg, sizeof r->firstmsg);
}

static void run_file(tctx *t, tfile *f) {
    f->fired = calloc(t->nr ? t->nr : 1, sizeof *f->fired);
    f->excl = calloc(t->nr ? t->nr : 1, sizeof *f->excl);
    if (!f->fired || !f->excl) abort();
    if (f->state == F_SKIP) return;
    frun r = {.t = t, .f = f};
    cli_run_init(&r.run, "test");
    cli_rules_report rep;
    r.eng = load_engine(t, false, &rep);
    if (!cli_load_exclusions(r.eng, "test", t->excl, t->nexcl, t->nrules_paths == 0, t->no_excl)) abort(); /* checked at start */
    shrike_on_excluded(r.eng, on_excluded, &r);
    sh_input_opts io = {.keep_raw = cli_has_spl(r.eng)};
    sh_input_sink sink = {.on_event = on_event, .on_error = on_error, .ctx = &r};
    if (f->external) {
        glob_t g;
        if (glob(f->path, 0, NULL, &g) == 0)
            for (size_t i = 0; i < g.gl_pathc; i++) sh_input_read(g.gl_pathv[i], &io, &sink, &r.run.st);
        globfree(&g);
    } else {
        sh_input_read(f->path, &io, &sink, &r.run.st);
    }
    shrike_finish(r.eng, on_alert, &r);
    t->suppressed += shrike_excluded(r.eng);
    if (r.run.st.inputs_failed && r.unsupported && !r.run.st.events) {
        f->state = F_SKIP;
        f->msg = xstrdup(r.firstmsg);
    } else if (r.run.st.inputs_failed || (r.run.st.rejected && !f->external)) {
        f->state = F_ERROR;
        char buf[800];
        snprintf(buf, sizeof buf, "%llu unreadable input(s), %llu rejected document(s): %s",
                 (unsigned long long)r.run.st.inputs_failed, (unsigned long long)r.run.st.rejected, r.firstmsg);
        f->msg = xstrdup(buf);
    }
    shrike_free(r.eng);
}

/* the rule index a row names, SIZE_MAX when no loaded rule has that id */
static size_t row_rule(tctx *t, const exp_row *row) {
    for (size_t i = 0; i < t->nr; i++) {
        const sh_rule *r = shrike_rule(t->ref, i);
        if (r->id && !strcmp(r->id, row->rule)) return i;
    }
    return SIZE_MAX;
}

static bool row_file(const exp_row *row, const char *name) {
    return !strcmp(row->file, name) || fnmatch(row->file, name, 0) == 0;
}

/* check one case's expectations; marks cells that failed */
static void check_case(tctx *t, tcase *c, uint8_t *bad /* [nfiles][nr] */) {
    c->checked = calloc(t->nr ? t->nr : 1, sizeof *c->checked);
    if (!c->checked) abort();
    for (size_t k = 0; k < c->nrows; k++) {
        exp_row *row = &c->rows[k];
        size_t ri = row_rule(t, row);
        if (ri == SIZE_MAX) {
            t->skipped_rows++;
            continue;
        }
        c->checked[ri] = true;
        bool any = false;
        for (size_t fi = 0; fi < c->nfiles; fi++) {
            tfile *f = &c->files[fi];
            if (!row_file(row, f->name)) continue;
            any = true;
            if (f->state != F_RUN) continue;
            t->checks++;
            uint64_t got = f->fired[ri];
            bool ok = row->op == OP_EQ ? got == (uint64_t)row->count : got >= (uint64_t)row->count;
            if (!ok) {
                bad[fi * t->nr + ri] = 1;
                fail_line(t, "%s/%s %s: expected %s%ld, got %llu (%s:%ld%s%s)", c->name, f->name, row->rule,
                          row->op == OP_GE ? ">=" : "", row->count, (unsigned long long)got, row->src, row->line,
                          row->note[0] ? ": " : "", row->note);
            }
        }
        if (!any) fail_line(t, "%s:%ld: no event file of case %s matches '%s'", row->src, row->line, c->name, row->file);
    }
    /* alerts on a file no row covers, for a rule the case checks: expected none */
    for (size_t fi = 0; fi < c->nfiles; fi++) {
        tfile *f = &c->files[fi];
        if (f->state != F_RUN) continue;
        for (size_t ri = 0; ri < t->nr; ri++) {
            bool covered = false;
            for (size_t k = 0; k < c->nrows && !covered; k++)
                covered = row_file(&c->rows[k], f->name) && row_rule(t, &c->rows[k]) == ri;
            if (covered) continue;
            if (c->checked[ri]) {
                t->checks++;
                if (f->fired[ri]) {
                    bad[fi * t->nr + ri] = 1;
                    fail_line(t, "%s/%s %s: expected 0 (no row for this file), got %llu", c->name, f->name,
                              shrike_rule(t->ref, ri)->id, (unsigned long long)f->fired[ri]);
                }
            } else if (f->fired[ri]) {
                t->unexpected_alerts += f->fired[ri];
                if (t->strict) {
                    bad[fi * t->nr + ri] = 1;
                    fail_line(t, "%s/%s %s: %llu alert(s) and the case has no expectation for the rule", c->name,
                              f->name, shrike_rule(t->ref, ri)->id, (unsigned long long)f->fired[ri]);
                }
            }
        }
    }
}

/* ------------------------------------------------------------ printing */

static void cell_text(const tfile *f, size_t ri, bool checked, bool bad, char *out, size_t n) {
    if (f->state == F_SKIP) {
        snprintf(out, n, "skip");
        return;
    }
    if (f->state == F_ERROR) {
        snprintf(out, n, "err");
        return;
    }
    uint64_t k = f->fired[ri], x = f->excl[ri];
    int at = k ? snprintf(out, n, "%llu", (unsigned long long)k) : snprintf(out, n, "-");
    if (x && at > 0 && (size_t)at < n) at += snprintf(out + at, n - (size_t)at, "~%llu", (unsigned long long)x);
    if (at > 0 && (size_t)at < n && (bad || (!checked && k))) snprintf(out + at, n - (size_t)at, "%s", bad ? "!" : "?");
}

static void explain(tctx *t, tcase *c, size_t ri, tfile *only, sh_buf *o) {
    size_t n = 0;
    for (size_t fi = 0; fi < c->nfiles; fi++)
        if (!only || &c->files[fi] == only) n += c->files[fi].nev;
    sh_event **all = xrealloc(NULL, (n ? n : 1) * sizeof *all);
    size_t k = 0;
    for (size_t fi = 0; fi < c->nfiles; fi++)
        if (!only || &c->files[fi] == only)
            for (size_t i = 0; i < c->files[fi].nev; i++) all[k++] = c->files[fi].evs[i];
    shrike_explain_miss(t->ref, ri, all, n, o);
    free(all);
}

static void print_matrix(tctx *t, uint8_t **bad) {
    size_t w0 = 12;
    for (size_t ci = 0; ci < t->ncases; ci++) {
        size_t l = strlen(t->cases[ci].name) + 10;
        if (l > w0) w0 = l;
        for (size_t fi = 0; fi < t->cases[ci].nfiles; fi++) {
            l = strlen(t->cases[ci].files[fi].name) + 2;
            if (l > w0) w0 = l;
        }
    }
    if (w0 > 64) w0 = 64;
    printf("rules\n");
    for (size_t ri = 0; ri < t->nr; ri++) {
        const sh_rule *r = shrike_rule(t->ref, ri);
        const char *lang = r->lang == SH_LANG_EQL ? "eql" : r->lang == SH_LANG_SIGMA ? "sigma" : "spl";
        printf("  R%-3zu %-38s %-5s %s\n", ri + 1, r->id && *r->id ? r->id : r->path, lang, r->name ? r->name : "");
    }
    printf("\n%-*s", (int)w0, "case / file");
    for (size_t ri = 0; ri < t->nr; ri++) {
        char h[32];
        snprintf(h, sizeof h, "R%zu", ri + 1);
        printf(" %-6s", h);
    }
    printf("\n");
    for (size_t ci = 0; ci < t->ncases; ci++) {
        tcase *c = &t->cases[ci];
        printf("%s (%s)\n", c->name, c->attack ? "attack" : "benign");
        for (size_t fi = 0; fi < c->nfiles; fi++) {
            tfile *f = &c->files[fi];
            printf("  %-*s", (int)w0 - 2, f->name);
            for (size_t ri = 0; ri < t->nr; ri++) {
                char cell[32];
                cell_text(f, ri, c->checked[ri], bad[ci][fi * t->nr + ri], cell, sizeof cell);
                printf(" %-6s", cell);
            }
            printf("\n");
        }
    }
    printf("\n  N alerts raised   - none   ~K of them suppressed by exclusions   ! expectation failed\n"
           "  ? no expectation for the rule in this case   skip reader not available   err input error\n");
}

static void print_notes(tctx *t) {
    bool head = false;
    for (size_t ci = 0; ci < t->ncases; ci++) {
        tcase *c = &t->cases[ci];
        for (size_t fi = 0; fi < c->nfiles; fi++) {
            tfile *f = &c->files[fi];
            if (f->state == F_RUN) continue;
            if (!head) printf("\nnot run\n"), head = true;
            printf("  %s/%s: %s%s\n", c->name, f->name, f->state == F_SKIP ? "skipped: " : "", f->msg);
        }
    }
}

/* does a row of the case expect exactly 0 alerts of rule ri on f? */
static bool expects_zero(tctx *t, const tcase *c, const tfile *f, size_t ri) {
    for (size_t k = 0; k < c->nrows; k++)
        if (row_file(&c->rows[k], f->name) && row_rule(t, &c->rows[k]) == ri)
            return c->rows[k].op == OP_EQ && c->rows[k].count == 0;
    return false;
}

/* the explanations of one case's misses, into c->misses; the case's events
 * are released afterwards (cases are explained as they are run) */
static void explain_case(tctx *t, tcase *c) {
    sh_buf o = {0};
    for (size_t ri = 0; c->attack && ri < t->nr; ri++) {
        size_t run = 0, fired_files = 0;
        for (size_t fi = 0; fi < c->nfiles; fi++) {
            if (c->files[fi].state != F_RUN || c->files[fi].external) continue;
            run++;
            if (c->files[fi].fired[ri]) fired_files++;
        }
        if (!run || fired_files == run) continue;
        if (fired_files == 0) {
            sh_buf_clear(&o);
            explain(t, c, ri, NULL, &o);
            sh_buf_printf(&c->misses, "  %s R%zu: %s\n", c->name, ri + 1, sh_buf_cstr(&o));
            continue;
        }
        /* the rule fired on other renderings: explain this one unless the case
         * expects nothing of the rule here (a documented difference) */
        for (size_t fi = 0; fi < c->nfiles; fi++) {
            tfile *f = &c->files[fi];
            if (f->state != F_RUN || f->external || f->fired[ri] || expects_zero(t, c, f, ri)) continue;
            sh_buf_clear(&o);
            explain(t, c, ri, f, &o);
            sh_buf_printf(&c->misses, "  %s/%s R%zu: %s\n", c->name, f->name, ri + 1, sh_buf_cstr(&o));
        }
    }
    sh_buf_free(&o);
    for (size_t fi = 0; fi < c->nfiles; fi++) {
        tfile *f = &c->files[fi];
        for (size_t i = 0; i < f->nev; i++) sh_event_unref(f->evs[i]);
        free(f->evs);
        f->evs = NULL;
        f->nev = f->capev = 0;
    }
}

static void print_misses(tctx *t) {
    bool head = false;
    for (size_t ci = 0; ci < t->ncases; ci++) {
        tcase *c = &t->cases[ci];
        if (!c->misses.len) continue;
        if (!head) printf("\nmisses on attack cases (the first condition no event met)\n"), head = true;
        fwrite(c->misses.data, 1, c->misses.len, stdout);
    }
}

static void free_cases(tctx *t) {
    for (size_t ci = 0; ci < t->ncases; ci++) {
        tcase *c = &t->cases[ci];
        for (size_t k = 0; k < c->nrows; k++) {
            free(c->rows[k].file);
            free(c->rows[k].rule);
            free(c->rows[k].note);
            free(c->rows[k].src);
        }
        free(c->rows);
        for (size_t fi = 0; fi < c->nfiles; fi++) {
            tfile *f = &c->files[fi];
            for (size_t i = 0; i < f->nev; i++) sh_event_unref(f->evs[i]);
            free(f->evs);
            free(f->fired);
            free(f->excl);
            free(f->name);
            free(f->path);
            free(f->msg);
        }
        free(c->files);
        free(c->checked);
        sh_buf_free(&c->misses);
        free(c->dir);
        free(c->name);
    }
    free(t->cases);
}

int cmd_test(int argc, char **argv) {
    static const struct option opts[] = {
        {"rules", required_argument, 0, 'r'}, {"exclusions", required_argument, 0, 'X'},
        {"no-exclusions", no_argument, 0, 'N'}, {"strict", no_argument, 0, 'S'},
        {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, CLI_FIELD_OPTIONS, {0, 0, 0, 0}};
    tctx t = {0};
    t.rules = calloc((size_t)argc + 1, sizeof *t.rules);
    t.excl = calloc((size_t)argc + 1, sizeof *t.excl);
    if (!t.rules || !t.excl) abort();
    int ch, rc = EXIT_OK;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "r:qh", opts, NULL)) != -1) {
        switch (ch) {
        case 'r': t.rules[t.nrules_paths++] = optarg; break;
        case 'X': t.excl[t.nexcl++] = optarg; break;
        case 'N': t.no_excl = true; break;
        case 'S': t.strict = true; break;
        case 'q': t.quiet = true; break;
        case 'h': fputs(test_help, stdout); rc = -1; break;
        case CLI_OPT_FIELDMAP:
        case CLI_OPT_SPLUNK_INDEX:
        case CLI_OPT_SPLUNK_ST:
            if (!cli_field_option("test", ch, optarg)) rc = EXIT_USAGE;
            break;
        default: cli_usage_error("test", "unknown option"); rc = EXIT_USAGE; break;
        }
        if (rc) break;
    }
    if (rc) goto out_early;
    char defcases[PATH_MAX + 64];
    const char *one[1];
    const char **cases = (const char **)argv + optind;
    size_t ncases = (size_t)(argc - optind);
    if (ncases == 0) {
        snprintf(defcases, sizeof defcases, "%s/../tests/scenarios", cli_default_rules());
        if (!is_dir(defcases)) {
            cli_usage_error("test", "no CASES given and no bundled scenarios at %s", defcases);
            rc = EXIT_USAGE;
            goto out_early;
        }
        one[0] = defcases;
        cases = one;
        ncases = 1;
    }
    for (size_t i = 0; i < ncases; i++)
        if (!is_dir(cases[i])) {
            cli_usage_error("test", "not a folder: %s", cases[i]);
            rc = EXIT_USAGE;
            goto out_early;
        }
    t.devnull = fopen("/dev/null", "w");
    if (!t.devnull) abort();
    cli_rules_report rep;
    t.ref = load_engine(&t, true, &rep);
    t.nr = shrike_rule_count(t.ref);
    if (rep.loaded == 0) {
        fprintf(stderr, "shrike test: no rule could be loaded (%zu rejected)\n", rep.rejected);
        rc = EXIT_RULES;
        goto out;
    }
    if (!cli_load_exclusions(t.ref, "test", t.excl, t.nexcl, t.nrules_paths == 0, t.no_excl)) {
        rc = EXIT_USAGE;
        goto out;
    }
    for (size_t i = 0; i < ncases; i++) {
        size_t n = strlen(cases[i]);
        char *dir = xstrdup(cases[i]);
        while (n > 1 && dir[n - 1] == '/') dir[--n] = 0;
        find_cases(&t, dir, 0);
        free(dir);
    }
    if (t.ncases == 0) {
        fprintf(stderr, "shrike test: no test case found (a case is a folder with an expected*.tsv)\n");
        rc = EXIT_USAGE;
        goto out;
    }
    uint8_t **bad = calloc(t.ncases, sizeof *bad);
    if (!bad) abort();
    size_t nfiles = 0, nskipped = 0;
    for (size_t ci = 0; ci < t.ncases; ci++) {
        tcase *c = &t.cases[ci];
        for (size_t fi = 0; fi < c->nfiles; fi++) {
            run_file(&t, &c->files[fi]);
            nfiles++;
            if (c->files[fi].state == F_SKIP) nskipped++;
            if (c->files[fi].state == F_ERROR) {
                t.errors++;
                fail_line(&t, "%s/%s: %s", c->name, c->files[fi].name, c->files[fi].msg);
            }
        }
        bad[ci] = calloc((c->nfiles ? c->nfiles : 1) * (t.nr ? t.nr : 1), 1);
        if (!bad[ci]) abort();
        check_case(&t, c, bad[ci]);
        explain_case(&t, c);
    }
    if (!t.quiet) {
        print_matrix(&t, bad);
        print_notes(&t);
        print_misses(&t);
    }
    if (t.fails.len) {
        printf("\n");
        fwrite(t.fails.data, 1, t.fails.len, stdout);
    }
    printf("\nshrike test: %zu case%s, %zu event file%s (%zu skipped), %zu rule%s; %llu check%s, %llu failed",
           t.ncases, t.ncases == 1 ? "" : "s", nfiles, nfiles == 1 ? "" : "s", nskipped, t.nr, t.nr == 1 ? "" : "s",
           (unsigned long long)t.checks, t.checks == 1 ? "" : "s", (unsigned long long)t.failed);
    if (shrike_exclusion_sets(t.ref)) printf("; %llu alert%s suppressed by exclusions", (unsigned long long)t.suppressed,
                                             t.suppressed == 1 ? "" : "s");
    if (t.unexpected_alerts)
        printf("; %llu alert%s from rules without expectations", (unsigned long long)t.unexpected_alerts,
               t.unexpected_alerts == 1 ? "" : "s");
    if (t.skipped_rows)
        printf("; %llu expectation%s name rules not loaded", (unsigned long long)t.skipped_rows,
               t.skipped_rows == 1 ? "" : "s");
    printf("\n");
    fflush(stdout);
    for (size_t ci = 0; ci < t.ncases; ci++) free(bad[ci]);
    free(bad);
    rc = t.failed ? EXIT_FINDINGS : EXIT_OK;
out:
    free_cases(&t);
    shrike_free(t.ref);
    sh_buf_free(&t.fails);
    if (t.devnull) fclose(t.devnull);
out_early:
    free(t.rules);
    free(t.excl);
    return rc < 0 ? EXIT_OK : rc;
}
