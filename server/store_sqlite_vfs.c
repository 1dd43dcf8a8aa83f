/*
 * store_sqlite_vfs.c: the SQLite VFS the store opens its connections through. It is
 * the system's default VFS (unix) for every file but two kinds: the
 * sub-journal, which it keeps in memory, and the WAL, whose writes it
 * gathers into a few large ones.
 *
 * SUB-JOURNALS
 *
 * The writer applies each request of a group commit inside a SAVEPOINT (so
 * that one failing request leaves the others), and SQLite gives every
 * statement that fires triggers a statement savepoint of its own. Before a
 * savepoint first changes a page, SQLite copies the page into the
 * sub-journal, so that ROLLBACK TO can put it back. A create touches ~30
 * pages (the job, nine index entries, pending, the statistics, the
 * remembered answer), so a group of 16 creates journals ~2 MiB.
 *
 * SQLite keeps the first 64 KiB of a sub-journal in memory and then moves
 * it to a temporary file: open(), unlink(), two pwrite()s a page (~66 a
 * create), close() at the end of every transaction. Keeping it all in
 * memory through SQLite's own means (temp_store = MEMORY, or a larger
 * SQLITE_CONFIG_STMTJRNL_SPILL) costs either a malloc per KiB, which
 * fragmented the heap (RSS 1.6 x), or one chunk of the whole spill size per
 * transaction. Here a sub-journal is one buffer that grows by doubling, and
 * a closed sub-journal's buffer (up to KEEP_MAX) waits in a small pool for
 * the next transaction's: no syscall and no allocation in the steady state.
 * KEEP_MAX is what a group commit of ~16 creates needs. A batch import's
 * larger buffers wait in the pool too while the writer is busy (faulting
 * them in again for every batch is a cost an import would pay once a
 * batch), and go when it has been idle for 100 ms (store_trim_memory(),
 * from lanes.c), so that what jobsd holds at rest does not depend on the
 * largest transaction it ever ran.
 *
 * A sub-journal larger than SPILL moves to a real temporary file of the
 * default VFS, as SQLite's own would: memory stays bounded. SPILL is what
 * the largest request needs: a batch of 1,000 new jobs changes pages all
 * over nine indexes, up to ~86 MiB of sub-journal (a legacy import, in
 * batches of 1,000 jobs or 1 MiB). Below that, such batches went to a
 * file, and writing it was a large share of an import's time: memory
 * held only while a batch runs buys that back. What is larger (a
 * migration that rewrites a big database inside one statement) still goes
 * to a file.
 *
 * The file is only ever read back by ROLLBACK TO, within the transaction;
 * SQLite deletes it when the transaction ends, so nothing about it needs to
 * survive a crash.
 *
 * THE WAL
 *
 * A commit appends one frame per changed page to the WAL, each as two
 * pwrite()s: the 24-byte frame header, then the page. A create changes ~23
 * pages (nine indexes, the row, the two text indexes, the remembered
 * answer), a group of ~5 creates ~105: some 200 system calls, each a
 * kernel entry the writer pays for while every writing client waits on
 * it. Here the frames a connection appends one after the other are gathered in a
 * buffer and written in pieces of WRITE_MAX, and the buffer is always
 * written out before the commit is visible to anyone:
 *
 *   - when the page of a commit frame has been appended (the frame header
 *     says which frame commits: bytes 4-7, the database size after the
 *     commit, are not zero; see "WAL File Format" in SQLite's file format
 *     document). SQLite publishes a transaction only after writing its
 *     commit frame, and a failed write fails that xWrite(), so the commit
 *     fails as it would have without the buffer;
 *   - before anything else touches the file: a read (SQLite reads back
 *     frames it wrote), a write anywhere but at the end of the buffer,
 *     a sync, a truncation, asking its size, a file control, closing.
 *
 * Only writes that arrive as SQLite 3.x writes frames (a 24-byte header,
 * then the page right after it, each frame right after the one before) are
 * gathered; any other write goes straight to the file, so the worst a
 * different SQLite can do is to get no gathering. A crash loses what is in
 * the buffer, which is no commit: those are never acknowledged before the
 * WAL is synced, and SQLite's recovery ignores a transaction without its
 * commit frame.
 *
 * Two things SQLite cannot see through the buffer, found in review:
 *   - a write-out that fails (a full disk) keeps what it could not write
 *     and tries again first next time: SQLite was told those frames were
 *     written (pages it spilled mid-transaction), may roll back only the
 *     failing statement, and commit the rest;
 *   - a transaction that rolls back leaves the pages it spilled in the
 *     buffer, where another connection may then commit. The database
 *     file's methods are the default VFS's but for xShmLock: when the
 *     WAL's write lock is released (the transaction is over), what is
 *     still gathered was never committed and is dropped.
 * tests/test_store_vfs.c plays both (a disk full once, two writers).
 */
