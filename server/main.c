/*
 * main.c: jobsd's flags, signals, start-up and orderly shutdown. Nothing else.
 *
 * Start: parse flags -> lock the database (SQLite: one jobsd per database;
 * any number share a PostgreSQL one) -> open and migrate it -> check
 * --read-db's standbys -> decide on a legacy import (legacy_startup.c) -> start
 * the lanes (reader and writer threads) -> start rpc (socket, contexts,
 * listeners) -> start HTTP, if asked (http.c) -> start the legacy import, if
 * any -> wait for SIGINT or SIGTERM.
 * Stop: drain (new calls get UNAVAILABLE, calls in flight finish, for at most
 * --drain-timeout) -> stop HTTP -> wait for the legacy import -> stop the lanes
 * (answering what is still queued) -> close the socket -> the writer
 * checkpoints and closes the database -> exit 0.
 */
#include "clock.h"
#include "dispatch.h"
#include "files.h"
#include "http.h"
#include "lanes.h"
#include "legacy_startup.h"
#include "log.h"
#include "replycache.h"
#include "rpc.h"
#include "status.h"
#include "store.h"

#include <mbedtls/sha256.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_URL "tcp://127.0.0.1:7460"

static const char usage[] =
    "Usage: jobsd [OPTIONS]\n"
    "\n"
    "Serves video-ad campaign jobs over nng req/rep (see proto/README.md).\n"
    "\n"
    "  -l, --listen URL          listen on URL (tcp://HOST:PORT or ipc:///PATH);\n"
    "                            repeat for more; default " DEFAULT_URL "\n"
    "      --http URL            also serve HTTP on URL (http://HOST:PORT, or https://\n"
    "                            with --tls-cert and --tls-key): the legacy /campaigns\n"
    "                            routes as JSON, /metrics, /healthz, /readyz; off by\n"
    "                            default\n"
    "  -d, --db PATH|URI         the database: a SQLite file, default\n"
    "                            $XDG_DATA_HOME/jobsd/jobs.db (~/.local/share/jobsd/jobs.db);\n"
    "                            or PostgreSQL: a libpq URI, postgresql://[user@]host[:port]/db\n"
    "                            (libpq's PG* environment fills in what it leaves out);\n"
    "                            of several hosts (postgresql://h1,h2,h3/db) jobsd uses\n"
    "                            the one that takes writes, and finds it again after a\n"
    "                            failover\n"
    "      --read-db URI         PostgreSQL: serve reads (GetJob, ListJobs, SearchJobs,\n"
    "                            GetStats) from these hot standbys of --db, which may\n"
    "                            lag behind it (a write may not show there at once)\n"
    "  -w, --workers N           reader threads for slow reads; default 2 per CPU, 2..16\n"
    "      --max-message-size N  largest request in bytes (K and M suffixes: KiB, MiB);\n"
    "                            default 1M\n"
    "      --max-inflight N      calls served at once before RESOURCE_EXHAUSTED; default 128\n"
    "      --max-batch N         most writes in one group commit; default 256 on SQLite,\n"
    "                            1 on PostgreSQL (its writers run side by side)\n"
    "      --writers N           connections that write side by side (PostgreSQL; SQLite\n"
    "                            has one writer); default 16\n"
    "      --reply-cache-mib N   GetJob keeps up to N MiB of jobs it read, encoded, and\n"
    "                            answers them from memory until they are written; only\n"
    "                            for a database no other jobsd writes; 0: off; default 32\n"
    "      --mmap-mib N          readers map up to N MiB of the database (mmap): faster\n"
    "                            searches of a large database, but each reader's mapped\n"
    "                            pages count in jobsd's resident memory; default 0 (off)\n"
    "      --sync MODE           full (default): every acknowledged write survives a crash\n"
    "                            of jobsd or of the machine (answered after the fsync of\n"
    "                            its group, which overlaps the next group's work unless\n"
    "                            --max-batch is 1); normal: survives a crash of\n"
    "                            jobsd, the last writes may be lost on power loss; off:\n"
    "                            no fsync at all, a power loss may corrupt the database\n"
    "      --drain-timeout MS    at SIGINT/SIGTERM, wait this long for calls in flight;\n"
    "                            default 10000\n"
    "      --dedup-window S      remember the answer to each write for S seconds, so that\n"
    "                            a retry with the same request_id gets it instead of\n"
    "                            writing twice; default 900\n"
    "      --backup-dir DIR      where Backup writes and --restore reads, nowhere else;\n"
    "                            default backups/ beside the database (made 0700)\n"
    "      --restore BACKUP      replace the database with BACKUP (from jobsctl backup: a\n"
    "                            name in the backup folder) and exit; refused while a\n"
    "                            jobsd uses the database\n"
    "      --token-file PATH     require this bearer token (the file's content, trailing\n"
    "                            whitespace removed) on every call but Health\n"
    "      --tls-cert PEM        certificate for tls+tcp://HOST:PORT and https:// listeners\n"
    "      --tls-key PEM         its private key\n"
    "      --tls-ca PEM          require client certificates signed by this CA\n"
    "      --log-level LEVEL     debug, info (default), warn or error\n"
    "      --import-legacy PATH  import a legacy store (as jobsctl import PATH) at start-up\n"
    "      --no-legacy-migration\n"
    "                            do not migrate $HOME/.zyra-video-agent into an empty\n"
    "                            database at start-up (done once, by default;\n"
    "                            --legacy-migration: do, the last one given wins)\n"
    "  -h, --help                this text\n"
    "  -V, --version             the version\n";

