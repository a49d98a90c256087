/* shrike.h: shrike's public API. Load rules, feed events, receive alerts.
 * The command line (src/cli) is this API's first client. Nothing here prints
 * or exits; problems come back as sh_diag values. */
#ifndef SHRIKE_SHRIKE_H
#define SHRIKE_SHRIKE_H

#include "event/event.h"
#include "engine/query.h"
#include "rules/rules.h"

#define SHRIKE_VERSION "0.1.0"

typedef struct shrike shrike;

typedef struct shrike_alert {
    const sh_rule *rule;
    const sh_match *match;     /* the events (one, or a sequence's in order), and
                                * for searches that compute rows (SPL) the row */
} shrike_alert;

typedef void (*shrike_alert_cb)(void *ctx, const shrike_alert *a);

shrike *shrike_new(void);
void shrike_free(shrike *s);

/* Compile r and add it; on success the engine owns r. On failure returns
 * false, fills d (file:line:col of the query within its rule file, and the
 * reason) and the caller keeps r. */
bool shrike_add_rule(shrike *s, sh_rule *r, sh_diag *d);
size_t shrike_rule_count(const shrike *s);
/* compile-time warnings of rule i (NULL-terminated) */
const char *const *shrike_rule_warnings(const shrike *s, size_t i);
const sh_rule *shrike_rule(const shrike *s, size_t i);
/* sh_query_shape of rule i: single events, groups (sequences), or rows */
int shrike_rule_shape(const shrike *s, size_t i);
/* the compiled query of rule i (its filters, for explanations) */
const sh_query *shrike_rule_query(const shrike *s, size_t i);

/* Feed one event (in time order). Alerts are delivered in rule order. */
void shrike_feed(shrike *s, sh_event *e, shrike_alert_cb cb, void *ctx);

/* Work ahead on reading threads: shrike_prepare works out which rules an
 * event can concern (the rule index and the literal prefilter, which need
 * the event alone) and keeps that in the event, so that shrike_feed on the
 * main thread only runs those rules. Call shrike_prepare_begin once, after
 * the last rule is added and before any thread prepares; each thread uses
 * its own workspace. Alerts are the same with or without it. */
typedef struct shrike_ws shrike_ws;
void shrike_prepare_begin(shrike *s);
shrike_ws *shrike_ws_new(const shrike *s);
void shrike_ws_free(shrike_ws *w);
void shrike_prepare(const shrike *s, shrike_ws *w, sh_event *e);
/* True when no rule can produce anything more (every one reached a head
 * limit): callers may stop reading. */
bool shrike_done(const shrike *s);
/* End of input. */
void shrike_finish(shrike *s, shrike_alert_cb cb, void *ctx);

/* ---- exclusions: tuning as data (api/exclude.c, docs/tuning.md) ----
 * An exclusion file (TOML) lists [[exclude]] entries: the rules an entry
 * applies to and conditions on an alert's events (host, user, parent, path,
 * command_line, signer, file, any field). The engine counts the alerts an
 * entry matches instead of delivering them. */
typedef struct shrike_exclusions shrike_exclusions;
/* NULL on error, with d = file:line: reason. name is the file name used in
 * diagnostics. */
shrike_exclusions *shrike_exclusions_load(const char *path, sh_diag *d);
shrike_exclusions *shrike_exclusions_parse(const char *text, size_t len, const char *name, sh_diag *d);
void shrike_exclusions_free(shrike_exclusions *x);
size_t shrike_exclusions_count(const shrike_exclusions *x);             /* entries */
const char *shrike_exclusions_file(const shrike_exclusions *x);
const char *shrike_exclusions_name(const shrike_exclusions *x, size_t i);
uint64_t shrike_exclusions_hits(const shrike_exclusions *x, size_t i);  /* alerts entry i suppressed */
/* The first entry that suppresses a, or -1. May derive fields on a's events. */
long shrike_exclusions_match(const shrike_exclusions *x, const shrike_alert *a);
/* The engine applies x (and owns it from now on) to every alert before it is
 * delivered; several sets may be added. */
void shrike_add_exclusions(shrike *s, shrike_exclusions *x);
size_t shrike_exclusion_sets(const shrike *s);
const shrike_exclusions *shrike_exclusion_set(const shrike *s, size_t i);
uint64_t shrike_excluded(const shrike *s);                             /* alerts suppressed */
/* Optional: called for each suppressed alert with the set and entry index. */
typedef void (*shrike_excluded_cb)(void *ctx, const shrike_alert *a, const shrike_exclusions *x, size_t entry);
void shrike_on_excluded(shrike *s, shrike_excluded_cb cb, void *ctx);

/* ---- explaining a miss (api/explain.c) ----
 * Why rule i raised no alert on events[0..n): evaluates the conjuncts of the
 * rule's filters on the events and writes into out the first condition no
 * event satisfied, with the value the nearest event has, e.g.
 *   `process.args : "new-selfsignedcertificate"` is false; process.args = [...]
 * Returns false (out holds the reason) when shrike cannot tell: the language
 * gives no filters, or some event passes every filter (the rule needs
 * several events: a sequence, a correlation, a threshold). */
bool shrike_explain_miss(const shrike *s, size_t rule, sh_event *const *events, size_t n, sh_buf *out);

#endif
