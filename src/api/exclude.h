/* exclude.h: exclusions as data (docs/tuning.md). An exclusion file lists
 * entries; each entry names the rules it applies to (ids or names, with
 * wildcards; none: every rule) and conditions on the alert's events (host,
 * user, parent, path, command line, signer, file, any field through the
 * field model). An alert is suppressed when, for some entry that applies to
 * its rule, one of its events satisfies every condition of the entry. The
 * public face is in include/shrike/shrike.h (shrike_exclusions_*). */
#ifndef SHRIKE_EXCLUDE_H
#define SHRIKE_EXCLUDE_H

#include "shrike/shrike.h"

/* Count a hit on entry i of x (the engine calls it for each suppressed alert). */
void sh_exclusions_hit(shrike_exclusions *x, size_t i);

#endif
