/* dump.c: `shrike dump` prints events as shrike sees them, one JSON object a
 * line: nested JSON flattened to dotted names, Windows renderings under
 * their System and EventData names. A converter and a debugging aid. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char dump_help[] =
    "usage: shrike dump [-q] [-j N] INPUT...\n"
    "\n"
    "Print every event as shrike sees it, one JSON object a line: dotted field names,\n"
    "arrays for multi-valued fields; Windows events with their System fields (EventID,\n"
    "Channel, Computer, EventRecordID, TimeCreated, Provider_Name, ...) and EventData\n"
    "fields under their own names.\n"
    "\n"
    "  -q, --quiet         no summary on standard error\n"
    CLI_THREADS_HELP
    "  -h, --help          this help\n"
    "\n"
    "Exit status: 0 done, 2 usage error, 4 an input could not be read at all, 5 the\n"
    "output could not be written.\n";

typedef struct dump_ctx {
    cli_run run;
    sh_buf buf;
} dump_ctx;

/* on an EVTX reading thread: the line, made while the next events are read */
static void prepare(void *ctx, sh_event *e, sh_input_scratch *x) {
    (void)ctx;
    sh_buf *b = &x->buf;
    sh_buf_clear(b);
    sh_event_to_json(e, b, false);
    sh_buf_putc(b, '\n');
    char *t = sh_arena_alloc(&e->arena, b->len);
    memcpy(t, b->data, b->len);
    e->prep = t;
    e->prep_len = b->len;
}

static bool on_event(void *ctx, sh_event *e) {
    dump_ctx *c = ctx;
    if (e->prep) {
        sh_buf_put(&c->buf, e->prep, e->prep_len);
    } else {
        sh_event_to_json(e, &c->buf, false);
        sh_buf_putc(&c->buf, '\n');
    }
    if (c->buf.len > 1 << 16) {
        fwrite(c->buf.data, 1, c->buf.len, stdout);
        sh_buf_clear(&c->buf);
    }
    return true;
}

int cmd_dump(int argc, char **argv) {
    static const struct option opts[] = {{"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'},
                                         {"threads", required_argument, 0, 'j'}, {0, 0, 0, 0}};
    bool quiet = false;
    int threads = cli_default_threads();
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "qhj:", opts, NULL)) != -1) {
        switch (ch) {
        case 'q': quiet = true; break;
        case 'j': if (!cli_threads_option("dump", optarg, &threads)) return EXIT_USAGE; break;
        case 'h': fputs(dump_help, stdout); return EXIT_OK;
        default: cli_usage_error("dump", "unknown option"); return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        cli_usage_error("dump", "no INPUT given (use - for standard input)");
        return EXIT_USAGE;
    }
    dump_ctx c = {0};
    cli_run_init(&c.run, "dump");
    c.run.quiet = quiet;
    sh_input_opts io = {.keep_raw = false, .threads = threads};
    sh_input_sink sink = {.on_event = on_event, .on_error = cli_error, .ctx = &c, .prepare = prepare};
    sh_input_read_all((const char *const *)argv + optind, (size_t)(argc - optind), &io, &sink, &c.run.st);
    fwrite(c.buf.data ? c.buf.data : "", 1, c.buf.len, stdout);
    bool wrote = cli_close_output(stdout, "dump", "standard output");
    sh_buf_free(&c.buf);
    c.run.alerts = c.run.st.events;
    cli_summary(&c.run, "printed");
    if (!wrote) return EXIT_OUTPUT;
    return c.run.st.inputs_failed ? EXIT_INPUT : EXIT_OK;
}
