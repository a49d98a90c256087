/* rules.h: rule files. Loaders read the rule file formats (Elastic
 * detection-rules TOML, Kibana rule export NDJSON, plain .eql; later Sigma
 * YAML and Splunk ESCU YAML) into sh_rule records: the query text and the
 * metadata. Compiling the query is the engine's job. Every file and every
 * rule in it is accounted for: loaded, or rejected with file:line and a
 * reason through the reject callback. */
#ifndef SHRIKE_RULES_H
#define SHRIKE_RULES_H

#include "util/util.h"

typedef enum sh_lang { SH_LANG_EQL = 1, SH_LANG_SIGMA, SH_LANG_SPL } sh_lang;

typedef struct sh_rule {
    char *path;            /* file it came from */
    long line;             /* 1-based line of the rule (TOML: of the query), 0 unknown */
    sh_lang lang;
    char *id;              /* rule_id / id; "" when none (then path:line is the id) */
    char *name;
    char *description;
    char *severity;        /* "low" | "medium" | "high" | "critical" | "" */
    char *confidence;      /* "" when the rule gives none */
    int risk_score;        /* -1 when none */
    char **techniques;     /* ATT&CK ids ("T1587.002"), ntechniques of them */
    size_t ntechniques;
    char **false_positives;
    size_t nfalse_positives;
    char *query;           /* the query text exactly as written */
    long query_line;       /* 1-based line where the query text starts in the file */
    int pass;              /* rules are compiled in pass order: 0 first; rules
                            * that refer to other rules (Sigma correlations and
                            * filters) use 1, so every rule they name exists */
} sh_rule;

typedef struct sh_ruleset {
    sh_rule **rules;
    size_t n, cap;
} sh_ruleset;

/* Called for every rule or file that cannot be loaded: d has file, line, reason. */
typedef void (*sh_reject_cb)(void *ctx, const sh_diag *d);

/* Load a file or a folder (recursively, in sorted name order so runs are
 * deterministic). Files are recognised by content and extension: .toml
 * (detection-rules), .ndjson/.json (Kibana export, one rule per line or an
 * array), .eql (the whole file is one query; metadata from leading
 * "// key: value" comment lines). Files of other kinds in a folder are
 * skipped silently only when they are clearly not rules (README, images);
 * anything else is reported. Returns the number of rules added. */
size_t sh_rules_load(const char *path, sh_ruleset *rs, sh_reject_cb cb, void *ctx);
void sh_ruleset_free(sh_ruleset *rs);
void sh_rule_free(sh_rule *r);

#endif
