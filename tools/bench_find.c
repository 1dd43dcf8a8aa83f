/*
 * bench_find.c: how fast jobsd finds jobs at 10k, 100k and 1M jobs.
 *
 *   bench_find [--dir DIR] [--sizes N,N,...] [--rounds R] [--rebuild]
 *              [--mmap-mib N] [--cjk] [--pg URL [--pg-only] [--pg-seed-store]]
 *
 * For each size it builds (or reuses) DIR/find-N.db with N realistic jobs,
 * written straight through the store (store_job_insert in transactions of
 * 20,000: the same schema and triggers as jobsd's writes, without the round
 * trips), starts the real jobsd binary on it (a child process, ipc://
 * socket, --sync off, --mmap-mib N: default 0), and measures through
 * libjobsclient, one call at a time, R rounds of each operation after a
 * warm-up.
 *
 * With --pg URL (a PostgreSQL server's URI, as tools/pg.sh writes it),
 * each size is then measured again, the same calls on the same jobs, with
 * jobsd on PostgreSQL: the database find_N (find_cjk_N) on that server,
 * made by the store (its schema), then filled (or reused when it holds
 * the N jobs) set-based: COPY into a temporary table and the store's own
 * INSERT from it (pg_build(): the same rows, words, indexes and count
 * triggers as jobsd's writes, without a round trip a job; --pg-seed-store
 * writes them one by one through the store instead, as for SQLite, and
 * gives the same database, slower). Then its counts are folded
 * (store_tidy(), as jobsd's writer does once a second) and VACUUM ANALYZE
 * runs (what autovacuum does after many inserts and the fold's deletes;
 * here at once, so that no figure depends on when it ran). A database
 * just built is checked through jobsd's Check call before measuring. A
 * table then puts the two stores side by side, PostgreSQL's figures as
 * ratios of SQLite's. --pg-only measures PostgreSQL alone.
 *
 * The operations:
 *
 *   get                  GetJob of a random id
 *   list p1 / p1000      ListJobs, default order, first page / page 1,000
 *                        (page size 50; 10 at 10k jobs, which has only 200 pages of 50)
 *   list name p1000      ORDER_JOB_NAME, page 1,000
 *   list product p1      filter on the most common product, first page
 *   list rare+name p1    filter on a rare product, ORDER_JOB_NAME
 *   search rare word     top 20 of a word found in < 1% of jobs (cycles through several)
 *   search common word   top 20 of a word found in ~70% of jobs
 *   search prefix        top 20 of lant*, kett*, hamm* ...
 *   search substring     top 20 of ntern, ettl, ammo ... (trigram)
 *   stats                GetStats, defaults
 *   create               CreateJob of a generated job: the write cost of
 *                        the indexes, both FTS tables and the counters
 *
 * With --cjk, one job in ten is written in Chinese and Japanese instead
 * (DIR/find-cjk-N.db), and four more operations run:
 *
 *   cjk word             top 20 of a product's name, 2 to 3 characters
 *                        inside a run (灯笼 in 太阳能灯笼), < 1% of jobs
 *   cjk character        top 20 of one character inside a run (灯)
 *   cjk common phrase    top 20 of 限时优惠, in ~5% of jobs
 *   cjk substring        top 20 of a product's name with --substring
 *
 * and prints the median and the 99th percentile in milliseconds. The
 * figures, the command and the machine go in tools/README.md. Latency is
 * what a client sees: request encoding, the ipc round trip and decoding
 * included.
 *
 * The job generator is deterministic (a fixed-seed xorshift): products,
 * personas, brands and languages are drawn with a Zipf-like skew (the top
 * product is in about 15% of jobs, the 100th in about 0.15%), names and
 * hooks from word lists with some non-ASCII text, hooks of 150 to 400
 * bytes, nested enhanced_settings.
 */
#include "jobs/client.h"
#include "store.h"

#include <libpq-fe.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the generator -------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static double
uniform(void)
{
	return (double)(rng() >> 11) / 9007199254740992.0;
}

/* An index in [0, n) with P(i) ~ 1 / (i + 1)^s. cdf is built per list. */
struct zipf {
	size_t n;
	double *cdf;
};

static void
zipf_init(struct zipf *z, size_t n, double s)
{
	double sum = 0;

	z->n = n;
	z->cdf = malloc(sizeof *z->cdf * n);
	for (size_t i = 0; i < n; i++)
		z->cdf[i] = (sum += 1.0 / pow((double)(i + 1), s));
	for (size_t i = 0; i < n; i++)
		z->cdf[i] /= sum;
}

