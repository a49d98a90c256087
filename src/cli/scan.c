/* scan.c: `shrike scan` runs rules (the bundled pack when no -r is given)
 * over inputs and writes alerts as JSONL, CSV or a table. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "output/output.h"

static const char scan_help[] =
    "usage: shrike scan [-r RULES]... [-f jsonl|csv|table] [-o FILE] [-q] [-j N]\n"
    "                   [--exclusions FILE]... [--no-exclusions] [--fieldmap FILE]\n"
    "                   [--splunk-index NAME] [--splunk-sourcetype auto|xml|classic] INPUT...\n"
    "\n"
    "Run detection rules over inputs and print alerts.\n"
    "\n"
    "  -r, --rules PATH    rule file or folder (repeatable); default: the bundled pack\n"
    "  -f, --format FMT    jsonl (default when output is not a terminal), csv, or table\n"
    "                      (default on a terminal)\n"
    "  -o, --output FILE   write alerts to FILE instead of standard output\n"
    "  -q, --quiet         no summary on standard error\n"
    CLI_THREADS_HELP
    "  --exclusions FILE   suppress the alerts FILE's entries match (repeatable; see\n"
    "                      docs/tuning.md); default: the bundled pack's exclusions.toml\n"
    "                      when no -r is given. The summary counts suppressed alerts.\n"
    "  --no-exclusions     apply no exclusion file, not even the pack's own\n"
    CLI_FIELD_HELP
    "  -h, --help          this help\n"
    "\n"
    "INPUT is a file, a folder (read recursively) or - for standard input. The format\n"
    "is detected from the content: NDJSON, a JSON array, pretty-printed JSON; .gz is\n"
    "read transparently. Rejected documents are reported with file and line and the\n"
    "run goes on; the summary on standard error counts them.\n"
    "\n"
    "Exit status: 0 done, 2 usage error, 3 no rule could be loaded, 4 an input could\n"
    "not be read at all, 5 the output could not be written.\n";

typedef struct scan_ctx {
    cli_run run;
    shrike *eng;
    sh_outfmt fmt;
    FILE *out;
    sh_buf buf;
} scan_ctx;

static void flush_buf(scan_ctx *c, bool force) {
    if (c->buf.len && (force || c->buf.len > 1 << 16)) {
        fwrite(c->buf.data, 1, c->buf.len, c->out);
        sh_buf_clear(&c->buf);
    }
}

static void on_alert(void *ctx, const shrike_alert *a) {
    scan_ctx *c = ctx;
    c->run.alerts++;
    if (c->fmt == SH_OUT_JSONL) sh_alert_jsonl(a, &c->buf);
    else if (c->fmt == SH_OUT_CSV) sh_alert_csv(a, &c->buf);
    else sh_alert_table(a, &c->buf);
    flush_buf(c, false);
}

/* on an EVTX reading thread: which rules can concern e */
static void ws_free(void *w) { shrike_ws_free(w); }
static void prepare(void *ctx, sh_event *e, sh_input_scratch *x) {
    scan_ctx *c = ctx;
    if (!x->user) {
        x->user = shrike_ws_new(c->eng);
        x->user_free = ws_free;
    }
    shrike_prepare(c->eng, x->user, e);
}

static bool on_event(void *ctx, sh_event *e) {
    scan_ctx *c = ctx;
    shrike_feed(c->eng, e, on_alert, c);
    return true;
}