#include "store_sqlite.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define VFS_NAME  "jobsd"
#define SPILL     (128 << 20) /* past this many bytes, a real file */
#define KEEP_MAX  (2 << 20)   /* larger pooled buffers go when idle */
#define POOL_SIZE 4
#define FIRST_CAP (64 << 10)
#define WRITE_MAX (64 << 10)  /* per xWrite() of the default VFS */
#define WAL_BUF   (512 << 10) /* frames gathered at most, then written */
#define FRAME_HDR 24          /* a WAL frame's header, before its page */

/* A sub-journal: in `buf` until it spills, then in `real`. `real` is the
 * default VFS's file object, in the storage that follows this struct. */
typedef struct {
	sqlite3_file base;
	unsigned char *buf; /* owned; given to the pool on close */
	size_t size, cap;
	sqlite3_file *real; /* NULL until spilled */
} memfile;

static sqlite3_vfs vfs;
static sqlite3_vfs *dflt;
static size_t real_offset; /* where `real` starts in our file objects */

static atomic_llong spills;
static atomic_llong wal_asked, wal_done; /* WAL writes: SQLite's, and ours */

static struct {
	pthread_mutex_t mu;
	unsigned char *buf[POOL_SIZE];
	size_t cap[POOL_SIZE];
	int n;
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* Takes a spare buffer from the pool into f (f->cap 0 when there is none). */
static void
pool_take(memfile *f)
{
	pthread_mutex_lock(&pool.mu);
	if (pool.n > 0) {
		pool.n--;
		f->buf = pool.buf[pool.n];
		f->cap = pool.cap[pool.n];
	}
	pthread_mutex_unlock(&pool.mu);
}

/* Gives f's buffer to the pool, or frees it; f has none afterwards. */
static void
pool_give(memfile *f)
{
	if (f->buf != NULL) {
		pthread_mutex_lock(&pool.mu);
		if (pool.n < POOL_SIZE) {
			pool.buf[pool.n] = f->buf;
			pool.cap[pool.n] = f->cap;
			pool.n++;
			f->buf = NULL;
		}
		pthread_mutex_unlock(&pool.mu);
	}
	free(f->buf);
	f->buf = NULL;
	f->cap = f->size = 0;
}

int64_t
store_sqlite_vfs_pooled(void)
{
	int64_t bytes = 0;

	pthread_mutex_lock(&pool.mu);
	for (int i = 0; i < pool.n; i++)
		bytes += (int64_t)pool.cap[i];
	pthread_mutex_unlock(&pool.mu);
	return bytes;
}

void
store_trim_memory(void)
{
	int kept = 0;

	pthread_mutex_lock(&pool.mu);
	for (int i = 0; i < pool.n; i++) {
		if (pool.cap[i] > KEEP_MAX) {
			free(pool.buf[i]);
			continue;
		}
		pool.buf[kept] = pool.buf[i];
		pool.cap[kept] = pool.cap[i];
		kept++;
	}
	pool.n = kept;
	pthread_mutex_unlock(&pool.mu);
}

/* Moves f's content to a real temporary file of the default VFS. */
static int
spill(memfile *f)
{
	sqlite3_file *real = (sqlite3_file *)((char *)f + real_offset);
	int flags = SQLITE_OPEN_SUBJOURNAL | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	            SQLITE_OPEN_EXCLUSIVE | SQLITE_OPEN_DELETEONCLOSE;
	int rc;

	memset(real, 0, dflt->szOsFile);
	if ((rc = dflt->xOpen(dflt, NULL, real, flags, NULL)) != SQLITE_OK) {
		if (real->pMethods != NULL)
			real->pMethods->xClose(real);
		return rc;
	}
	/* In pieces: the unix VFS writes at most 128 KiB a call (it masks the
	 * length with 0x1ffff; a larger write comes back SQLITE_FULL). */
	for (size_t off = 0; off < f->size; off += WRITE_MAX) {
		size_t n = f->size - off < WRITE_MAX ? f->size - off : WRITE_MAX;

		if ((rc = real->pMethods->xWrite(real, f->buf + off, (int)n, (sqlite3_int64)off)) !=
		    SQLITE_OK) {
			real->pMethods->xClose(real);
			return rc;
		}
	}
	f->real = real;
	pool_give(f);
	atomic_fetch_add(&spills, 1);
	return SQLITE_OK;
}

static int
mem_close(sqlite3_file *file)
{
	memfile *f = (memfile *)file;
	int rc = SQLITE_OK;

	if (f->real != NULL)
		rc = f->real->pMethods->xClose(f->real);
	pool_give(f);
	return rc;
}

static int
mem_read(sqlite3_file *file, void *out, int amt, sqlite3_int64 off)
{
	memfile *f = (memfile *)file;
	size_t have;

	if (f->real != NULL)
		return f->real->pMethods->xRead(f->real, out, amt, off);
	have = (size_t)off < f->size ? f->size - (size_t)off : 0;
	if (have >= (size_t)amt) {
		memcpy(out, f->buf + off, (size_t)amt);
		return SQLITE_OK;
	}
	/* A short read fills the rest with zeros, as xRead must. */
	if (have > 0)
		memcpy(out, f->buf + off, have);
	memset((char *)out + have, 0, (size_t)amt - have);
	return SQLITE_IOERR_SHORT_READ;
}

static int
mem_write(sqlite3_file *file, const void *in, int amt, sqlite3_int64 off)
{
	memfile *f = (memfile *)file;
	size_t end = (size_t)off + (size_t)amt;
	int rc;

	if (f->real == NULL && end > SPILL && (rc = spill(f)) != SQLITE_OK)
		return rc;
	if (f->real != NULL)
		return f->real->pMethods->xWrite(f->real, in, amt, off);
	if (end > f->cap) {
		size_t cap = f->cap > 0 ? f->cap : FIRST_CAP;
		unsigned char *buf;

		while (cap < end)
			cap *= 2;
		if ((buf = realloc(f->buf, cap)) == NULL)
			return SQLITE_IOERR_NOMEM;
		f->buf = buf;
		f->cap = cap;
	}
	if ((size_t)off > f->size)
		memset(f->buf + f->size, 0, (size_t)off - f->size);
	memcpy(f->buf + off, in, (size_t)amt);
	if (end > f->size)
		f->size = end;
	return SQLITE_OK;
}

static int
mem_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	memfile *f = (memfile *)file;