static size_t
zipf_draw(const struct zipf *z)
{
	double u = uniform();
	size_t lo = 0, hi = z->n - 1;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (z->cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#define N_PRODUCTS 400
static const char *const product_nouns[] = {
    "Lantern",  "Kettle",    "Hammock",  "Backpack", "Blender",   "Toaster", "Headphones",
    "Sneakers", "Umbrella",  "Notebook", "Drone",    "Tent",      "Grill",   "Camera",
    "Mattress", "Sunscreen", "Bicycle",  "Jacket",   "Espresso",  "Speaker", "Watch",
    "Scooter",  "Desk",      "Pillow",   "Mixer",    "Vacuum",    "Router",  "Kayak",
    "Perfume",  "Candle",    "Skillet",  "Blanket",  "Thermos",   "Charger", "Lamp",
    "Stroller", "Yoga Mat",  "Juicer",   "Cooler",   "Sunglasses"};
static const char *const product_adjs[] = {
    "Solar",   "Smart", "Eco",   "Ultra", "Pro",   "Mini",      "Classic", "Café",
    "Nordic",  "Turbo", "Cozy",  "Urban", "Wild",  "Zen",       "Arctic",  "Über",
    "Premium", "Pure",  "Swift", "Lunar", "Coral", "Evergreen", "Nova",    "Sahara"};
static char products[N_PRODUCTS][48];

static const char *const personas[] = {"busy parent",
                                       "college student",
                                       "weekend hiker",
                                       "remote worker",
                                       "retired teacher",
                                       "fitness enthusiast",
                                       "first-time homeowner",
                                       "small business owner",
                                       "gamer",
                                       "new mom",
                                       "coffee lover",
                                       "urban commuter",
                                       "pet owner",
                                       "gardener",
                                       "traveler",
                                       "night-shift nurse",
                                       "home chef",
                                       "tech early adopter",
                                       "budget shopper",
                                       "eco-conscious shopper",
                                       "marathon runner",
                                       "photographer",
                                       "DIY enthusiast",
                                       "grandparent",
                                       "teen skateboarder",
                                       "yoga teacher",
                                       "festival goer",
                                       "camper",
                                       "music producer",
                                       "bookworm"};
#define N_BRANDS 300
static const char *const brand_parts[] = {
    "Acme",    "Globex",    "Initech",  "Umbrella", "Stark",    "Wayne",    "Tyrell",
    "Soylent", "Hooli",     "Vandelay", "Pied",     "Aperture", "Nakatomi", "Zorg",
    "Oscorp",  "Cyberdyne", "Kōbe",     "Müller",   "Señor",    "Øresund"};
static char brands[N_BRANDS][40];
static const char *const languages[] = {"English",   "Spanish",  "Français", "Deutsch",
                                        "Português", "Italiano", "日本語",   "Nederlands",
                                        "Polski",    "Svenska",  "Türkçe",   "한국어"};
static const char *const seasons[] = {"Summer",  "Winter",         "Spring",       "Autumn",
                                      "Holiday", "Back to School", "Black Friday", "Launch",
                                      "Flash",   "Evergreen"};
static const char *const campaign_words[] = {"Sale",   "Promo",    "Launch", "Teaser",   "Story",
                                             "Review", "Unboxing", "Demo",   "Giveaway", "Ad"};
static const char *const emotions[] = {"excited",   "calm",      "hopeful", "curious",
                                       "nostalgic", "confident", "playful", "urgent"};
/* Hook vocabulary; "your" is put in about 70% of hooks on purpose: the
 * common word of the benchmark. */
static const char *const hook_words[] = {
    "tired",   "dark",     "evenings", "meet",    "the",     "new",       "best",    "way",
    "to",      "start",    "day",      "feel",    "light",   "power",     "every",   "moment",
    "save",    "time",     "money",    "home",    "outdoor", "adventure", "simple",  "comfort",
    "quality", "design",   "fresh",    "morning", "night",   "city",      "trail",   "beach",
    "family",  "friends",  "weekend",  "work",    "travel",  "cozy",      "bright",  "quiet",
    "fast",    "easy",     "clean",    "strong",  "light",   "warm",      "cool",    "smart",
    "natural", "premium",  "joy",      "café",    "naïve",   "crème",     "fiancée", "résumé",
    "über",    "jalapeño", "sunrise",  "sunset",  "rain",    "snow",      "wind",    "sparkle",
    "upgrade", "discover", "imagine",  "create",  "share",   "enjoy",     "love",    "trust"};

/* --cjk: what one job in ten is made of instead. Each noun is the name of a
 * product in about 0.5% of jobs; the phrases make the hooks. */
static bool cjk;
static const char *const cjk_adjs[] = {"太阳能", "智能", "环保", "超级", "专业", "迷你",
                                       "经典",   "北欧", "舒适", "城市", "野外", "便携"};
static const char *const cjk_nouns[] = {
    "灯笼", "水壶", "吊床", "背包", "耳机",   "雨伞",   "帐篷",   "烤架",   "相机",   "床垫",
    "夹克", "音箱", "手表", "枕头", "搅拌机", "吸尘器", "路由器", "充电器", "保温杯", "自行车"};
static const char *const cjk_seasons[] = {"夏季促销", "冬季特卖",   "春季新品",
                                          "秋季优惠", "年末感謝祭", "新生活応援"};
static const char *const cjk_phrases[] = {"夏の夜を明るく照らす",
                                          "毎日のキャンプに",
                                          "お庭にもぴったり",
                                          "今だけ特別価格",
                                          "家族みんなで楽しめる",
                                          "軽くて丈夫",
                                          "持ち運びに便利",
                                          "让夜晚也明亮",
                                          "适合露营和花园",
                                          "全家人都喜欢",
                                          "轻巧耐用",
                                          "携带方便",
                                          "新品上市",
                                          "品质保证",
                                          "送给朋友的好礼物",
                                          "每天都好用"};
/* In about half of the CJK jobs' hooks: the common phrase. */
#define CJK_COMMON "限时优惠"

#define NWORDS(a) (sizeof(a) / sizeof((a)[0]))

static struct zipf z_product, z_persona, z_brand, z_language, z_hook;

static void
generator_init(void)
{
	/* "Solar Lantern K10": the model (letter and rank) is a word of its
	 * own, found only in that product's jobs. */
	for (size_t i = 0; i < N_PRODUCTS; i++)
		snprintf(products[i], sizeof products[i], "%s %s %c%zu",
		         product_adjs[(i * 7 + i / 40) % NWORDS(product_adjs)],
		         product_nouns[i % NWORDS(product_nouns)], 'A' + (int)(i % 26), i);
	for (size_t i = 0; i < N_BRANDS; i++)
		snprintf(brands[i], sizeof brands[i], "%s %s", brand_parts[i % NWORDS(brand_parts)],
		         (const char *[]){"Labs", "Co", "Goods", "Works", "Studio", "GmbH", "Inc",
		                          "& Sons", "Outfitters", "Supply", "Collective", "Brands",
		                          "Group", "Design",
		                          "Direct"}[i / NWORDS(brand_parts) % 15]);
	zipf_init(&z_product, N_PRODUCTS, 1.0);
	zipf_init(&z_persona, NWORDS(personas), 0.9);
	zipf_init(&z_brand, N_BRANDS, 1.0);
	zipf_init(&z_language, NWORDS(languages), 1.6);
	zipf_init(&z_hook, NWORDS(hook_words), 0.7);
}

#define PICK(a) ((a)[rng() % NWORDS(a)])

/* Fills `j` (strings in bufs) with job number i of n. */
struct job_bufs {
	char id[32], name[160], hook[640], settings[512];
};

static void
make_job(Jobs__V1__Job *j, struct job_bufs *b, size_t i, size_t n)
{
	const int64_t start = 1700000000000000LL; /* 2023-11-14 */
	const int64_t span = 2LL * 365 * 86400 * 1000000;
	const char *product = products[zipf_draw(&z_product)];
	size_t len;

	jobs__v1__job__init(j);
	snprintf(b->id, sizeof b->id, "job-%07zu", i);
	snprintf(b->name, sizeof b->name, "%s %s %s %zu", PICK(seasons), product,
	         PICK(campaign_words), i % 997);
	len = (size_t)snprintf(b->hook, sizeof b->hook, "%s %s? ",
	                       (const char *[]){"Tired of", "Looking for", "Ready for",
	                                        "Dreaming of", "Need"}[rng() % 5],
	                       hook_words[zipf_draw(&z_hook)]);
	if (rng() % 10 < 7)
		len += (size_t)snprintf(b->hook + len, sizeof b->hook - len, "Meet your %s. ",
		                        product);
	else
		len +=
		    (size_t)snprintf(b->hook + len, sizeof b->hook - len, "Meet the %s. ", product);
	for (int w = 0, words = 20 + (int)(rng() % 40); w < words && len < 400; w++)
		len += (size_t)snprintf(b->hook + len, sizeof b->hook - len, "%s%s",
		                        hook_words[zipf_draw(&z_hook)],
		                        w % 9 == 8 ? ". " : (w % 13 == 12 ? " ☀ " : " "));
	snprintf(
	    b->settings, sizeof b->settings,
	    "{\"voice\":{\"stability\":0.%02d,\"similarity\":0.%02d,\"style\":{\"emotion\":\"%s\","
	    "\"pace\":%d}},\"camera\":{\"angle\":\"%s\",\"moves\":[\"pan\",\"zoom\",\"%s\"]},"
	    "\"music\":{\"track\":\"track-%d\",\"volume\":0.%d},\"seed\":%" PRIu64 "}",
	    (int)(rng() % 100), (int)(rng() % 100), PICK(emotions), (int)(rng() % 5),
	    (const char *[]){"low", "high", "eye-level", "overhead"}[rng() % 4],
	    (const char *[]){"dolly", "tilt", "orbit"}[rng() % 3], (int)(rng() % 50),
	    (int)(rng() % 10), rng() % 1000000);
	j->id = b->id;
	j->job_name = b->name;
	j->product = (char *)product;
	j->persona = (char *)personas[zipf_draw(&z_persona)];
	j->setting =
	    (char *)(const char *[]){"backyard at dusk", "city street", "mountain trail",
	                             "kitchen",          "office",      "beach"}[rng() % 6];
	j->emotion = (char *)PICK(emotions);
	j->hook = b->hook;
	j->elevenlabs_voice_id = (char *)(const char *[]){
	    "21m00Tcm4TlvDq8ikWAM", "AZnzlk1XvdvUeBnXmlld", "EXAVITQu4vr4xnSDxMaL"}[rng() % 3];
	j->language = (char *)languages[zipf_draw(&z_language)];
	j->brand_name = (char *)brands[zipf_draw(&z_brand)];
	j->enabled = rng() % 100 < 85;
	j->created_at =
	    start + (int64_t)((double)span * (double)i / (double)n) + (int64_t)(rng() % 60000000);
	j->updated_at = j->created_at + (int64_t)(rng() % (30LL * 86400 * 1000000));
	j->enhanced_settings = b->settings;
	j->extra = (char *)"";
	if (cjk && i % 10 == 0) {
		const char *noun = PICK(cjk_nouns);

		snprintf(b->name, sizeof b->name, "%s%s%s %zu", PICK(cjk_seasons), PICK(cjk_adjs),
		         noun, i % 997);
		len = (size_t)snprintf(b->hook, sizeof b->hook, "%s%s。",
		                       rng() % 2 ? CJK_COMMON : "", noun);
		for (int w = 0, phrases = 4 + (int)(rng() % 8); w < phrases && len < 400; w++)
			len += (size_t)snprintf(b->hook + len, sizeof b->hook - len, "%s%s",
			                        PICK(cjk_phrases), w % 3 == 2 ? "。" : "，");
	}
}

static int pg_build(const char *url, size_t n);

/* --pg-seed-store: PostgreSQL's jobs written one by one through the store,
 * as SQLite's, instead of set-based (pg_build()). */
static bool pg_seed_store;

/* Writes the generator's n jobs into the database `path` (a file, made
 * anew, or a PostgreSQL URI of an empty database), described as `label`
 * in what it prints. 0 or -1. */
static int
build_db(const char *path, const char *label, size_t n)
{
	store_options o = {.sync = STORE_SYNC_OFF, .cache_kib = 256 * 1024};
	struct job_bufs b;
	Jobs__V1__Job j;
	char err[256];
	store *st;
	arena a;
	struct timespec t0, t1;
	bool one_by_one = store_engine_of(path) == STORE_SQLITE || pg_seed_store;
	int rv;

	if (store_engine_of(path) == STORE_SQLITE)
		unlink(path);
	rng_state = 0x9e3779b97f4a7c15ULL;
	if ((rv = store_open(&st, path, &o, err, sizeof err)) != 0) {
		fprintf(stderr, "bench_find: %s\n", err);
		return -1;
	}
	arena_init(&a, 1 << 16, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!one_by_one && pg_build(path, n) != 0)
		rv = -1;
	for (size_t i = 0; rv == 0 && one_by_one && i < n; i++) {
		if (i % 20000 == 0 && (rv = store_begin(st)) != 0)
			break;
		make_job(&j, &b, i, n);
		if ((rv = store_job_insert(st, &j, &a)) != 0)
			break;
		arena_reset(&a);
		if ((i % 20000 == 19999 || i == n - 1) && (rv = store_commit(st)) != 0)
			break;
		if (i % 100000 == 99999) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			fprintf(stderr, "  %zu jobs written, %.0f s\n", i + 1,
			        (double)(t1.tv_sec - t0.tv_sec));
		}
	}
	/* The counts the writes noted, folded as jobsd's writer folds them
	 * (PostgreSQL; nothing on SQLite). */
	if (rv == 0)
		rv = store_tidy(st);
	if (rv != 0)
		fprintf(stderr, "bench_find: writing jobs failed: %s\n", store_errmsg(st));
	arena_fini(&a);
	store_close(st);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "  built %s: %zu jobs in %.1f s\n", label, n,
	        (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return rv == 0 ? 0 : -1;
}

/* ---- PostgreSQL's databases --------------------------------------------------- */

/* Runs `sql` on the database `url` names; 0, or -1 with the reason on
 * stderr. With `value`, the first column of the first row goes there
 * (value[0..size)), "" if there is none. */
static int
pg_run(const char *url, const char *sql, char *value, size_t size)
{
	PGconn *c = PQconnectdb(url);
	PGresult *r = NULL;
	int rv = -1;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "bench_find: cannot reach PostgreSQL: %s", PQerrorMessage(c));
		goto done;
	}
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "bench_find: %s: %s", sql, PQerrorMessage(c));
		goto done;
	}
	if (value != NULL)
		snprintf(value, size, "%s",
		         PQntuples(r) > 0 && PQnfields(r) > 0 ? PQgetvalue(r, 0, 0) : "");
	rv = 0;
