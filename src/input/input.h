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
    int threads;            /* > 1: EVTX files read by this many threads (events still
                             * delivered in order, on the calling thread); else one */
} sh_input_opts;

/* per-thread state for a sink's prepare hook */
typedef struct sh_input_scratch {
    sh_buf buf;
    void *user;                   /* the sink's own, made on first use, */
    void (*user_free)(void *);    /* released with the scratch */
} sh_input_scratch;

typedef struct sh_input_sink {
    /* Receives each event (refs = 1, released by the reader after the call:
     * take sh_event_ref to keep it). Return false to stop reading. */
    bool (*on_event)(void *ctx, sh_event *e);
    /* Receives every problem: a rejected document or an unreadable input. */
    void (*on_error)(void *ctx, const sh_diag *d);
    void *ctx;
    /* Optional: called on the thread that built an event, before on_event
     * gets it, to do work that depends on the event alone (dump renders its
     * line into e->prep, scan selects the rules that can concern it). It may
     * run on several threads at once, for different events, and is not
     * called for every event (only EVTX read by threads): on_event must work
     * without it. scratch belongs to the calling thread. */
    void (*prepare)(void *ctx, sh_event *e, struct sh_input_scratch *scratch);
} sh_input_sink;

/* Read one path (file, folder recursively in sorted order, or "-").
 * Returns false if reading was stopped by the sink. */
bool sh_input_read(const char *path, const sh_input_opts *o, sh_input_sink *sink, sh_input_stats *st);

/* Read several paths in order, as sh_input_read on each would; with
 * o->threads > 1 EVTX reading of one path overlaps with the delivery of the
 * previous ones. The sink is called on the calling thread only. */
bool sh_input_read_all(const char *const *paths, size_t n, const sh_input_opts *o, sh_input_sink *sink,
                       sh_input_stats *st);

#endif
