/*
 * legacy_startup.h: jobsd importing a legacy store at start-up.
 *
 * Two ways in:
 *   --import-legacy PATH   imports PATH (any layout jobsctl import reads) at
 *                          every start it is given; jobs already there are
 *                          skipped, so a second run adds only what is new.
 *   auto-migration         when the database holds no job, has never been
 *                          migrated, and $HOME/.zyra-video-agent holds a
 *                          campaigns.yaml or a jobs/ folder (the default
 *                          legacy path), jobsd migrates it, once: the
 *                          database's meta table records that it did
 *                          ('legacy_migrated'), before the import starts.
 *                          --no-legacy-migration turns this off.
 * Either way the source is backed up beside itself first and never
 * modified, and the report goes to the log.
 *
 * The import runs on a thread of its own through the engine of jobsctl
 * import (client/legacy/legacy.h), over a libjobsclient connection to an
 * inproc:// listener of this jobsd: the jobs take exactly the path of any
 * client's BatchCreateJobs, checks and group commit included, while jobsd
 * serves other calls.
 */
#ifndef JOBSD_LEGACY_STARTUP_H
#define JOBSD_LEGACY_STARTUP_H

#include "store.h"

#include <stdbool.h>

typedef struct legacy_startup legacy_startup;

/*
 * Decides, on the writer connection before the lanes start, whether to
 * import: `path` (--import-legacy; NULL: none), else the default legacy path
 * if `auto_migrate` and the conditions above hold (then the marker is
 * written). `token_file` (jobsd's --token-file, or NULL; borrowed, it must
 * outlive the import) is what the import's client authenticates with.
 * *out is NULL when there is nothing to do. Returns 0, or -1 after logging
 * why (the database could not be read or marked).
 */
int legacy_startup_plan(store *writer, const char *path, bool auto_migrate, const char *token_file,
                        legacy_startup **out);

/* The inproc:// URL jobsd must also listen on for the import. */
const char *legacy_startup_url(const legacy_startup *ls);

/* Starts the import thread; call once the listeners are up. Returns 0 or -1
 * after logging why. */
int legacy_startup_run(legacy_startup *ls);

/* Tells the import thread to stop (it gives up between two jobs or
 * batches; a batch sent is answered), waits for it and frees. NULL is a
 * no-op. */
void legacy_startup_finish(legacy_startup *ls);

#endif