	if (f->real != NULL)
		return f->real->pMethods->xTruncate(f->real, size);
	if ((size_t)size < f->size)
		f->size = (size_t)size;
	return SQLITE_OK;
}

static int
mem_sync(sqlite3_file *file, int flags)
{
	memfile *f = (memfile *)file;

	return f->real != NULL ? f->real->pMethods->xSync(f->real, flags) : SQLITE_OK;
}

static int
mem_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	memfile *f = (memfile *)file;

	if (f->real != NULL)
		return f->real->pMethods->xFileSize(f->real, size);
	*size = (sqlite3_int64)f->size;
	return SQLITE_OK;
}

/* Nobody else ever sees the file: nothing to lock. */
static int
mem_lock(sqlite3_file *file, int level)
{
	(void)file;
	(void)level;
	return SQLITE_OK;
}

static int
mem_check_reserved(sqlite3_file *file, int *out)
{
	(void)file;
	*out = 0;
	return SQLITE_OK;
}

static int
mem_file_control(sqlite3_file *file, int op, void *arg)
{
	(void)file;
	(void)op;
	(void)arg;
	return SQLITE_NOTFOUND;
}

static int
mem_sector_size(sqlite3_file *file)
{
	(void)file;
	return 4096;
}

static int
mem_device_characteristics(sqlite3_file *file)
{
	(void)file;
	return 0;
}

static const sqlite3_io_methods mem_methods = {
    .iVersion = 1,
    .xClose = mem_close,
    .xRead = mem_read,
    .xWrite = mem_write,
    .xTruncate = mem_truncate,
    .xSync = mem_sync,
    .xFileSize = mem_file_size,
    .xLock = mem_lock,
    .xUnlock = mem_lock,
    .xCheckReservedLock = mem_check_reserved,
    .xFileControl = mem_file_control,
    .xSectorSize = mem_sector_size,
    .xDeviceCharacteristics = mem_device_characteristics,
};

/* ---- the database file and its WAL ---------------------------------------- */