struct config {
	const char **urls;
	size_t n_urls;
	const char *http_url;
	char *db_path;
	int workers;
	size_t max_message_bytes;
	int max_inflight;
	int max_batch;
	bool max_batch_given; /* else the engine's own default (store_traits) */
	int writers;          /* 0: the engine's own */
	int mmap_mib;
	int reply_cache_mib;
	enum store_sync sync;
	int drain_timeout_ms;
	int dedup_window_s;
	const char *read_db; /* --read-db: NULL, or a URI of hot standbys */
	const char *restore_from;
	const char *backup_dir; /* NULL: backups/ beside the database */
	const char *token_file;
	const char *tls_cert, *tls_key, *tls_ca;
	const char *import_legacy;
	bool no_legacy_migration;
};

static void __attribute__((noreturn, format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("jobsd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'jobsd --help'.\n", stderr);
	exit(2);
}

static long
parse_number(const char *flag, const char *s, long min, long max, bool size_suffix)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (size_suffix && (*end == 'K' || *end == 'k') && end[1] == '\0' && v < LONG_MAX / 1024)
		v *= 1024, end++;
	else if (size_suffix && (*end == 'M' || *end == 'm') && end[1] == '\0' &&
	         v < LONG_MAX / (1024 * 1024))
		v *= 1024 * 1024, end++;
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		usage_error("%s wants a number from %ld to %ld, not '%s'", flag, min, max, s);
	return v;
}

/* $XDG_DATA_HOME/jobsd/jobs.db, else ~/.local/share/jobsd/jobs.db. Malloc'd. */
static char *
default_db_path(void)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	char *path;

	if (xdg != NULL && xdg[0] == '/') {
		if (asprintf(&path, "%s/jobsd/jobs.db", xdg) < 0)
			return NULL;
	} else if (home != NULL && home[0] != '\0') {
		if (asprintf(&path, "%s/.local/share/jobsd/jobs.db", home) < 0)
			return NULL;
	} else {
		return NULL;
	}
	return path;
}

