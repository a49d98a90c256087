/* json.h: shrike's JSON reader. It parses one JSON value straight into an
 * event: nested objects flatten to dotted names ("process.parent.name"),
 * arrays keep every value (multi-valued fields; arrays of objects give
 * multi-valued dotted fields), numbers keep both their value and their text.
 * The document text is copied once into the event's arena and strings are
 * decoded in place: no allocation per field beyond dotted names.
 *
 * Written by hand because it sits on the hot path and because flattening
 * while parsing avoids building a DOM; tests check it against jansson. */
#ifndef SHRIKE_JSON_H
#define SHRIKE_JSON_H

#include "event/event.h"

/* How a document is shaped; the reader normalises known wrappers:
 *  - Elasticsearch hits: {"_index":..,"_id":..,"_source":{...}} -> the _source object
 *  - Windows renderings: {"Event":{"System":{...},"EventData":{...}}} -> flat Windows
 *    names (EventID, Channel, Computer, Provider_Name, TimeCreated, EventRecordID,
 *    Execution_ProcessID, Security_UserID, and EventData's fields by name). */
typedef struct sh_json_opts {
    bool keep_raw;         /* keep the document text in the event (for query/scan output) */
    bool unwrap;           /* apply the normalisations above (default true in readers) */
} sh_json_opts;

/* Parse exactly one JSON object from text[0..len) (surrounding whitespace
 * allowed) into e (fresh from sh_event_new). On error returns false and sets
 * d->col to the 1-based byte column within the text and d->msg to the reason
 * ("unexpected character 'x'", "invalid UTF-8", "unterminated string", "top-level
 * value is not an object", "nesting deeper than 256"). d->file and d->line are
 * left to the caller. sh_event_finish() is called on success. */
bool sh_json_parse_event(const char *text, size_t len, sh_event *e,
                         const sh_json_opts *o, sh_diag *d);

/* Scan one complete JSON value starting at p (after whitespace): returns the
 * number of bytes it spans, or 0 if the value is incomplete/invalid within n
 * bytes. Used to split JSON arrays and pretty-printed documents into events
 * without parsing them twice. Sets *lines to the newlines it passed. */
size_t sh_json_value_span(const char *p, size_t n, long *lines);
/* The same, telling an invalid start (a ',', ']', '}' or ':' where a value
 * should begin: *invalid set, 0 returned) from data that is only incomplete. */
size_t sh_json_value_scan(const char *p, size_t n, long *lines, bool *invalid);

/* Write text[0..len) (one valid JSON value) without insignificant whitespace. */
void sh_json_minify(const char *text, size_t len, sh_buf *out);

#endif
