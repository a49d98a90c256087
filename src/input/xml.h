/* xml.h: the Windows event XML reader (wevtutil qe /f:xml, Get-WinEvent
 * ToXml(), wevtutil /f:RenderedXml, evtxexport -f xml, Splunk XmlWinEventLog
 * exports). One or many <Event> elements, with or without a wrapper element,
 * one per line or pretty-printed; the XML declaration is optional.
 *
 * Bytes are pushed in as they are read (sh_xml_feed), so standard input
 * streams: the reader keeps the bytes of the event being parsed and no more
 * (at most SH_XML_MAX_EVENT). Each <Event> is parsed by expat as a document
 * of its own, straight into an event named the way the JSON reader names
 * {"Event":{"System":...,"EventData":...}} renderings (docs/xml.md): System
 * fields flat (EventID, Provider_Name, TimeCreated, Execution_ProcessID, ...),
 * <Data Name="X"> as X, UserData's children under their own names,
 * RenderingInfo as RenderingInfo.*.
 *
 * A malformed event is reported through the sink's on_error with file,
 * line, column and expat's reason, counted in st->rejected, and reading
 * resumes at the next <Event. Document type declarations are refused (never
 * given to expat), so entity expansion attacks cannot happen. Never prints,
 * never exits. */
#ifndef SHRIKE_XML_H
#define SHRIKE_XML_H

#include "input/input.h"

#define SH_XML_MAX_EVENT (64u << 20)   /* bytes of one event's text */
#define SH_XML_MAX_DEPTH 256           /* element nesting inside an event */

typedef struct sh_xml_reader sh_xml_reader;

/* true when data (the start of an input, after a UTF-8 byte order mark and
 * leading whitespace) looks like event XML: it starts with '<', or with a
 * UTF-16 byte order mark and '<', or it is not JSON and an "<Event" tag
 * appears in the first line(s) (evtxexport's banner, a prefix per line). */
bool sh_xml_detect(const char *data, size_t len);

/* A reader for one input. name is the input name events and diagnostics
 * carry (it must outlive the events); line and col (1-based) are where the
 * first byte fed sits in the input. */
sh_xml_reader *sh_xml_new(const char *name, const sh_input_opts *o, sh_input_sink *sink, sh_input_stats *st,
                          long line, long col);
/* The next bytes of the input (any split). Complete events go to the sink
 * as they are found. Returns false once the sink stopped the reading. */
bool sh_xml_feed(sh_xml_reader *x, const char *data, size_t len);
/* End of input: a last event left open is reported. Returns false when the
 * sink stopped the reading. */
bool sh_xml_finish(sh_xml_reader *x);
void sh_xml_free(sh_xml_reader *x);

/* The whole input in one buffer (tests, fuzzing): new, feed, finish, free. */
bool sh_xml_read(const char *name, const char *data, size_t len, const sh_input_opts *o, sh_input_sink *sink,
                 sh_input_stats *st);

#endif
