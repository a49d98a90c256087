/* output.h: alert writers, one per format. Each turns an alert into text in
 * a buffer; the caller decides where it goes. */
#ifndef SHRIKE_OUTPUT_H
#define SHRIKE_OUTPUT_H

#include "shrike/shrike.h"

typedef enum sh_outfmt { SH_OUT_JSONL, SH_OUT_CSV, SH_OUT_TABLE } sh_outfmt;

/* One alert as one JSON object and a newline (see docs/output.md). */
void sh_alert_jsonl(const shrike_alert *a, sh_buf *out);
/* CSV: header once, then one row per alert. */
void sh_alert_csv_header(sh_buf *out);
void sh_alert_csv(const shrike_alert *a, sh_buf *out);
/* Table: a fixed-width line per alert for terminals. */
void sh_alert_table_header(sh_buf *out);
void sh_alert_table(const shrike_alert *a, sh_buf *out);

/* The values an alert reports, read from its events through the field model. */
typedef struct sh_alert_view {
    char timestamp[40];
    const sh_value *host, *user, *exe, *name, *cmd, *pid, *pexe, *pname, *pcmd;
    const sh_event *last;
} sh_alert_view;
void sh_alert_view_of(const shrike_alert *a, sh_alert_view *v);

#endif