done:
	PQclear(r);
	PQfinish(c);
	return rv;
}

/* The URI of the database `name` on the server of `server` (a URI): a
 * dbname parameter, which libpq takes over the URI's path. */
static void
pg_database_url(char *out, size_t size, const char *server, const char *name)
{
	snprintf(out, size, "%s%cdbname=%s", server, strchr(server, '?') != NULL ? '&' : '?', name);
}

/* Appends field s to line (at *n, of size cap) in COPY's text format,
 * then `end` (a tab or a newline); NULL or "" as null when `null_if_empty`
 * (the store writes an empty json value as NULL). */
static void
copy_field(char *line, size_t *n, size_t cap, const char *s, bool null_if_empty, char end)
{
	if (null_if_empty && (s == NULL || *s == '\0')) {
		*n += (size_t)snprintf(line + *n, cap - *n, "\\N");
	} else {
		for (; *s != '\0' && *n + 3 < cap; s++) {
			static const char esc[] = {
			    ['\\'] = '\\', ['\t'] = 't', ['\n'] = 'n', ['\r'] = 'r'};
			unsigned char ch = (unsigned char)*s;

			if (ch < sizeof esc && esc[ch] != 0) {
				line[(*n)++] = '\\';
				line[(*n)++] = esc[ch];
			} else {
				line[(*n)++] = *s;
			}
		}
	}
	if (*n + 1 < cap)
		line[(*n)++] = end;
}

