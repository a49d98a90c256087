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

/* Feed one event (in time order). Alerts are delivered in rule order. */
void shrike_feed(shrike *s, sh_event *e, shrike_alert_cb cb, void *ctx);
/* True when no rule can produce anything more (every one reached a head
 * limit): callers may stop reading. */
bool shrike_done(const shrike *s);
/* End of input. */
void shrike_finish(shrike *s, shrike_alert_cb cb, void *ctx);

#endif
