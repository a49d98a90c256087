/* common.c: run context, error reporting, summary and rule loading shared by
 * the subcommands. */
#include "cli/cli.h"
#include "event/fieldmap.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_PRINTED_ERRORS 1000

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_run_init(cli_run *r, const char *cmd) {
    memset(r, 0, sizeof *r);
    r->cmd = cmd;
    r->t0 = cli_now();
}

bool cli_close_output(FILE *f, const char *cmd, const char *name) {
    bool bad = fflush(f) != 0 || ferror(f);
    if (f != stdout && fclose(f) != 0) bad = true;
    if (bad) fprintf(stderr, "shrike %s: cannot write %s: %s\n", cmd, name, strerror(errno));
    return !bad;
}

void cli_error(void *ctx, const sh_diag *d) {
    cli_run *r = ctx;
    if (d->line <= 0) {
        /* problems with a whole input are few and always printed */
        char msg[1024];
        sh_diag_format(d, msg, sizeof msg);
        fprintf(stderr, "shrike: %s\n", msg);
        return;
    }
    if (r->errors_printed++ == MAX_PRINTED_ERRORS) {
        fprintf(stderr, "shrike: further errors are not printed (counted in the summary)\n");
        return;
    }
    if (r->errors_printed > MAX_PRINTED_ERRORS) return;
    char msg[1024];
    sh_diag_format(d, msg, sizeof msg);
    fprintf(stderr, "shrike: %s\n", msg);
}

void cli_summary(cli_run *r, const char *what) {
    if (r->quiet) return;
    double el = cli_now() - r->t0;
    double eps = el > 0 ? (double)r->st.events / el : 0;
    fprintf(stderr,
            "shrike %s: %llu input%s (%llu unreadable), %llu events read, %llu rejected, %llu %s, "
            "%.3f s, %.0f events/s, %.1f MB/s\n",
            r->cmd, (unsigned long long)r->st.inputs, r->st.inputs == 1 ? "" : "s",
            (unsigned long long)r->st.inputs_failed, (unsigned long long)r->st.events,
            (unsigned long long)r->st.rejected, (unsigned long long)r->alerts, what, el, eps,
            el > 0 ? (double)r->st.bytes / el / 1e6 : 0.0);
}

void cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "shrike %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'shrike %s --help'.\n", cmd);
    va_end(ap);
}

static bool is_dir(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* The bundled pack: $SHRIKE_RULES, else rules/ beside the binary's build
 * folder (BIN/../rules), else the installed share folder, else ./rules. */
const char *cli_default_rules(void) {
    static char path[PATH_MAX + 64];
    const char *env = getenv("SHRIKE_RULES");
    if (env && *env) return env;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(path, sizeof path, "%s/../rules", exe);
            if (is_dir(path)) return path;
            snprintf(path, sizeof path, "%s/../share/shrike/rules", exe);
            if (is_dir(path)) return path;
        }
    }
    return "rules";
}

typedef struct rej_ctx {
    cli_rules_report *rep;
} rej_ctx;

static void print_reject(cli_rules_report *rep, const sh_diag *d) {
    rep->rejected++;
    if (!rep->print_rejects) {
        char msg[1024];
        sh_diag_format(d, msg, sizeof msg);
        fprintf(stderr, "shrike: rule rejected: %s\n", msg);
        return;
    }
    /* PATH[:LINE]: reason */
    if (d->line > 0) fprintf(rep->out, "%s:%ld: %s\n", d->file, d->line, d->msg);
    else fprintf(rep->out, "%s: %s\n", d->file, d->msg);
}

static void on_reject(void *ctx, const sh_diag *d) {
    rej_ctx *c = ctx;
    print_reject(c->rep, d);
}