/* A database file or a WAL is the default VFS's own file object, at the
 * start of ours. After it, at extra_offset, we keep one of these: a copy of
 * its methods in which a few are ours, and the default's own, which ours
 * call on the same file object. */
typedef struct {
	sqlite3_io_methods methods;
	const sqlite3_io_methods *own;
} wrapped;

typedef struct walextra walextra;

/* A database file: its WAL while that is open (see db_shm_lock). */
typedef struct {
	wrapped w;
	walextra *wal;
} dbextra;

/* A WAL (see the top): the frames appended but not yet written. */
struct walextra {
	wrapped w;
	dbextra *db;        /* its database file's, or NULL if not ours */
	unsigned char *buf; /* owned, WAL_BUF bytes, from the first frame on */
	size_t len;         /* bytes waiting in buf */
	sqlite3_int64 at;   /* where buf[0] goes in the file */
	sqlite3_int64 next; /* where the last write ended; -1: unknown */
	bool in_frame;      /* the last write was a frame header, gathered */
	bool commits;       /* ... and that frame commits a transaction */
};

_Static_assert(sizeof(dbextra) <= sizeof(walextra), "storage is sized for the larger");

static size_t extra_offset;

static void *
extra_of(sqlite3_file *file)
{
	return (char *)file + extra_offset;
}

/* Opens `file` with the default VFS and puts x's copy of its methods in
 * front, for the caller to put some of ours in. */
static int
wrap_open(const char *name, sqlite3_file *file, int flags, int *out_flags, wrapped *x)
{
	int rc = dflt->xOpen(dflt, name, file, flags, out_flags);

	if (rc != SQLITE_OK)
		return rc;
	x->own = file->pMethods;
	x->methods = *x->own;
	file->pMethods = &x->methods;
	return SQLITE_OK;
}

static int
db_close(sqlite3_file *file)
{
	dbextra *x = extra_of(file);

	if (x->wal != NULL)
		x->wal->db = NULL;
	return x->w.own->xClose(file);
}

/* The WAL's write lock (slot 0 of the wal-index locks, in SQLite's WAL
 * format) is released when a write transaction ends. A commit has written
 * its frames out by then; frames still gathered belong to a transaction
 * that rolled back (pages it spilled), and another connection may now
 * write its own commit where they would go: they are dropped, unwritten. */
static int
db_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	dbextra *x = extra_of(file);

	if (offset == 0 && flags == (SQLITE_SHM_UNLOCK | SQLITE_SHM_EXCLUSIVE) && x->wal != NULL)
		x->wal->len = 0;
	return x->w.own->xShmLock(file, offset, n, flags);
}

static int
db_open(const char *name, sqlite3_file *file, int flags, int *out_flags)
{
	dbextra *x = extra_of(file);
	int rc = wrap_open(name, file, flags, out_flags, &x->w);

	if (rc != SQLITE_OK)
		return rc;
	x->wal = NULL;
	x->w.methods.xClose = db_close;
	if (x->w.own->iVersion >= 2) /* no shared memory, no WAL */
		x->w.methods.xShmLock = db_shm_lock;
	return SQLITE_OK;
}

static int
wal_write_real(sqlite3_file *file, const void *in, size_t amt, sqlite3_int64 off)
{
	walextra *w = extra_of(file);

	atomic_fetch_add(&wal_done, 1);
	return w->w.own->xWrite(file, in, (int)amt, off);
}

/* Writes out what is gathered, in order. What could not be written stays
 * (SQLite was told those frames were written: a spilled page it may read
 * back, or the frames before a commit) and goes first at the next try; the
 * caller's xWrite/xRead/xSync fails meanwhile, so no commit frame can reach
 * the file before them. A transaction that ends without committing leaves
 * its frames to db_shm_lock(), which drops them. */
static int
wal_flush(sqlite3_file *file)
{
	walextra *w = extra_of(file);
	size_t done = 0;
	int rc = SQLITE_OK;

	while (done < w->len && rc == SQLITE_OK) {
		size_t n = w->len - done < WRITE_MAX ? w->len - done : WRITE_MAX;

		if ((rc = wal_write_real(file, w->buf + done, n, w->at + (sqlite3_int64)done)) ==
		    SQLITE_OK)
			done += n;
	}
	if (rc != SQLITE_OK) {
		memmove(w->buf, w->buf + done, w->len - done);
		w->at += (sqlite3_int64)done;
		w->len -= done;
		w->next = -1; /* what comes next goes straight, after a retry */
		w->in_frame = false;
		return rc;
	}
	w->len = 0;
	return SQLITE_OK;
}

