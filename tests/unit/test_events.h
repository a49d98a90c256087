/* test_events.h: events for the unit tests from JSON written with ' for "
 * (no escaping inside C strings). */
#ifndef SHRIKE_TEST_EVENTS_H
#define SHRIKE_TEST_EVENTS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/json.h"

/* The event (Elasticsearch hits unwrapped), or NULL after saying why it
 * does not parse. */
static inline sh_event *test_event(const char *json) {
    size_t n = strlen(json);
    char *buf = malloc(n + 1);
    if (!buf) abort();
    for (size_t i = 0; i <= n; i++) buf[i] = json[i] == '\'' ? '"' : json[i];
    sh_event *e = sh_event_new();
    sh_json_opts o = {.unwrap = true};
    sh_diag d;
    sh_diag_clear(&d);
    if (!sh_json_parse_event(buf, n, e, &o, &d)) {
        fprintf(stderr, "bad test event %s: %s\n", buf, d.msg);
        sh_event_unref(e);
        e = NULL;
    }
    free(buf);
    return e;
}

#endif
