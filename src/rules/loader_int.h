/* loader_int.h: what the rule-file loaders (load_toml.c, load_kibana.c,
 * load_eql.c) share with the dispatcher in loader.c: where rules go, how a
 * rejection is reported, and how a rule record is started and finished. */
#ifndef SHRIKE_RULES_LOADER_INT_H
#define SHRIKE_RULES_LOADER_INT_H

#include "rules/rules.h"

typedef struct sh_rload {
    sh_ruleset *rs;
    sh_reject_cb cb;
    void *ctx;
} sh_rload;

/* report path:line (0 unknown) with the reason */
void sh_rload_reject(const sh_rload *l, const char *path, long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* the reason a rule in another language is refused */
void sh_rload_reject_lang(const sh_rload *l, const char *path, long line, const char *lang, const char *type);

char *sh_rload_strdup(const char *s);                 /* NULL gives "" */
sh_rule *sh_rload_rule_new(const char *path, long line);
void sh_rload_add_str(char ***arr, size_t *n, const char *s);   /* appends unless already there */
/* fills missing texts with "", lower-cases severity and confidence, sorts
 * the technique ids, and adds r to the ruleset */
void sh_rload_add(const sh_rload *l, sh_rule *r);

/* read the whole file; rejects it (and returns NULL) when it cannot be read
 * or is not UTF-8 text */
char *sh_rload_read(const sh_rload *l, const char *path, size_t *len);
/* the same for a file that is one query (.eql, .spl): NUL bytes rejected too */
char *sh_rload_read_query(const sh_rload *l, const char *path, size_t *len);
/* a rule id from a file's base name without the extension ext (".eql") */
char *sh_rload_id_from_path(const char *path, const char *ext);

void sh_rload_toml(const sh_rload *l, const char *path);
void sh_rload_kibana(const sh_rload *l, const char *path);
void sh_rload_eql(const sh_rload *l, const char *path);
/* YAML rule files, already read (text NUL-terminated, UTF-8 checked):
 * Sigma (load_sigma.c: one rule per YAML document) and Splunk
 * security_content detections (load_escu.c) */
void sh_rload_sigma(const sh_rload *l, const char *path, const char *text, size_t len);
void sh_rload_escu(const sh_rload *l, const char *path, const char *text, size_t len);
/* plain .spl: the whole file is one search (load_escu.c) */
void sh_rload_spl(const sh_rload *l, const char *path);

#endif
