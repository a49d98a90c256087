/* cli.h: what the subcommands share: the run context (counters, timing,
 * error reporting to standard error), rule loading, and the summary line. */
#ifndef SHRIKE_CLI_H
#define SHRIKE_CLI_H

#include <stdio.h>

#include "input/input.h"
#include "shrike/shrike.h"

/* exit codes */
enum {
    EXIT_OK = 0,
    EXIT_FINDINGS = 1,    /* rules check: some rules rejected; test: an expectation failed */
    EXIT_USAGE = 2,       /* bad command line */
    EXIT_RULES = 3,       /* no usable rule or query */
    EXIT_INPUT = 4,       /* an input could not be read at all */
    EXIT_OUTPUT = 5       /* the output could not be written */
};

typedef struct cli_run {
    const char *cmd;          /* subcommand name for messages */
    sh_input_stats st;
    uint64_t alerts;
    uint64_t errors_printed;
    double t0;
    bool quiet;
} cli_run;

double cli_now(void);
void cli_run_init(cli_run *r, const char *cmd);
/* print "shrike: FILE:LINE:COL: reason" (capped; the summary counts all) */
void cli_error(void *run, const sh_diag *d);
void cli_summary(cli_run *r, const char *what);
/* flush and close (or flush, for stdout) an output stream; false with a
 * message when anything written to it was lost */
bool cli_close_output(FILE *f, const char *cmd, const char *name);
void cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* rules: -r paths, or the bundled pack when none */
const char *cli_default_rules(void);
typedef struct cli_rules_report {
    size_t loaded, rejected;
    bool print_rejects;       /* print "PATH[:LINE]: reason" lines on stdout */
    bool print_warnings;
    FILE *out;
} cli_rules_report;
shrike *cli_load_rules(const char **paths, size_t npaths, cli_rules_report *rep);
/* some loaded rule is SPL (its bare search terms read _raw: keep each event's text) */
bool cli_has_spl(const shrike *s);

/* exclusions (docs/tuning.md): the files given with --exclusions, or, when
 * the bundled pack is used (no -r) and none is given, the pack's own
 * exclusions.toml if it has one; none at all with --no-exclusions. Prints
 * "shrike CMD: FILE:LINE: reason" and returns false for a bad file. */
bool cli_load_exclusions(shrike *s, const char *cmd, const char **paths, size_t n, bool default_pack, bool none);
/* appends " (N suppressed by exclusions)" to what when exclusions are in use */
void cli_exclusions_note(const shrike *s, char *what, size_t size);

/* field-model options shared by scan, query and test (docs/field-model.md,
 * docs/splunk.md): --fieldmap FILE, --splunk-index NAME,
 * --splunk-sourcetype auto|xml|classic */
enum { CLI_OPT_FIELDMAP = 0x101, CLI_OPT_SPLUNK_INDEX, CLI_OPT_SPLUNK_ST };
#define CLI_FIELD_OPTIONS                                                                                  \
    {"fieldmap", required_argument, 0, CLI_OPT_FIELDMAP},                                                  \
        {"splunk-index", required_argument, 0, CLI_OPT_SPLUNK_INDEX},                                      \
        {"splunk-sourcetype", required_argument, 0, CLI_OPT_SPLUNK_ST}
#define CLI_FIELD_HELP                                                                                     \
    "  --fieldmap FILE     extra field-model rows, tried before the built-in ones\n"                       \
    "                      (docs/field-model.md)\n"                                                        \
    "  --splunk-index NAME the index SPL sees Windows events in (default wineventlog)\n"                   \
    "  --splunk-sourcetype auto|xml|classic\n"                                                              \
    "                      how SPL's sourcetype names a Windows channel: auto (default:\n"                 \
    "                      XmlWinEventLog: for Sysmon, WinEventLog: for the others), xml\n"                \
    "                      (XmlWinEventLog:<Channel>), classic (WinEventLog:<Channel>)\n"
/* apply one of them; false (message printed, exit 2 due) on a bad value */
bool cli_field_option(const char *cmd, int ch, const char *arg);

/* -j N, --threads N (dump, scan, query): threads reading EVTX files
 * (docs/evtx.md); the output is the same for every N. The default is the
 * number of online processors, at most CLI_MAX_THREADS. */
#define CLI_MAX_THREADS 64
#define CLI_THREADS_HELP                                                                                   \
    "  -j, --threads N     threads reading EVTX files (default: the processors, at most 8);\n"            \
    "                      the output and its order do not depend on N\n"
int cli_default_threads(void);
/* parse N; false (message printed, exit 2 due) on a bad value */
bool cli_threads_option(const char *cmd, const char *arg, int *out);

int cmd_scan(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_test(int argc, char **argv);

#endif