/* Microseconds since the Unix epoch as a timestamptz's text, exactly. */
static const char *
copy_time(char *buf, size_t size, int64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, size, "%04d-%02d-%02d %02d:%02d:%02d.%06d+00", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(us % 1000000));
	return buf;
}

/* Writes the generator's n jobs into the database `url` (jobsd's schema,
 * made by store_open()) set-based: COPY of 20,000 jobs at a time into a
 * temporary table, then one INSERT ... SELECT of them into jobs, in the
 * order they were made, each batch its own transaction. The INSERT is the
 * store's own (the columns and values store_job_insert sends, ON CONFLICT
 * (id) DO NOTHING), so jobs' defaults, generated words, indexes and count
 * triggers do what they do for jobsd's writes; what it saves is a round
 * trip per job. 0 or -1. */
static int
pg_build(const char *url, size_t n)
{
	static const char *const cols = "id, job_name, product, persona, setting, emotion, hook, "
	                                "elevenlabs_voice_id, language, brand_name, enabled, "
	                                "created_at, updated_at, enhanced_settings, extra";
	PGconn *c = PQconnectdb(url);
	struct timespec t0, t1;
	char sql[1024], line[4096], created[96], updated[96];
	struct job_bufs b;
	Jobs__V1__Job j;
	PGresult *r;
	int rv = -1;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "bench_find: cannot reach PostgreSQL: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	rng_state = 0x9e3779b97f4a7c15ULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	snprintf(sql, sizeof sql,
	         "SET synchronous_commit = off; CREATE TEMPORARY TABLE seed (i int8, id text, "
	         "job_name text, product text, persona text, setting text, emotion text, hook "
	         "text, elevenlabs_voice_id text, language text, brand_name text, enabled boolean, "
	         "created_at timestamptz, updated_at timestamptz, enhanced_settings json, extra "
	         "json)");
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		goto fail;
	for (size_t i = 0; i < n;) {
		size_t end = i + 20000 < n ? i + 20000 : n;

		PQclear(r);
		r = PQexec(c, "BEGIN; TRUNCATE seed; COPY seed FROM STDIN");
		if (PQresultStatus(r) != PGRES_COPY_IN)
			goto fail;
		for (; i < end; i++) {
			size_t len = (size_t)snprintf(line, sizeof line, "%zu\t", i);

			make_job(&j, &b, i, n);
			for (int k = 0; k < 15; k++) {
				const char *v[] = {
				    j.id,
				    j.job_name,
				    j.product,
				    j.persona,
				    j.setting,
				    j.emotion,
				    j.hook,
				    j.elevenlabs_voice_id,
				    j.language,
				    j.brand_name,
				    j.enabled ? "t" : "f",
				    copy_time(created, sizeof created, j.created_at),
				    copy_time(updated, sizeof updated, j.updated_at),
				    j.enhanced_settings,
				    j.extra,
				};
				copy_field(line, &len, sizeof line, v[k], k >= 13,
				           k == 14 ? '\n' : '\t');
			}
			if (PQputCopyData(c, line, (int)len) != 1)
				goto fail;
		}
		if (PQputCopyEnd(c, NULL) != 1)
			goto fail;
		PQclear(r);
		r = PQgetResult(c);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			goto fail;
		while (PQgetResult(c) != NULL)
			;
		PQclear(r);
		snprintf(sql, sizeof sql,
		         "INSERT INTO jobs (%s) SELECT %s FROM seed ORDER BY i ON CONFLICT (id) DO "
		         "NOTHING; COMMIT",
		         cols, cols);
		r = PQexec(c, sql);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			goto fail;
		if (i % 100000 == 0 || i == n) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			fprintf(stderr, "  %zu jobs written, %.0f s\n", i,
			        (double)(t1.tv_sec - t0.tv_sec));
		}
	}
	rv = 0;
