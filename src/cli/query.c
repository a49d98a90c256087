/* query.c: `shrike query` runs one ad-hoc query and prints the matching
 * events as JSONL, each sequence's or sample's events in order and tagged
 * with "_sequence": N. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "input/json.h"

static const char query_help[] =
    "usage: shrike query [-l eql|sigma|spl] [options] QUERY INPUT...\n"
    "\n"
    "Run one query and print the matching events, one JSON object a line: for JSON\n"
    "input the event's own document, otherwise the event as `shrike dump` prints it.\n"
    "For sequence and sample queries every line also carries \"_sequence\": N (1-based),\n"
    "the events of one sequence consecutive and in order.\n"
    "\n"
    "  -l, --language L    eql (default), sigma (QUERY is a rule's YAML text), spl\n"
    "                      (SPL rows are printed as the search computes them)\n"
    "  -q, --quiet         no summary on standard error\n"
    CLI_THREADS_HELP
    CLI_FIELD_HELP
    "  -h, --help          this help\n"
    "\n"
    "Exit status: 0 done, 2 usage error, 3 the query does not compile, 4 an input\n"
    "could not be read at all, 5 the output could not be written.\n";

typedef struct query_ctx {
    cli_run run;              /* first: cli_error takes the context as a cli_run */
    shrike *eng;
    bool tagged;
    uint64_t seq;
    sh_buf buf;
    bool done;
} query_ctx;

static void put_event(query_ctx *c, sh_event *e, uint64_t seq) {
    size_t start = c->buf.len;
    sh_event_to_json(e, &c->buf, true);
    if (seq && c->buf.len > start + 1 && c->buf.data[c->buf.len - 1] == '}') {
        c->buf.len--;
        bool empty = c->buf.data[c->buf.len - 1] == '{';
        sh_buf_printf(&c->buf, "%s\"_sequence\":%llu}", empty ? "" : ",", (unsigned long long)seq);
    }
    sh_buf_putc(&c->buf, '\n');
}

static void on_match(void *ctx, const shrike_alert *a) {
    query_ctx *c = ctx;
    const sh_match *m = a->match;
    c->run.alerts++;
    uint64_t seq = c->tagged ? ++c->seq : 0;
    if (m->row) put_event(c, m->row, 0);
    else
        for (uint32_t i = 0; i < m->nevents; i++)
            if (m->events[i]) put_event(c, m->events[i], seq);
    if (c->buf.len > 1 << 16) {
        fwrite(c->buf.data, 1, c->buf.len, stdout);
        sh_buf_clear(&c->buf);
    }
}

static bool on_event(void *ctx, sh_event *e) {
    query_ctx *c = ctx;
    shrike_feed(c->eng, e, on_match, c);
    if (shrike_done(c->eng)) {
        c->done = true;
        return false;
    }
    return true;
}

int cmd_query(int argc, char **argv) {
    static const struct option opts[] = {{"language", required_argument, 0, 'l'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {"threads", required_argument, 0, 'j'},
                                         CLI_FIELD_OPTIONS,
                                         {0, 0, 0, 0}};
    const char *lang = "eql";
    bool quiet = false;
    int threads = cli_default_threads();
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "+l:qhj:", opts, NULL)) != -1) {
        switch (ch) {
        case 'l': lang = optarg; break;
        case 'j': if (!cli_threads_option("query", optarg, &threads)) return EXIT_USAGE; break;
        case 'q': quiet = true; break;
        case 'h': fputs(query_help, stdout); return EXIT_OK;
        case CLI_OPT_FIELDMAP:
        case CLI_OPT_SPLUNK_INDEX:
        case CLI_OPT_SPLUNK_ST:
            if (!cli_field_option("query", ch, optarg)) return EXIT_USAGE;
            break;
        default: cli_usage_error("query", "unknown option"); return EXIT_USAGE;
        }
    }
    sh_lang l = !strcmp(lang, "eql") ? SH_LANG_EQL : !strcmp(lang, "sigma") ? SH_LANG_SIGMA : !strcmp(lang, "spl") ? SH_LANG_SPL : 0;
    if (!l) {
        cli_usage_error("query", "unknown language '%s' (eql, sigma, spl)", lang);
        return EXIT_USAGE;
    }
    if (argc - optind < 2) {
        cli_usage_error("query", "need a QUERY and at least one INPUT");
        return EXIT_USAGE;
    }
    const char *text = argv[optind];
    sh_diag d;
    sh_diag_clear(&d);
    query_ctx c = {0};
    cli_run_init(&c.run, "query");
    c.run.quiet = quiet;
    sh_rule *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->path = strdup("query");
    r->query = strdup(text);
    r->id = strdup("");
    r->name = strdup("query");
    if (!r->path || !r->query || !r->id || !r->name) abort();
    r->lang = l;
    r->risk_score = -1;
    r->query_line = 1;
    c.eng = shrike_new();
    if (!shrike_add_rule(c.eng, r, &d)) {
        snprintf(d.file, sizeof d.file, "query");
        char msg[1024];
        sh_diag_format(&d, msg, sizeof msg);
        fprintf(stderr, "shrike query: %s\n", msg);
        sh_rule_free(r);
        shrike_free(c.eng);
        return EXIT_RULES;
    }
    for (const char *const *w = shrike_rule_warnings(c.eng, 0); w && *w; w++)
        fprintf(stderr, "shrike query: warning: %s\n", *w);
    c.tagged = shrike_rule_shape(c.eng, 0) == SH_SHAPE_GROUP;
    sh_input_opts io = {.keep_raw = true, .threads = threads};
    sh_input_sink sink = {.on_event = on_event, .on_error = cli_error, .ctx = &c};
    sh_input_read_all((const char *const *)argv + optind + 1, (size_t)(argc - optind - 1), &io, &sink, &c.run.st);
    shrike_finish(c.eng, on_match, &c);
    fwrite(c.buf.data ? c.buf.data : "", 1, c.buf.len, stdout);
    bool wrote = cli_close_output(stdout, "query", "standard output");
    sh_buf_free(&c.buf);
    shrike_free(c.eng);
    cli_summary(&c.run, c.tagged ? "sequences" : "matches");
    if (!wrote) return EXIT_OUTPUT;
    return c.run.st.inputs_failed ? EXIT_INPUT : EXIT_OK;
}
