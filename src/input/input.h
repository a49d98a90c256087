/* input.h: turns paths (files, folders, "-" for standard input; gzip read
 * transparently) into a stream of events. The format is detected from the
 * content, not the name: NDJSON, a JSON array, concatenated or pretty-printed
 * JSON documents, EVTX (input/evtx.h: records straight into events); event
 * XML is recognised (its reader is being written; until then the input is
 * reported as not yet supported). Every
 * document is either delivered as an event or reported with file, line and
 * reason; the run goes on. */
#ifndef SHRIKE_INPUT_H
#define SHRIKE_INPUT_H

#include "event/event.h"

typedef struct sh_input_stats {
    uint64_t inputs;        /* files opened */
    uint64_t inputs_failed; /* files that could not be read at all */
    uint64_t events;        /* events delivered */
    uint64_t rejected;      /* documents rejected (bad JSON, not UTF-8, ...) */
    uint64_t bytes;         /* bytes read (after decompression) */
} sh_input_stats;

typedef struct sh_input_opts {
    bool keep_raw;          /* keep each JSON document's text in its event */
} sh_input_opts;

typedef struct sh_input_sink {
    /* Receives each event (refs = 1, released by the reader after the call:
     * take sh_event_ref to keep it). Return false to stop reading. */
    bool (*on_event)(void *ctx, sh_event *e);
    /* Receives every problem: a rejected document or an unreadable input. */
    void (*on_error)(void *ctx, const sh_diag *d);
    void *ctx;
} sh_input_sink;

/* Read one path (file, folder recursively in sorted order, or "-").
 * Returns false if reading was stopped by the sink. */
bool sh_input_read(const char *path, const sh_input_opts *o, sh_input_sink *sink, sh_input_stats *st);

#endif