fail:
	if (rv != 0)
		fprintf(stderr, "bench_find: writing jobs failed: %s", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return rv;
}

/* Makes sure the database `name` (on `server`) holds the n jobs of the
 * generator: reused if it holds n of them and !rebuild, else made anew and
 * built. *built says which. 0 or -1. */
static int
pg_prepare(const char *server, const char *name, size_t n, bool rebuild, bool *built)
{
	char url[1024], sql[256], value[64] = "";

	*built = false;
	pg_database_url(url, sizeof url, server, name);
	snprintf(sql, sizeof sql, "SELECT 1 FROM pg_database WHERE datname = '%s'", name);
	if (pg_run(server, sql, value, sizeof value) != 0)
		return -1;
	if (!rebuild && strcmp(value, "1") == 0 &&
	    /* the generator's jobs; the creates measured add others */
	    pg_run(url, "SELECT count(*) FROM jobs WHERE id LIKE 'job-%'", value, sizeof value) ==
	        0 &&
	    strtoull(value, NULL, 10) == n)
		return 0;
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	if (pg_run(server, sql, NULL, 0) != 0)
		return -1;
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	if (pg_run(server, sql, NULL, 0) != 0)
		return -1;
	fprintf(stderr, "building %zu jobs on PostgreSQL (%s)...\n", n, name);
	if (build_db(url, name, n) != 0)
		return -1;
	/* What autovacuum does after many inserts (the visibility map that
	 * index-only scans read, the planner's statistics), done now so that
	 * the figures do not depend on when it would have run. */
	if (pg_run(url, "VACUUM (ANALYZE)", NULL, 0) != 0 ||
	    pg_run(url, "CHECKPOINT", NULL, 0) != 0)
		return -1;
	*built = true;
	return 0;
}

/* ---- the server --------------------------------------------------------------- */

/* jobsd's --mmap-mib: how much of the database its readers map. */
static const char *mmap_mib = "0";