static int
wal_write(sqlite3_file *file, const void *in, int amt, sqlite3_int64 off)
{
	walextra *w = extra_of(file);
	bool page = w->in_frame && off == w->next;
	bool header = !w->in_frame && amt == FRAME_HDR && off == w->next;
	int rc;

	atomic_fetch_add(&wal_asked, 1);
	if ((!page && !header) || (size_t)amt > WAL_BUF) {
		/* Not the next part of a frame: straight to the file. */
		if ((rc = wal_flush(file)) != SQLITE_OK)
			return rc;
		w->in_frame = false;
		rc = wal_write_real(file, in, (size_t)amt, off);
		w->next = rc == SQLITE_OK ? off + amt : -1;
		return rc;
	}
	if (w->buf == NULL && (w->buf = malloc(WAL_BUF)) == NULL)
		return SQLITE_IOERR_NOMEM;
	if (w->len + (size_t)amt > WAL_BUF && (rc = wal_flush(file)) != SQLITE_OK)
		return rc;
	if (w->len == 0)
		w->at = off;
	memcpy(w->buf + w->len, in, (size_t)amt);
	w->len += (size_t)amt;
	w->next = off + amt;
	if (header) {
		const unsigned char *h = in;

		w->in_frame = true;
		w->commits = (h[4] | h[5] | h[6] | h[7]) != 0;
		return SQLITE_OK;
	}
	w->in_frame = false;
	return w->commits ? wal_flush(file) : SQLITE_OK;
}

static int
wal_close(sqlite3_file *file)
{
	walextra *w = extra_of(file);
	int rc = wal_flush(file);
	int rc2 = w->w.own->xClose(file);

	if (w->db != NULL)
		w->db->wal = NULL;
	free(w->buf);
	w->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

/* The rest of what reads or changes the file writes out the frames first. */
static int
wal_read(sqlite3_file *file, void *out, int amt, sqlite3_int64 off)
{
	int rc = wal_flush(file);

	return rc != SQLITE_OK ? rc
	                       : ((walextra *)extra_of(file))->w.own->xRead(file, out, amt, off);
}

static int
wal_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	walextra *w = extra_of(file);
	int rc = wal_flush(file);

	w->next = -1;
	w->in_frame = false;
	return rc != SQLITE_OK ? rc : w->w.own->xTruncate(file, size);
}

static int
wal_sync(sqlite3_file *file, int flags)
{
	int rc = wal_flush(file);

	return rc != SQLITE_OK ? rc : ((walextra *)extra_of(file))->w.own->xSync(file, flags);
}

static int
wal_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	int rc = wal_flush(file);

	return rc != SQLITE_OK ? rc : ((walextra *)extra_of(file))->w.own->xFileSize(file, size);
}

static int
wal_file_control(sqlite3_file *file, int op, void *arg)
{
	int rc = wal_flush(file);

	return rc != SQLITE_OK ? rc
	                       : ((walextra *)extra_of(file))->w.own->xFileControl(file, op, arg);
}

static int
wal_open(const char *name, sqlite3_file *file, int flags, int *out_flags)
{
	walextra *w = extra_of(file);
	sqlite3_file *db;
	int rc = wrap_open(name, file, flags, out_flags, &w->w);

	if (rc != SQLITE_OK)
		return rc;
	w->db = NULL;
	w->buf = NULL;
	w->len = 0;
	w->next = -1;
	w->in_frame = w->commits = false;
	w->w.methods.xClose = wal_close;
	w->w.methods.xRead = wal_read;
	w->w.methods.xWrite = wal_write;
	w->w.methods.xTruncate = wal_truncate;
	w->w.methods.xSync = wal_sync;
	w->w.methods.xFileSize = wal_file_size;
	w->w.methods.xFileControl = wal_file_control;
	/* SQLite opens a WAL for a database file it opened through us. */
	if ((db = sqlite3_database_file_object(name)) != NULL &&
	    db->pMethods == &((dbextra *)extra_of(db))->w.methods &&
	    db->pMethods->xShmLock == db_shm_lock) {
		w->db = extra_of(db);
		w->db->wal = w;
	}
	return SQLITE_OK;
}