int cmd_scan(int argc, char **argv) {
    static const struct option opts[] = {
        {"rules", required_argument, 0, 'r'}, {"format", required_argument, 0, 'f'},
        {"output", required_argument, 0, 'o'}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'}, {"exclusions", required_argument, 0, 'X'},
        {"no-exclusions", no_argument, 0, 'N'}, {"threads", required_argument, 0, 'j'},
        CLI_FIELD_OPTIONS, {0, 0, 0, 0}};
    int threads = cli_default_threads();
    const char **rules = calloc((size_t)argc + 1, sizeof *rules);
    size_t nrules = 0;
    const char **excl = calloc((size_t)argc + 1, sizeof *excl);
    size_t nexcl = 0;
    bool no_excl = false;
    const char *fmt = NULL, *outpath = NULL;
    bool quiet = false;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "r:f:o:qhj:", opts, NULL)) != -1) {
        switch (ch) {
        case 'j':
            if (!cli_threads_option("scan", optarg, &threads)) { free(rules); free(excl); return EXIT_USAGE; }
            break;
        case 'r': rules[nrules++] = optarg; break;
        case 'f': fmt = optarg; break;
        case 'o': outpath = optarg; break;
        case 'q': quiet = true; break;
        case 'X': excl[nexcl++] = optarg; break;
        case 'N': no_excl = true; break;
        case CLI_OPT_FIELDMAP:
        case CLI_OPT_SPLUNK_INDEX:
        case CLI_OPT_SPLUNK_ST:
            if (!cli_field_option("scan", ch, optarg)) { free(rules); free(excl); return EXIT_USAGE; }
            break;
        case 'h': fputs(scan_help, stdout); free(rules); free(excl); return EXIT_OK;
        default: free(rules); free(excl); cli_usage_error("scan", "unknown option"); return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        free(rules);
        free(excl);
        cli_usage_error("scan", "no INPUT given (use - for standard input)");
        return EXIT_USAGE;
    }
    scan_ctx c = {0};
    cli_run_init(&c.run, "scan");
    c.run.quiet = quiet;
    c.out = stdout;
    if (outpath && !(c.out = fopen(outpath, "w"))) {
        fprintf(stderr, "shrike scan: cannot write %s: %m\n", outpath);
        free(rules);
        free(excl);
        return EXIT_USAGE;
    }
    if (!fmt) c.fmt = isatty(fileno(c.out)) ? SH_OUT_TABLE : SH_OUT_JSONL;
    else if (!strcmp(fmt, "jsonl") || !strcmp(fmt, "json")) c.fmt = SH_OUT_JSONL;
    else if (!strcmp(fmt, "csv")) c.fmt = SH_OUT_CSV;
    else if (!strcmp(fmt, "table")) c.fmt = SH_OUT_TABLE;
    else {
        cli_usage_error("scan", "unknown format '%s' (jsonl, csv or table)", fmt);
        free(rules);
        free(excl);
        if (outpath) fclose(c.out);
        return EXIT_USAGE;
    }
    cli_rules_report rep = {.print_rejects = false};
    c.eng = cli_load_rules(rules, nrules, &rep);
    free(rules);
    bool excl_ok = cli_load_exclusions(c.eng, "scan", excl, nexcl, nrules == 0, no_excl);
    free(excl);
    if (!excl_ok) {
        shrike_free(c.eng);
        if (outpath) fclose(c.out);
        return EXIT_USAGE;
    }
    if (rep.loaded == 0) {
        fprintf(stderr, "shrike scan: no rule could be loaded (%zu rejected)\n", rep.rejected);
        shrike_free(c.eng);
        if (outpath) fclose(c.out);
        return EXIT_RULES;
    }
    if (c.fmt == SH_OUT_CSV) sh_alert_csv_header(&c.buf);
    else if (c.fmt == SH_OUT_TABLE) sh_alert_table_header(&c.buf);
    sh_input_opts io = {.keep_raw = c.fmt == SH_OUT_JSONL || cli_has_spl(c.eng), .threads = threads};
    sh_input_sink sink = {.on_event = on_event, .on_error = cli_error, .ctx = &c.run, .prepare = prepare};
    shrike_prepare_begin(c.eng);
    /* on_event needs the whole scan context; cli_error the run (first member) */
    sink.ctx = &c;
    sh_input_read_all((const char *const *)argv + optind, (size_t)(argc - optind), &io, &sink, &c.run.st);
    shrike_finish(c.eng, on_alert, &c);
    flush_buf(&c, true);
    sh_buf_free(&c.buf);
    bool wrote = cli_close_output(c.out, "scan", outpath ? outpath : "standard output");
    char what[128];
    snprintf(what, sizeof what, "alert%s from %zu rule%s", c.run.alerts == 1 ? "" : "s", rep.loaded,
             rep.loaded == 1 ? "" : "s");
    if (rep.rejected) snprintf(what + strlen(what), sizeof what - strlen(what), " (%zu rejected)", rep.rejected);
    cli_exclusions_note(c.eng, what, sizeof what);
    cli_summary(&c.run, what);
    shrike_free(c.eng);
    if (!wrote) return EXIT_OUTPUT;
    return c.run.st.inputs_failed ? EXIT_INPUT : EXIT_OK;
}
