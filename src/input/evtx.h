/* evtx.h: the EVTX reader (Windows XML Event Log, .evtx). Reads a whole
 * file image held in memory: the file header, every 64 KiB chunk slot after
 * it (also past the chunk count of a dirty header), each chunk's records,
 * and their binary XML. Each record becomes one event named the way the JSON
 * reader names {"Event":{"System":...,"EventData":...}} renderings: System
 * fields flat (EventID, Provider_Name, TimeCreated, Execution_ProcessID, ...),
 * EventData <Data Name="X"> as X, UserData's children under their own names.
 *
 * Templates are compiled once per chunk into a plan that turns substitution
 * values straight into typed event fields; no XML text is built. A damaged
 * chunk or record is reported through the sink's on_error (file, byte offset,
 * reason) and skipped, and the rest of the file is read. Never prints, never
 * exits, never reads outside the image. See docs/evtx.md. */
#ifndef SHRIKE_EVTX_H
#define SHRIKE_EVTX_H

#include "input/input.h"

#define SH_EVTX_CHUNK_SIZE 65536u
#define SH_EVTX_HEADER_SIZE 4096u

/* true when data starts with the EVTX file signature "ElfFile\0" */
bool sh_evtx_detect(const void *data, size_t len);

/* Plans compiled from one chunk's templates (and from binary XML without
 * templates) are shared by every chunk and file the process reads; off
 * (for tests: the output must not change) compiles them per chunk. */
void sh_evtx_share_plans(bool on);
/* Forgets the shared plans (for tests; no reader may be running). */
void sh_evtx_shared_reset(void);

/* Read an EVTX file image of len bytes. name is the input name events and
 * diagnostics carry (it must outlive the events). Events go to sink->on_event
 * in file order; st->events, st->rejected (damaged records and chunks) and,
 * when nothing at all could be read, st->inputs_failed are counted (st->bytes
 * is left to the caller, who read the bytes). Returns false when the sink
 * stopped the reading. */
bool sh_evtx_read(const char *name, const void *data, size_t len, const sh_input_opts *o,
                  sh_input_sink *sink, sh_input_stats *st);

/* Read the plain (uncompressed) file at path through a read-only mapping,
 * so that only the pages holding records are read (EVTX files are mostly
 * preallocated, empty chunk space). Returns 1 when read, 0 when the sink
 * stopped the reading, -1 when the file is smaller than SH_EVTX_MAP_MIN or
 * could not be mapped (nothing was reported: read it into memory and call
 * sh_evtx_read). *size is the file size. */
#define SH_EVTX_MAP_MIN (1u << 20)
int sh_evtx_read_file(const char *path, const sh_input_opts *o, sh_input_sink *sink, sh_input_stats *st,
                      size_t *size);

/* Read one chunk image (at most 64 KiB are looked at) as if it were chunk 0
 * of a file: for tests and fuzzing. */
bool sh_evtx_read_chunk(const char *name, const void *data, size_t len, const sh_input_opts *o,
                        sh_input_sink *sink, sh_input_stats *st);

/* Parallel reading (docs/evtx.md): files submitted in order are read by
 * threads - 1 worker threads (and the calling thread), a few chunks a job;
 * events and diagnostics reach the sink on the calling thread, in the order
 * and with the counts a single-threaded sh_evtx_read of each file gives.
 * The sink runs only on the calling thread, inside submit (when the queue of
 * jobs is full) and drain. */
typedef struct sh_evtx_par sh_evtx_par;
enum { SH_EVTX_OWN_NONE, SH_EVTX_OWN_FREE, SH_EVTX_OWN_MUNMAP };
sh_evtx_par *sh_evtx_par_new(int threads, sh_input_sink *sink, sh_input_stats *st);
/* Queue a file image of len bytes. own (own_len bytes, kind SH_EVTX_OWN_*)
 * is released once the file is delivered; name must outlive the events.
 * The file is counted in st->inputs and its len in st->bytes when its first
 * events are delivered (not when the reading stopped before).
 * Returns false when the sink has stopped the reading (own is released). */
bool sh_evtx_par_submit(sh_evtx_par *p, const char *name, const void *data, size_t len, void *own, size_t own_len,
                        int own_kind);
/* Deliver everything submitted. False when the sink has stopped the reading. */
bool sh_evtx_par_drain(sh_evtx_par *p);
/* Drain, stop the threads, free. */
void sh_evtx_par_free(sh_evtx_par *p);

#endif
