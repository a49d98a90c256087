/* rules_cmd.c: `shrike rules check` loads rules and accounts for each one:
 * loaded, or rejected with PATH[:LINE]: reason; then "N loaded, M rejected". */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char rules_help[] =
    "usage: shrike rules check [-r RULES]... [RULES]...\n"
    "\n"
    "Load rules and report rule by rule: every rejected rule as one line\n"
    "PATH[:LINE]: reason, warnings as PATH:LINE: warning: ..., and at the end\n"
    "the line \"N loaded, M rejected\". Without paths, checks the bundled pack.\n"
    "\n"
    "  -r, --rules PATH   rule file or folder (repeatable; bare paths work too)\n"
    "  -h, --help         this help\n"
    "\n"
    "Exit status: 0 every rule loaded, 1 some rules rejected, 2 usage error.\n";

int cmd_rules(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(rules_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[1], "check") != 0) {
        cli_usage_error("rules", "unknown action '%s' (check)", argv[1]);
        return EXIT_USAGE;
    }
    static const struct option opts[] = {{"rules", required_argument, 0, 'r'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char **paths = calloc((size_t)argc + 1, sizeof *paths);
    size_t n = 0;
    int ch;
    optind = 1;
    argc--, argv++;
    while ((ch = getopt_long(argc, argv, "r:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'r': paths[n++] = optarg; break;
        case 'h': fputs(rules_help, stdout); free(paths); return EXIT_OK;
        default: free(paths); cli_usage_error("rules check", "unknown option"); return EXIT_USAGE;
        }
    }
    for (int i = optind; i < argc; i++) paths[n++] = argv[i];
    cli_rules_report rep = {.print_rejects = true, .print_warnings = true, .out = stdout};
    shrike *s = cli_load_rules(paths, n, &rep);
    printf("%zu loaded, %zu rejected\n", rep.loaded, rep.rejected);
    shrike_free(s);
    free(paths);
    return rep.rejected ? EXIT_FINDINGS : EXIT_OK;
}
