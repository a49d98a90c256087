/* main.c: the shrike command: dispatches to one file per subcommand. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char main_help[] =
    "shrike " SHRIKE_VERSION ": a detection engine for Windows, Elastic and macOS events\n"
    "\n"
    "usage:\n"
    "  shrike scan [-r RULES]... [-f jsonl|csv|table] [-o FILE] INPUT...\n"
    "  shrike query [-l eql] QUERY INPUT...\n"
    "  shrike dump INPUT...\n"
    "  shrike rules check [-r RULES]...\n"
    "  shrike test [-r RULES]... [--exclusions FILE]... [CASES]...\n"
    "\n"
    "Run 'shrike COMMAND --help' for a command's options.\n";

int main(int argc, char **argv) {
    /* EVTX reading threads build events that the main thread frees: with
     * glibc's default trimming, the reading threads' heaps shrink and regrow
     * all the time (page faults were most of the time of a threaded dump).
     * Keep up to 64 MB of freed memory for reuse. */
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    if (argc < 2) {
        fputs(main_help, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        fputs(main_help, stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        puts("shrike " SHRIKE_VERSION);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "scan")) return cmd_scan(argc - 1, argv + 1);
    if (!strcmp(cmd, "query")) return cmd_query(argc - 1, argv + 1);
    if (!strcmp(cmd, "dump")) return cmd_dump(argc - 1, argv + 1);
    if (!strcmp(cmd, "rules")) return cmd_rules(argc - 1, argv + 1);
    if (!strcmp(cmd, "test")) return cmd_test(argc - 1, argv + 1);
    fprintf(stderr, "shrike: unknown command '%s'\n\n%s", cmd, main_help);
    return EXIT_USAGE;
}