/* Every file but a sub-journal and a WAL is the default VFS's own. */
static int
vfs_open(sqlite3_vfs *v, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
	memfile *f = (memfile *)file;

	(void)v;
	if (flags & SQLITE_OPEN_WAL)
		return wal_open(name, file, flags, out_flags);
	if (flags & SQLITE_OPEN_MAIN_DB)
		return db_open(name, file, flags, out_flags);
	if (!(flags & SQLITE_OPEN_SUBJOURNAL))
		return dflt->xOpen(dflt, name, file, flags, out_flags);
	memset(f, 0, sizeof *f);
	f->base.pMethods = &mem_methods;
	pool_take(f);
	if (out_flags != NULL)
		*out_flags = flags;
	return SQLITE_OK;
}

/* The rest of the VFS is the default's. */
static int
vfs_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
	(void)v;
	return dflt->xDelete(dflt, name, sync_dir);
}

static int
vfs_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	(void)v;
	return dflt->xAccess(dflt, name, flags, out);
}

static int
vfs_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
	(void)v;
	return dflt->xFullPathname(dflt, name, n, out);
}

static void *
vfs_dlopen(sqlite3_vfs *v, const char *name)
{
	(void)v;
	return dflt->xDlOpen(dflt, name);
}

static void
vfs_dlerror(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	dflt->xDlError(dflt, n, out);
}

static void (*vfs_dlsym(sqlite3_vfs *v, void *lib, const char *sym))(void)
{
	(void)v;
	return dflt->xDlSym(dflt, lib, sym);
}

static void
vfs_dlclose(sqlite3_vfs *v, void *lib)
{
	(void)v;
	dflt->xDlClose(dflt, lib);
}

static int
vfs_randomness(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return dflt->xRandomness(dflt, n, out);
}

static int
vfs_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return dflt->xSleep(dflt, us);
}

static int
vfs_current_time(sqlite3_vfs *v, double *out)
{
	(void)v;
	return dflt->xCurrentTime(dflt, out);
}

static int
vfs_last_error(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return dflt->xGetLastError(dflt, n, out);
}

static int
vfs_current_time_int64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	(void)v;
	return dflt->xCurrentTimeInt64(dflt, out);
}

static int registered = SQLITE_ERROR;

static void
register_vfs(void)
{
	size_t size;

	/* SQLite's own in-memory first 64 KiB would only sit in front of
	 * ours; 0 sends every sub-journal straight to vfs_open(). This fails
	 * (harmlessly) once SQLite is initialized: then the first 64 KiB are
	 * copied to us on the way. It holds for the whole process: every
	 * connection the store opens goes through this VFS. */
	sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, 0);
	/* Likewise process-wide, and before the first connection: SQLite's
	 * memory statistics (which the store never reads) put one global
	 * mutex around every allocation of every connection, and readers
	 * ranking searches side by side queued on it (futex waits in perf),
	 * so readers that share nothing else still took turns. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if ((dflt = sqlite3_vfs_find(NULL)) == NULL || dflt->iVersion < 2)
		return;
	real_offset = (sizeof(memfile) + 15) & ~(size_t)15;
	extra_offset = ((size_t)dflt->szOsFile + 15) & ~(size_t)15;
	size = real_offset + (size_t)dflt->szOsFile;
	if (size < extra_offset + sizeof(walextra))
		size = extra_offset + sizeof(walextra);
	vfs = (sqlite3_vfs){
	    .iVersion = 2,
	    .szOsFile = (int)size,
	    .mxPathname = dflt->mxPathname,
	    .zName = VFS_NAME,
	    .xOpen = vfs_open,
	    .xDelete = vfs_delete,
	    .xAccess = vfs_access,
	    .xFullPathname = vfs_full_pathname,
	    .xDlOpen = vfs_dlopen,
	    .xDlError = vfs_dlerror,
	    .xDlSym = vfs_dlsym,
	    .xDlClose = vfs_dlclose,
	    .xRandomness = vfs_randomness,
	    .xSleep = vfs_sleep,
	    .xCurrentTime = vfs_current_time,
	    .xGetLastError = vfs_last_error,
	    .xCurrentTimeInt64 = vfs_current_time_int64,
	};
	registered = sqlite3_vfs_register(&vfs, 0);
}

const char *
store_sqlite_vfs(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, register_vfs);
	return registered == SQLITE_OK ? VFS_NAME : NULL;
}

int64_t
store_sqlite_vfs_spills(void)
{
	return atomic_load(&spills);
}

void
store_sqlite_vfs_wal_writes(int64_t *asked, int64_t *done)
{
	*asked = atomic_load(&wal_asked);
	*done = atomic_load(&wal_done);
}