shrike *cli_load_rules(const char **paths, size_t npaths, cli_rules_report *rep) {
    shrike *s = shrike_new();
    const char *def = cli_default_rules();
    if (!rep->out) rep->out = stdout;
    if (npaths == 0) {
        paths = &def;
        npaths = 1;
    }
    rej_ctx ctx = {.rep = rep};
    sh_ruleset rs = {0};
    for (size_t p = 0; p < npaths; p++) sh_rules_load(paths[p], &rs, on_reject, &ctx);
    /* pass order: rules that name other rules (Sigma correlations and
     * filters) come after every rule they may name */
    for (int pass = 0; pass <= 1; pass++) {
        for (size_t i = 0; i < rs.n; i++) {
            sh_diag d;
            sh_rule *r = rs.rules[i];
            if (!r || (pass == 0) != (r->pass <= 0)) continue;
            if (shrike_add_rule(s, r, &d)) {
                rep->loaded++;
                rs.rules[i] = NULL;
                const char *const *w = shrike_rule_warnings(s, shrike_rule_count(s) - 1);
                for (; rep->print_warnings && w && *w; w++)
                    fprintf(rep->out, "%s:%ld: warning: %s\n", r->path, r->line, *w);
            } else {
                print_reject(rep, &d);
            }
        }
    }
    sh_ruleset_free(&rs);
    return s;
}

bool cli_load_exclusions(shrike *s, const char *cmd, const char **paths, size_t n, bool default_pack, bool none) {
    char def[PATH_MAX + 32];
    const char *one[1];
    if (none) return true;
    if (n == 0 && default_pack) {
        snprintf(def, sizeof def, "%s/exclusions.toml", cli_default_rules());
        struct stat sb;
        if (stat(def, &sb) != 0) return true;
        one[0] = def;
        paths = one;
        n = 1;
    }
    for (size_t i = 0; i < n; i++) {
        sh_diag d;
        shrike_exclusions *x = shrike_exclusions_load(paths[i], &d);
        if (!x) {
            char msg[1024];
            sh_diag_format(&d, msg, sizeof msg);
            fprintf(stderr, "shrike %s: %s\n", cmd, msg);
            return false;
        }
        shrike_add_exclusions(s, x);
    }
    return true;
}

void cli_exclusions_note(const shrike *s, char *what, size_t size) {
    if (!shrike_exclusion_sets(s)) return;
    size_t at = strlen(what);
    uint64_t k = shrike_excluded(s);
    snprintf(what + at, size > at ? size - at : 0, " (%llu suppressed by exclusions)", (unsigned long long)k);
}

bool cli_field_option(const char *cmd, int ch, const char *arg) {
    sh_diag d;
    sh_diag_clear(&d);
    sh_fieldmap *m = sh_fieldmap_default_mut();
    if (ch == CLI_OPT_FIELDMAP) {
        if (sh_fieldmap_load_file(m, arg, &d) == 0) return true;
        char msg[1024];
        sh_diag_format(&d, msg, sizeof msg);
        fprintf(stderr, "shrike %s: %s\n", cmd, msg);
        return false;
    }
    if (ch == CLI_OPT_SPLUNK_INDEX) {
        if (sh_fieldmap_set_splunk(m, arg, SH_SPLUNK_ST_AUTO, &d) == 0) return true;
        cli_usage_error(cmd, "--splunk-index: %s", d.msg);
        return false;
    }
    sh_splunk_st st;
    if (!strcmp(arg, "auto")) st = SH_SPLUNK_ST_AUTO;
    else if (!strcmp(arg, "xml")) st = SH_SPLUNK_ST_XML;
    else if (!strcmp(arg, "classic")) st = SH_SPLUNK_ST_CLASSIC;
    else {
        cli_usage_error(cmd, "--splunk-sourcetype must be auto, xml or classic, not '%s'", arg);
        return false;
    }
    if (st == SH_SPLUNK_ST_AUTO) return true;
    return sh_fieldmap_set_splunk(m, NULL, st, &d) == 0;
}

bool cli_has_spl(const shrike *s) {
    for (size_t i = 0; i < shrike_rule_count(s); i++)
        if (shrike_rule(s, i)->lang == SH_LANG_SPL) return true;
    return false;
}

int cli_default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 8 ? 8 : (int)n;
}

bool cli_threads_option(const char *cmd, const char *arg, int *out) {
    char *end;
    errno = 0;
    long n = strtol(arg, &end, 10);
    if (errno || end == arg || *end || n < 1 || n > CLI_MAX_THREADS) {
        cli_usage_error(cmd, "--threads must be a number from 1 to %d, not '%s'", CLI_MAX_THREADS, arg);
        return false;
    }
    *out = (int)n;
    return true;
}