/* mkdir -p of the directory part of `path`, private to the user. */
static int
make_parent_dirs(const char *path)
{
	char dir[PATH_MAX];

	if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
		return -1;
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

/*
 * The backup folder: --backup-dir, else backups/ beside the database, made
 * (0700, with its parents) when missing. Returns its absolute path,
 * malloc'd: the caller's. NULL after logging why.
 */
static char *
backup_folder(const struct config *cfg)
{
	char db_dir[PATH_MAX], dir[PATH_MAX], *abs;
	struct stat sb;

	snprintf(db_dir, sizeof db_dir, "%s", cfg->db_path);
	if (snprintf(dir, sizeof dir, "%s/",
	             cfg->backup_dir != NULL ? cfg->backup_dir : dirname(db_dir)) >=
	        (int)sizeof dir ||
	    (cfg->backup_dir == NULL && strlen(dir) + sizeof "backups/" > sizeof dir)) {
		log_error("the backup folder's path is too long");
		return NULL;
	}
	if (cfg->backup_dir == NULL)
		strcat(dir, "backups/");
	if (make_parent_dirs(dir) != 0 || (abs = realpath(dir, NULL)) == NULL) {
		log_error("cannot make the backup folder %s: %s", dir, strerror(errno));
		return NULL;
	}
	if (stat(abs, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		log_error("the backup folder %s is not a folder", abs);
		free(abs);
		return NULL;
	}
	return abs;
}

/* --restore's BACKUP as a path inside the backup folder `dir`: a name in it,
 * or an absolute path under it (as jobsctl backup prints them). Returns 0, or
 * -1 after logging why. */
static int
restore_path(const char *dir, const char *from, char *out, size_t outlen)
{
	size_t n = strlen(dir);
	int e;

	if (strncmp(from, dir, n) == 0 && from[n] == '/')
		from += n + 1;
	if ((e = files_beneath(dir, from, FILES_EXISTING, out, outlen)) != 0) {
		if (e == EPERM)
			log_error("restore: %s is not inside the backup folder %s (--backup-dir); "
			          "copy it there first",
			          from, dir);
		else
			log_error("restore: %s in %s: %s", from, dir,
			          e == EINVAL ? "not a regular file" : strerror(e));
		return -1;
	}
	return 0;
}

static void
parse_flags(int argc, char **argv, struct config *cfg)
{
	enum {
		OPT_MAX_MSG = 256,
		OPT_MAX_INFLIGHT,
		OPT_MAX_BATCH,
		OPT_WRITERS,
		OPT_MMAP,
		OPT_REPLY_CACHE,
		OPT_SYNC,
		OPT_DRAIN,
		OPT_LOG,
		OPT_TOKEN,
		OPT_TLS_CERT,
		OPT_TLS_KEY,
		OPT_TLS_CA,
		OPT_DEDUP,
		OPT_RESTORE,
		OPT_BACKUP_DIR,
		OPT_IMPORT,
		OPT_NO_MIGRATION,
		OPT_MIGRATION,
		OPT_HTTP,
		OPT_READ_DB
	};

	static const struct option options[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"http", required_argument, NULL, OPT_HTTP},
	    {"db", required_argument, NULL, 'd'},
	    {"read-db", required_argument, NULL, OPT_READ_DB},
	    {"workers", required_argument, NULL, 'w'},
	    {"max-message-size", required_argument, NULL, OPT_MAX_MSG},
	    {"max-inflight", required_argument, NULL, OPT_MAX_INFLIGHT},
	    {"max-batch", required_argument, NULL, OPT_MAX_BATCH},
	    {"writers", required_argument, NULL, OPT_WRITERS},
	    {"mmap-mib", required_argument, NULL, OPT_MMAP},
	    {"reply-cache-mib", required_argument, NULL, OPT_REPLY_CACHE},
	    {"sync", required_argument, NULL, OPT_SYNC},
	    {"drain-timeout", required_argument, NULL, OPT_DRAIN},
	    {"log-level", required_argument, NULL, OPT_LOG},
	    {"token-file", required_argument, NULL, OPT_TOKEN},
	    {"dedup-window", required_argument, NULL, OPT_DEDUP},
	    {"restore", required_argument, NULL, OPT_RESTORE},
	    {"backup-dir", required_argument, NULL, OPT_BACKUP_DIR},
	    {"import-legacy", required_argument, NULL, OPT_IMPORT},
	    {"no-legacy-migration", no_argument, NULL, OPT_NO_MIGRATION},
	    {"legacy-migration", no_argument, NULL, OPT_MIGRATION},
	    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
	    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
	    {"tls-ca", required_argument, NULL, OPT_TLS_CA},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int c;

	cfg->workers = ncpu < 1 ? 2 : ncpu > 8 ? 16 : (int)ncpu * 2;
	if (cfg->workers < 2)
		cfg->workers = 2;
	cfg->max_message_bytes = 1 << 20;
	cfg->max_inflight = 128;
	cfg->reply_cache_mib = 32;
	cfg->max_batch = 256;
	cfg->sync = STORE_SYNC_FULL;
	cfg->drain_timeout_ms = 10000;
	cfg->dedup_window_s = 900;
	cfg->urls = calloc((size_t)argc + 2, sizeof *cfg->urls); /* + default, + inproc */
	if (cfg->urls == NULL)
		usage_error("out of memory");

	while ((c = getopt_long(argc, argv, "l:d:w:hV", options, NULL)) != -1) {
		switch (c) {
		case 'l':
			cfg->urls[cfg->n_urls++] = optarg;
			break;
		case OPT_HTTP:
			cfg->http_url = optarg;
			break;
		case 'd':
			free(cfg->db_path);
			if ((cfg->db_path = strdup(optarg)) == NULL)
				usage_error("out of memory");
			break;
		case OPT_READ_DB:
			cfg->read_db = optarg;
			break;
		case 'w':
			cfg->workers = (int)parse_number("--workers", optarg, 1, 256, false);
			break;
		case OPT_MAX_MSG:
			cfg->max_message_bytes = (size_t)parse_number("--max-message-size", optarg,
			                                              1024, 256L << 20, true);
			break;
		case OPT_MAX_INFLIGHT:
			cfg->max_inflight =
			    (int)parse_number("--max-inflight", optarg, 1, 65536, false);
			break;
		case OPT_MAX_BATCH:
			cfg->max_batch = (int)parse_number("--max-batch", optarg, 1, 65536, false);
			cfg->max_batch_given = true;
			break;
		case OPT_WRITERS:
			cfg->writers = (int)parse_number("--writers", optarg, 1, 256, false);
			break;
		case OPT_REPLY_CACHE:
			cfg->reply_cache_mib =
			    (int)parse_number("--reply-cache-mib", optarg, 0, 65536, false);
			break;
		case OPT_MMAP:
			cfg->mmap_mib = (int)parse_number("--mmap-mib", optarg, 0, 2047, false);
			break;
		case OPT_SYNC:
			if (strcmp(optarg, "off") == 0)
				cfg->sync = STORE_SYNC_OFF;
			else if (strcmp(optarg, "normal") == 0)
				cfg->sync = STORE_SYNC_NORMAL;
			else if (strcmp(optarg, "full") == 0)
				cfg->sync = STORE_SYNC_FULL;
			else
				usage_error("--sync wants off, normal or full, not '%s'", optarg);
			break;
		case OPT_DRAIN:
			cfg->drain_timeout_ms =
			    (int)parse_number("--drain-timeout", optarg, 0, 3600 * 1000, false);
			break;
		case OPT_LOG:
			if (strcmp(optarg, "debug") == 0)
				log_set_level(LOG_DEBUG);
			else if (strcmp(optarg, "info") == 0)
				log_set_level(LOG_INFO);
			else if (strcmp(optarg, "warn") == 0)
				log_set_level(LOG_WARN);
			else if (strcmp(optarg, "error") == 0)
				log_set_level(LOG_ERROR);
			else
				usage_error("--log-level wants debug, info, warn or error");
			break;
		case OPT_TOKEN:
			cfg->token_file = optarg;
			break;
		case OPT_RESTORE:
			cfg->restore_from = optarg;
			break;
		case OPT_BACKUP_DIR:
			cfg->backup_dir = optarg;
			break;
		case OPT_IMPORT:
			cfg->import_legacy = optarg;
			break;
		case OPT_NO_MIGRATION:
		case OPT_MIGRATION: /* the last one given wins */
			cfg->no_legacy_migration = c == OPT_NO_MIGRATION;
			break;
		case OPT_DEDUP:
			cfg->dedup_window_s =
			    (int)parse_number("--dedup-window", optarg, 1, 7 * 24 * 3600, false);
			break;
		case OPT_TLS_CERT:
			cfg->tls_cert = optarg;
			break;
		case OPT_TLS_KEY:
			cfg->tls_key = optarg;
			break;
		case OPT_TLS_CA:
			cfg->tls_ca = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		case 'V':
			printf("jobsd %s\n", JOBS_VERSION);
			exit(0);
		default:
			fputs("Try 'jobsd --help'.\n", stderr);
			exit(2);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (cfg->n_urls == 0)
		cfg->urls[cfg->n_urls++] = DEFAULT_URL;
	if (cfg->db_path == NULL && (cfg->db_path = default_db_path()) == NULL)
		usage_error("no --db given and neither XDG_DATA_HOME nor HOME is set");
	if (cfg->read_db != NULL && (store_engine_of(cfg->read_db) != STORE_POSTGRESQL ||
	                             store_engine_of(cfg->db_path) != STORE_POSTGRESQL))
		usage_error("--read-db takes a postgresql:// URI of hot standbys, beside a --db on "
		            "PostgreSQL (a SQLite database has no standbys)");
}

/*
 * --read-db: its server must be a hot standby (of --db's primary, whose
 * schema it has). A standby a moment behind a database the writer just
 * made waits for it, up to 10 s. Returns 0, or -1 after logging why.
 */
static int
check_read_db(const struct config *cfg)
{
	store_options opt = {.reader = true, .replica = true, .sync = cfg->sync};
	char shown[512], err[512];
	store *st = NULL;
	bool standby = false;
	int rv;

	store_describe(cfg->read_db, shown, sizeof shown);
	for (int i = 0; i < 100; i++) {
		if ((rv = store_open(&st, cfg->read_db, &opt, err, sizeof err)) !=
		    ST(FAILED_PRECONDITION))
			break;
		usleep(100 * 1000);
	}
	if (rv == 0 && (rv = store_is_standby(st, &standby)) != 0)
		snprintf(err, sizeof err, "%s", store_errmsg(st));
	store_close(st);
	if (rv != 0) {
		log_error("--read-db %s: %s", shown, err);
		return -1;
	}
	if (!standby) {
		log_error("--read-db %s is a primary (it takes writes), not a hot standby: name "
		          "standbys of --db's primary there, or leave --read-db out to read from "
		          "the primary",
		          shown);
		return -1;
	}
	return 0;
}

/*
 * Reads the bearer token from `path` (its content minus trailing whitespace)
 * into the digest calls are checked against; the token itself is wiped.
 * Returns 0, or -1 after logging why.
 */
static int
load_token(const char *path, struct server_info *info)
{
	char buf[4097];
	struct stat sb;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		log_error("cannot read the token file %s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, buf, sizeof buf);
	if (fstat(fd, &sb) == 0 && (sb.st_mode & 077) != 0)
		log_warn("the token file %s can be read by others (mode %o); chmod 600 it", path,
		         (unsigned)(sb.st_mode & 0777));
	close(fd);
	while (n > 0 && strchr(" \t\r\n", buf[n - 1]) != NULL)
		n--;
	if (n <= 0 || n >= (ssize_t)sizeof buf) {
		log_error("the token file %s must hold a token of 1 to 4096 bytes", path);
		return -1;
	}
	mbedtls_sha256_ret((const unsigned char *)buf, (size_t)n, info->token_sha256, 0);
	memset(buf, 0, sizeof buf);
	info->need_token = true;
	return 0;
}

/*
 * Every HTTP connection holds a descriptor for as long as its client keeps
 * it open, even one that sends nothing (nng's server has no time limit on a
 * request's head): with the usual soft limit of 1024, a thousand idle
 * connections would leave the listeners unable to accept, nng's accept loop
 * spinning. The hard limit is there to be used.
 */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			log_warn("cannot raise the limit of open files: %s", strerror(errno));
	}
}

/*
 * One jobsd per database: an exclusive flock on DB.lock, held until exit,
 * with our pid in it for the message the next one prints. Returns the fd, or
 * -1 after printing why.
 */
static int
lock_database(const char *db_path)
{
	char lock[PATH_MAX], pid[32] = "";
	int fd;
	ssize_t n;

	snprintf(lock, sizeof lock, "%s.lock", db_path);
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		log_error("cannot create %s: %s", lock, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		n = pread(fd, pid, sizeof pid - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		log_error("another jobsd%s%s%s is using %s; one jobsd per database",
		          *pid ? " (pid " : "", pid, *pid ? ")" : "", db_path);
		close(fd);
		return -1;
	}
	n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		log_warn("cannot write the pid into %s", lock);
	return fd;
}

int
main(int argc, char **argv)
{
	struct config cfg = {0};
	struct server_info info = {.version = JOBS_VERSION};
	store_options wopt = {0};
	struct lanes_options lopt = {0};
	struct rpc_options ropt = {0};
	lanes *ln = NULL;
	rpc *net = NULL;
	http *web = NULL;
	legacy_startup *legacy = NULL;
	store *writer = NULL;
	char err[512], shown[512], *backup_dir = NULL;
	sigset_t sigs;
	struct store_traits engine;
	int lock_fd = -1, sig, left, status, schema;
	int64_t drain_until;

	parse_flags(argc, argv, &cfg);

	/* Requests up to --max-message-size (1 MiB) and their answers are
	 * allocated by whichever nng thread handles them. glibc raises its mmap
	 * threshold after such a block is freed, and from then on keeps large
	 * blocks in each thread's arena: a long run of big batches left ~9 MiB
	 * behind. A fixed threshold maps every block of 128 KiB or more and
	 * gives it back when freed. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);

	/* Signals are taken by sigwait() below: block them before any thread
	 * (ours or nng's) exists, so that every thread inherits the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (cfg.token_file != NULL && load_token(cfg.token_file, &info) != 0) {
		status = 1;
		goto out;
	}
	if (dispatch_init(err, sizeof err) != 0) {
		log_error("the dispatch table does not match the contract: %s", err);
		status = 1;
		goto out;
	}
	/* Logs name the database without a password a URI may hold. */
	store_describe(cfg.db_path, shown, sizeof shown);
	/* A SQLite database has one writer, so one jobsd; a database server
	 * takes many (and its URI is no file to make folders for). */
	if (store_engine_of(cfg.db_path) == STORE_SQLITE) {
		if (make_parent_dirs(cfg.db_path) != 0) {
			log_error("cannot create the directory of %s: %s", cfg.db_path,
			          strerror(errno));
			status = 1;
			goto out;
		}
		if ((lock_fd = lock_database(cfg.db_path)) < 0) {
			status = 1;
			goto out;
		}
	}

	/* Backups are files of SQLite's; a database server has tools of its
	 * own (store_backup() names them). */
	if (store_engine_of(cfg.db_path) == STORE_SQLITE &&
	    (info.backup_dir = backup_dir = backup_folder(&cfg)) == NULL) {
		status = 1;
		goto out;
	}
	if (cfg.restore_from != NULL) {
		char from[PATH_MAX];
		int64_t jobs = 0;

		if (backup_dir == NULL) /* not SQLite: store_restore() says what to use */
			snprintf(from, sizeof from, "%s", cfg.restore_from);
		else if (restore_path(backup_dir, cfg.restore_from, from, sizeof from) != 0) {
			status = 1;
			goto out;
		}
		if (store_restore(cfg.db_path, from, &jobs, err, sizeof err) != 0) {
			log_error("restore: %s", err);
			status = 1;
			goto out;
		}
		log_info("restored %s (%lld jobs) into %s; the database it replaced, if any, is "
		         "kept beside it as %s.before-restore-*",
		         from, (long long)jobs, shown, shown);
		status = 0;
		goto out;
	}

	wopt.sync = cfg.sync;
	wopt.background_checkpoints = true; /* the lanes' checkpointer does them */
	/* Group commit overlaps a group's fsync with the next group's work (the
	 * lanes' syncer); --max-batch 1 is one durable commit per write, in
	 * turn, with nothing overlapped: the baseline group commit is measured
	 * against. */
	wopt.deferred_sync = cfg.max_batch > 1;
	if (store_open(&writer, cfg.db_path, &wopt, err, sizeof err) != 0) {
		log_error("%s", err);
		status = 1;
		goto out;
	}
	if (cfg.read_db != NULL && check_read_db(&cfg) != 0) {
		store_close(writer);
		status = 1;
		goto out;
	}
	if (legacy_startup_plan(writer, cfg.import_legacy, !cfg.no_legacy_migration, cfg.token_file,
	                        &legacy) != 0) {
		store_close(writer);
		status = 1;
		goto out;
	}
	if (legacy != NULL)
		cfg.urls[cfg.n_urls++] = legacy_startup_url(legacy);
	/* A cache is only right while no one else writes the database. */
	if (cfg.reply_cache_mib > 0 && !store_traits(writer).exclusive)
		log_info("GetJob's reply cache is off: other jobsd may write %s", shown);
	else if (cfg.reply_cache_mib > 0 &&
	         replycache_new(&info.replies, (size_t)cfg.reply_cache_mib << 20) != 0)
		log_warn("no memory for GetJob's reply cache: serving without it");
	info.started_us = clock_now_us();
	info.max_message_bytes = (uint32_t)cfg.max_message_bytes;
	info.max_inflight = cfg.max_inflight;
	lopt.db_path = cfg.db_path;
	lopt.read_db_path = cfg.read_db;
	lopt.reader.replica = cfg.read_db != NULL;
	lopt.reader.reader = true;
	lopt.reader.sync = cfg.sync; /* for the checkpointer's connection */
	lopt.reader.mmap_mib = cfg.mmap_mib;
	lopt.readers = cfg.workers;
	engine = store_traits(writer);
	schema = store_schema_version(writer);
	lopt.writer = wopt;
	lopt.writers = engine.writers;
	if (cfg.writers > 0 && lopt.writers > 1)
		lopt.writers = cfg.writers;
	lopt.max_batch = cfg.max_batch_given || engine.batch == 0 ? cfg.max_batch : engine.batch;
	lopt.dedup_window_us = (int64_t)cfg.dedup_window_s * 1000000;
	if (lanes_start(&ln, writer, &lopt, err, sizeof err) != 0) {
		log_error("%s", err);
		legacy_startup_finish(legacy);
		status = 1;
		goto out;
	}

	ropt.urls = cfg.urls;
	ropt.n_urls = cfg.n_urls;
	ropt.max_message_bytes = cfg.max_message_bytes;
	ropt.lanes = ln;
	ropt.info = &info;
	ropt.tls_cert = cfg.tls_cert;
	ropt.tls_key = cfg.tls_key;
	ropt.tls_ca = cfg.tls_ca;
	if (rpc_start(&net, &ropt, err, sizeof err) != 0) {
		log_error("%s", err);
		lanes_stop(ln);
		legacy_startup_finish(legacy);
		status = 1;
		goto out;
	}
	if (cfg.http_url != NULL) {
		struct http_options hopt = {
		    .url = cfg.http_url,
		    .max_body_bytes = cfg.max_message_bytes,
		    .lanes = ln,
		    .info = &info,
		    .tls_cert = cfg.tls_cert,
		    .tls_key = cfg.tls_key,
		    .tls_ca = cfg.tls_ca,
		};

		raise_fd_limit();
		if (http_start(&web, &hopt, err, sizeof err) != 0) {
			log_error("%s", err);
			lanes_stop(ln);
			rpc_stop(net);
			legacy_startup_finish(legacy);
			status = 1;
			goto out;
		}
	}
	if (legacy != NULL && legacy_startup_run(legacy) != 0)
		log_error("the legacy import did not start");
	if (cfg.read_db != NULL)
		store_describe(cfg.read_db, err, sizeof err);
	log_info("jobsd %s serving %s (%s schema %d, %d readers%s%s, %d writer%s, sync %s%s)",
	         JOBS_VERSION, shown, engine.engine, schema, cfg.workers,
	         cfg.read_db != NULL ? " on " : "", cfg.read_db != NULL ? err : "", lopt.writers,
	         lopt.writers == 1 ? "" : "s",
	         cfg.sync == STORE_SYNC_FULL     ? "full"
	         : cfg.sync == STORE_SYNC_NORMAL ? "normal"
	                                         : "off",
	         info.need_token ? ", token required" : "");

	if (sigwait(&sigs, &sig) != 0)
		sig = SIGTERM;
	log_info("%s: draining (at most %d ms)", strsignal(sig), cfg.drain_timeout_ms);
	drain_until = clock_now_us() + (int64_t)cfg.drain_timeout_ms * 1000;
	left = rpc_drain(net, cfg.drain_timeout_ms);
	/* Probes still ran while draining. Refuse them too now, and let those
	 * already admitted finish (rpc_drain again, in what is left of the same
	 * timeout), before lanes_stop() closes the stores they read: one run
	 * inline then read a freed store. */
	atomic_store(&info.closed, true);
	if (left == 0)
		left = rpc_drain(net, (int)((drain_until - clock_now_us()) / 1000));
	if (left > 0) {
		log_warn("%d calls still in flight after the drain timeout; stopping them", left);
		atomic_store(&info.stopping, true);
	}
	http_stop(web);                /* before the lanes: it waits for the calls they hold */
	legacy_startup_finish(legacy); /* its calls are answered UNAVAILABLE now */
	lanes_stop(ln);
	rpc_stop(net);
	replycache_free(info.replies);
	if (lock_fd >= 0)
		close(lock_fd);
	log_info("stopped cleanly");
	status = 0;
out:
	free(backup_dir);
	free(cfg.db_path);
	free(cfg.urls);
	return status;
}