static pid_t
start_jobsd(const char *db, const char *url, const char *log)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (freopen(log, "w", stderr) == NULL)
			_exit(127);
		execl(JOBSD_PATH, JOBSD_PATH, "--db", db, "--listen", url, "--sync", "off",
		      "--no-legacy-migration", "--mmap-mib", mmap_mib, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static jobs_client *
connect_when_up(const char *url)
{
	jobs_client_options opts = {.timeout_ms = 60000};
	struct timespec pause = {0, 50 * 1000 * 1000};

	/* A first start migrates nothing (the store built the schema). */
	for (int i = 0; i < 1200; i++) {
		jobs_client *c;
		jobs_health_info *h;

		if (jobs_client_open(&c, url, &opts, NULL) == JOBS_OK) {
			if (jobs_health(c, NULL, &h) == JOBS_OK) {
				jobs_health_info_free(h);
				return c;
			}
			jobs_client_close(c);
		}
		nanosleep(&pause, NULL);
	}
	return NULL;
}

/* ---- measuring ------------------------------------------------------------------ */

static double
now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* What one store measured at one size: each operation's median and p99. */
#define MAX_OPS 20
struct figures {
	const char *store; /* "sqlite", "postgresql" */
	int n;
	const char *op[MAX_OPS];
	double p50[MAX_OPS], p99[MAX_OPS];
	bool failed[MAX_OPS];
};

struct bench {
	jobs_client *c;
	size_t n_jobs;
	int page;          /* list page size */
	char *p1000_token; /* ListJobs default order, start of page 1,000 */
	char *name_token;  /* ORDER_JOB_NAME, start of page 1,000 */
	const char *common_product, *rare_product;
	struct figures *f; /* where report() notes what it measured */
};

typedef int (*op_fn)(struct bench *b, int round);

static void
report(const char *name, op_fn fn, struct bench *b, int rounds)
{
	double *t = malloc(sizeof *t * (size_t)rounds);
	struct figures *f = b->f;
	int failures = 0;

	for (int i = 0; i < 20; i++) /* warm up */
		fn(b, i);
	for (int i = 0; i < rounds; i++) {
		double t0 = now_ms();
		if (fn(b, i) != 0)
			failures++;
		t[i] = now_ms() - t0;
	}
	qsort(t, (size_t)rounds, sizeof *t, cmp_double);
	printf("  %-22s %9.3f %9.3f%s\n", name, t[rounds / 2], t[(rounds * 99) / 100],
	       failures ? "  (FAILURES)" : "");
	fflush(stdout);
	if (f->n < MAX_OPS) {
		f->op[f->n] = name;
		f->p50[f->n] = t[rounds / 2];
		f->p99[f->n] = t[(rounds * 99) / 100];
		f->failed[f->n++] = failures > 0;
	}
	free(t);
}

static int
op_get(struct bench *b, int round)
{
	char id[32];
	jobs_job *j;
	int rv;

	(void)round;
	snprintf(id, sizeof id, "job-%07zu", (size_t)(rng() % b->n_jobs));
	rv = jobs_get_job(b->c, NULL, id, &j);
	jobs_job_free(j);
	return rv;
}

static int
list(struct bench *b, jobs_list_query *q)
{
	jobs_job_page *p;
	jobs_call call = {0};
	int rv = jobs_list_jobs(b->c, &call, q, &p);

	if (rv != JOBS_OK)
		fprintf(stderr, "list: %s\n", call.message);
	else if (p->n_jobs == 0)
		rv = -1;
	jobs_job_page_free(p);
	return rv;
}

static int
op_list_p1(struct bench *b, int round)
{
	jobs_list_query q = {.page_size = b->page};
	(void)round;
	return list(b, &q);
}

static int
op_list_p1000(struct bench *b, int round)
{
	jobs_list_query q = {.page_size = b->page, .page_token = b->p1000_token};
	(void)round;
	return list(b, &q);
}

static int
op_list_name_p1000(struct bench *b, int round)
{
	jobs_list_query q = {
	    .page_size = b->page, .page_token = b->name_token, .order_by = JOBS_ORDER_JOB_NAME};
	(void)round;
	return list(b, &q);
}

static int
op_list_product(struct bench *b, int round)
{
	jobs_list_query q = {.page_size = b->page, .filter.product = b->common_product};
	(void)round;
	return list(b, &q);
}

static int
op_list_rare_by_name(struct bench *b, int round)
{
	jobs_list_query q = {.page_size = b->page,
	                     .filter.product = b->rare_product,
	                     .order_by = JOBS_ORDER_JOB_NAME};
	(void)round;
	return list(b, &q);
}

static int
search(struct bench *b, const char *text, jobs_search_mode mode)
{
	jobs_search_query q = {.text = text, .mode = mode, .page_size = 20};
	jobs_search_page *p;
	jobs_call call = {0};
	int rv = jobs_search_jobs(b->c, &call, &q, &p);

	if (rv != JOBS_OK)
		fprintf(stderr, "search %s: %s\n", text, call.message);
	else if (p->n_jobs == 0)
		rv = -1;
	jobs_search_page_free(p);
	return rv;
}

/* Models of products ranked 24th to 390th: each in under 1% of jobs
 * (measured and printed by count_words()). */
static const char *const rare_words[] = {"y24", "k36", "o40", "c80", "s200", "i320", "a390"};
static const char *const prefixes[] = {"lant*", "kett*", "hamm*", "backp*", "sunsc*", "espr*"};
static const char *const substrings[] = {"ntern", "ettl", "ammoc", "ackpac", "unscree", "spress"};

static int
op_search_rare(struct bench *b, int round)
{
	return search(b, rare_words[round % NWORDS(rare_words)], JOBS_SEARCH_WORDS);
}

static int
op_search_common(struct bench *b, int round)
{
	(void)round;
	return search(b, "your", JOBS_SEARCH_WORDS);
}

static int
op_search_prefix(struct bench *b, int round)
{
	return search(b, prefixes[round % NWORDS(prefixes)], JOBS_SEARCH_WORDS);
}

static int
op_search_substring(struct bench *b, int round)
{
	return search(b, substrings[round % NWORDS(substrings)], JOBS_SEARCH_SUBSTRING);
}

static const char *const cjk_chars[] = {"灯", "壶", "伞", "篷", "垫"};

static int
op_cjk_word(struct bench *b, int round)
{
	return search(b, cjk_nouns[round % NWORDS(cjk_nouns)], JOBS_SEARCH_WORDS);
}

static int
op_cjk_char(struct bench *b, int round)
{
	return search(b, cjk_chars[round % NWORDS(cjk_chars)], JOBS_SEARCH_WORDS);
}

static int
op_cjk_common(struct bench *b, int round)
{
	(void)round;
	return search(b, CJK_COMMON, JOBS_SEARCH_WORDS);
}

static int
op_cjk_substring(struct bench *b, int round)
{
	return search(b, cjk_nouns[round % NWORDS(cjk_nouns)], JOBS_SEARCH_SUBSTRING);
}

/* A write, for the cost of the indexes, FTS tables and counters a job
 * keeps: CreateJob of a generated job (ids unique to this run). */
static int
op_create(struct bench *b, int round)
{
	struct job_bufs jb;
	Jobs__V1__Job pb;
	jobs_job j = {0};
	static int made;
	char id[48];
	int rv;

	make_job(&pb, &jb, (size_t)round, b->n_jobs);
	snprintf(id, sizeof id, "bench-%d-%d", (int)getpid(), made++);
	j.id = id;
	j.job_name = pb.job_name;
	j.product = pb.product;
	j.persona = pb.persona;
	j.hook = pb.hook;
	j.language = pb.language;
	j.brand_name = pb.brand_name;
	j.enhanced_settings = pb.enhanced_settings;
	rv = jobs_create_job(b->c, NULL, &j, NULL);
	return rv;
}

static int
op_stats(struct bench *b, int round)
{
	jobs_stats *s;
	int rv;

	(void)round;
	rv = jobs_get_stats(b->c, NULL, NULL, &s);
	jobs_stats_free(s);
	return rv;
}

/* The token of page `page` (1-based) of listing q, by walking to it. */
static char *
token_of_page(struct bench *b, jobs_list_query q, int page)
{
	char *token = strdup("");

	for (int i = 1; i < page; i++) {
		jobs_job_page *p;
		jobs_call call = {0};

		q.page_token = token;
		if (jobs_list_jobs(b->c, &call, &q, &p) != JOBS_OK) {
			fprintf(stderr, "bench_find: walking to page %d: %s\n", page, call.message);
			exit(1);
		}
		free(token);
		token = strdup(p->next_page_token);
		jobs_job_page_free(p);
	}
	return token;
}

/* Prints what share of jobs each benchmark word is in, by generating the
 * jobs again (the generator is deterministic) and looking for the word in
 * the five searched fields: so that "rare" and "common" are measured, not
 * assumed. */
static void
count_words(struct bench *b)
{
	const char *words[NWORDS(rare_words) + 3];
	size_t hits[NWORDS(rare_words) + 3] = {0}, nw = 0, latin;
	uint64_t saved = rng_state;
	struct job_bufs jb;
	Jobs__V1__Job j;
	char text[2048], pat[64];

	for (size_t i = 0; i < NWORDS(rare_words); i++)
		words[nw++] = rare_words[i];
	words[nw++] = "your";
	latin = nw;
	if (cjk) {
		words[nw++] = cjk_nouns[0];
		words[nw++] = CJK_COMMON;
	}
	rng_state = 0x9e3779b97f4a7c15ULL;
	for (size_t i = 0; i < b->n_jobs; i++) {
		make_job(&j, &jb, i, b->n_jobs);
		snprintf(text, sizeof text, " %s %s %s %s %s ", j.job_name, j.product, j.brand_name,
		         j.hook, j.persona);
		for (char *p = text; *p != '\0'; p++)
			if (*p == '.' || *p == '?' || *p == ',')
				*p = ' ';
		for (size_t w = 0; w < nw; w++) {
			/* CJK words stand inside runs, without spaces. */
			snprintf(pat, sizeof pat, w < latin ? " %s " : "%s", words[w]);
			hits[w] += strcasestr(text, pat) != NULL;
		}
	}
	rng_state = saved;
	printf("  share of jobs holding each word:");
	for (size_t w = 0; w < nw; w++)
		printf(" %s %.2f%%", words[w], 100.0 * (double)hits[w] / (double)b->n_jobs);
	printf("\n");
}

/* Starts jobsd on `db` (n jobs; described as `label`), measures every
 * operation into f, and stops it; with `check`, runs jobsd's Check first
 * and stops on a problem. 0 or -1. */
static int
measure(struct figures *f, const char *db, const char *label, size_t n, const char *dir, int rounds,
        bool check)
{
	struct bench b = {.n_jobs = n, .f = f};
	char url[600], log[600];
	pid_t pid;
	int status, rv = 0;

	snprintf(url, sizeof url, "ipc://%s/find-%zu.sock", dir, n);
	snprintf(log, sizeof log, "%s/find-%zu-%s.log", dir, n, f->store);
	if ((pid = start_jobsd(db, url, log)) < 0 || (b.c = connect_when_up(url)) == NULL) {
		fprintf(stderr, "bench_find: jobsd did not come up; see %s\n", log);
		if (pid > 0) {
			kill(pid, SIGTERM);
			waitpid(pid, &status, 0);
		}
		return -1;
	}
	if (check) {
		jobs_check_info *ci = NULL;
		jobs_call call = {0};
		double t0 = now_ms();

		if (jobs_check(b.c, &call, &ci) != JOBS_OK || !ci->ok) {
			fprintf(stderr, "bench_find: jobsd's check of %s failed: %s\n", label,
			        ci != NULL && ci->n_problems > 0 ? ci->problems[0] : call.message);
			rv = -1;
		} else {
			fprintf(stderr, "  jobsd's check: ok, %" PRId64 " jobs, %.1f s\n", ci->jobs,
			        (now_ms() - t0) / 1e3);
		}
		jobs_check_info_free(ci);
	}
	if (rv == 0) {
		b.page = b.n_jobs >= 50000 ? 50 : (int)(b.n_jobs / 1000);
		b.common_product = products[0];
		b.rare_product = products[N_PRODUCTS - 1];
		printf("\n%zu jobs on %s (%s), %d rounds; times in ms\n", b.n_jobs, f->store, label,
		       rounds);
		count_words(&b);
		printf("  %-22s %9s %9s\n", "operation", "median", "p99");
		b.p1000_token = token_of_page(&b, (jobs_list_query){.page_size = b.page}, 1000);
		b.name_token = token_of_page(
		    &b, (jobs_list_query){.page_size = b.page, .order_by = JOBS_ORDER_JOB_NAME},
		    1000);
		report("get", op_get, &b, rounds);
		report("list p1", op_list_p1, &b, rounds);
		report("list p1000", op_list_p1000, &b, rounds);
		report("list name p1000", op_list_name_p1000, &b, rounds);
		report("list product p1", op_list_product, &b, rounds);
		report("list rare+name p1", op_list_rare_by_name, &b, rounds);
		report("search rare word", op_search_rare, &b, rounds);
		report("search common word", op_search_common, &b, rounds);
		report("search prefix", op_search_prefix, &b, rounds);
		report("search substring", op_search_substring, &b, rounds);
		report("stats", op_stats, &b, rounds);
		if (cjk) {
			report("cjk word", op_cjk_word, &b, rounds);
			report("cjk character", op_cjk_char, &b, rounds);
			report("cjk common phrase", op_cjk_common, &b, rounds);
			report("cjk substring", op_cjk_substring, &b, rounds);
		}
		report("create", op_create, &b, rounds);
		printf("  (list page size %d)\n", b.page);
	}
	jobs_client_close(b.c);
	free(b.p1000_token);
	free(b.name_token);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	return rv;
}

/* The two stores' figures side by side, PostgreSQL's medians and p99s as
 * ratios of SQLite's. */
static void
compare(const struct figures *sq, const struct figures *pg, size_t n)
{
	printf("\n%zu jobs, sqlite | postgresql, p50 / p99 in ms; ratio postgresql / sqlite\n", n);
	printf("  %-22s %19s %19s %7s %7s\n", "operation", "sqlite", "postgresql", "p50", "p99");
	for (int i = 0; i < sq->n && i < pg->n; i++)
		printf("  %-22s %9.3f/%9.3f %9.3f/%9.3f %7.2f %7.2f%s\n", sq->op[i], sq->p50[i],
		       sq->p99[i], pg->p50[i], pg->p99[i], pg->p50[i] / sq->p50[i],
		       pg->p99[i] / sq->p99[i],
		       sq->failed[i] || pg->failed[i] ? "  (FAILURES)" : "");
	printf("  page 1,000 / page 1 (p50): sqlite %.2f, postgresql %.2f\n",
	       sq->p50[2] / sq->p50[1], pg->p50[2] / pg->p50[1]);
	fflush(stdout);
}

/* ---- main -------------------------------------------------------------------------- */

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"sizes", required_argument, NULL, 's'},
	    {"rounds", required_argument, NULL, 'r'},
	    {"rebuild", no_argument, NULL, 'b'},
	    {"mmap-mib", required_argument, NULL, 'm'},
	    {"cjk", no_argument, NULL, 'c'},
	    {"pg", required_argument, NULL, 'p'},
	    {"pg-only", no_argument, NULL, 'P'},
	    {"pg-seed-store", no_argument, NULL, 'S'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir = "/tmp/jobsd-bench", *sizes = "10000,100000,1000000", *pg = NULL;
	int rounds = 300, c;
	bool rebuild = false, pg_only = false;
	char *list, *tok, *save;

	while ((c = getopt_long(argc, argv, "d:s:r:bm:cp:PSh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 's':
			sizes = optarg;
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'b':
			rebuild = true;
			break;
		case 'm':
			mmap_mib = optarg; /* jobsd checks it */
			break;
		case 'c':
			cjk = true;
			break;
		case 'p':
			pg = optarg;
			break;
		case 'P':
			pg_only = true;
			break;
		case 'S':
			pg_seed_store = true;
			break;
		default:
			fprintf(stderr, "usage: bench_find [--dir DIR] [--sizes N,N,...] "
			                "[--rounds R] [--rebuild] [--mmap-mib N] [--cjk] "
			                "[--pg URL [--pg-only] [--pg-seed-store]]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (rounds < 100) {
		fprintf(stderr, "bench_find: --rounds must be at least 100 (for a p99)\n");
		return 2;
	}
	if (pg != NULL && store_engine_of(pg) != STORE_POSTGRESQL) {
		fprintf(stderr, "bench_find: --pg wants a postgresql:// URI\n");
		return 2;
	}
	if (pg_only && pg == NULL) {
		fprintf(stderr, "bench_find: --pg-only wants --pg URL\n");
		return 2;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		perror(dir);
		return 1;
	}
	generator_init();
	signal(SIGPIPE, SIG_IGN);
	list = strdup(sizes);
	for (tok = strtok_r(list, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		size_t n = strtoul(tok, NULL, 10);
		struct figures sq = {.store = "sqlite"}, pq = {.store = "postgresql"};
		char db[1024], name[64], desc[1200];
		struct stat sb;
		bool built;

		if (n < 1000) {
			fprintf(stderr, "bench_find: sizes start at 1000\n");
			return 2;
		}
		if (!pg_only) {
			snprintf(db, sizeof db, "%s/find-%s%zu.db", dir, cjk ? "cjk-" : "", n);
			if (rebuild || stat(db, &sb) != 0) {
				fprintf(stderr, "building %zu jobs...\n", n);
				if (build_db(db, db, n) != 0)
					return 1;
			}
			stat(db, &sb);
			snprintf(desc, sizeof desc, "%s, %.0f MiB", db,
			         (double)sb.st_size / 1048576.0);
			if (measure(&sq, db, desc, n, dir, rounds, false) != 0)
				return 1;
		}
		if (pg != NULL) {
			char size[64] = "";

			snprintf(name, sizeof name, "find_%s%zu", cjk ? "cjk_" : "", n);
			if (pg_prepare(pg, name, n, rebuild, &built) != 0)
				return 1;
			pg_database_url(db, sizeof db, pg, name);
			snprintf(desc, sizeof desc, "SELECT pg_database_size('%s')", name);
			pg_run(pg, desc, size, sizeof size);
			snprintf(desc, sizeof desc, "database %s, %.0f MiB", name,
			         strtod(size, NULL) / 1048576.0);
			if (measure(&pq, db, desc, n, dir, rounds, built) != 0)
				return 1;
			if (!pg_only)
				compare(&sq, &pq, n);
		}
	}
	free(list);
	return 0;
}
