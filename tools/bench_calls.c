/*
 * bench_calls.c: what jobsbench asks jobsd: the call table behind --mix, the
 * generator of realistic jobs, seeding, and the wire size of each call.
 *
 * Every call goes through libjobsclient's asynchronous calls, as a service
 * that depends on jobsd would make them. To add a kind of call, write its
 * start and finish functions and fill in its entry of call_kinds[] at the
 * bottom; --mix, the reports and the echo baseline follow from the table.
 *
 * Wire sizes: libjobsclient does not say how many bytes a call moved, so
 * with `size` given a finish function encodes the same Request and Response
 * with protobuf-c (the envelope as client.c builds it: a 36-character
 * request id and a deadline) and measures them. jobsbench does that only on
 * a calibration sample, outside of measurement.
 */
#include "bench.h"

#include "internal.h" /* libjobsclient's client_job_to_proto, as jobsctl uses it */

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- randomness --------------------------------------------------------- */

uint64_t
gen_next(struct gen *g)
{
	/* xorshift64* (Vigna): small, fast, good enough to pick calls and words. */
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 0x2545F4914F6CDD1Dull;
}

/* splitmix64's finaliser: spreads a small seed over all bits. */
static uint64_t
mix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

void
gen_init(struct gen *g, uint64_t seed, uint64_t n_ids, int timeout_ms)
{
	g->rng = mix64(seed) | 1;
	g->n_ids = n_ids;
	g->timeout_ms = timeout_ms;
	g->list_depth = 0;
	g->token[0] = '\0';
}

static uint64_t
below(struct gen *g, uint64_t n)
{
	return n == 0 ? 0 : gen_next(g) % n;
}

/* A uniform double in [0, 1). */
static double
unit(struct gen *g)
{
	return (double)(gen_next(g) >> 11) / 9007199254740992.0;
}

#define PICK(g, arr) ((arr)[below((g), sizeof(arr) / sizeof((arr)[0]))])

char *
seed_id(char buf[32], uint64_t i)
{
	snprintf(buf, 32, "jobsbench-%07llu", (unsigned long long)i);
	return buf;
}

/* ---- text -------------------------------------------------------------- */

/* Appends to a fixed buffer; a piece that does not fit whole is left out, so
 * the text stays valid UTF-8 and JSON stays balanced only if the caller
 * reserves room for its closing characters (see fits()). */
struct sb {
	char *p;
	size_t len, cap;
};

static bool
fits(const struct sb *b, size_t n)
{
	return b->len + n < b->cap;
}

static bool
sb_add(struct sb *b, const char *s)
{
	size_t n = strlen(s);

	if (!fits(b, n))
		return false;
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
	return true;
}

static bool __attribute__((format(printf, 2, 3))) sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || !fits(b, (size_t)n)) {
		b->p[b->len] = '\0';
		return false;
	}
	b->len += (size_t)n;
	return true;
}

/* Appends s as a JSON string, quotes included, whole or not at all. */
static bool
sb_json_string(struct sb *b, const char *s)
{
	size_t start = b->len;

	if (!sb_add(b, "\""))
		return false;
	for (; *s; s++) {
		char esc[8] = {*s, 0};

		if (*s == '"' || *s == '\\')
			snprintf(esc, sizeof esc, "\\%c", *s);
		else if (*s == '\n')
			snprintf(esc, sizeof esc, "\\n");
		if (!sb_add(b, esc))
			goto undo;
	}
	if (sb_add(b, "\""))
		return true;
undo:
	b->len = start;
	b->p[start] = '\0';
	return false;
}

static const char *const names[] = {
    "Summer Sale ☀",     "Été — grandes soldes",  "夏のセール",
    "Распродажа недели", "تخفيضات الصيف",         "🎉 Launch Week",
    "Back to School",    "Black Friday ⚡",        "Año Nuevo 2027",
    "Weihnachtsmarkt 🎄", "Spring “refresh” drop", "Ramadan Kareem 🌙",
};
static const char *const products[] = {
    "Solar Lantern",      "Bouilloire électrique", "ノイズキャンセリングヘッドホン",
    "Thermos 500 ml",     "Kaffeemühle",           "Ergonomic Chair",
    "Umbrella ☂",         "Tapis de yoga",         "Smart Plug (2-pack)",
    "Cafetière à piston", "Пуховое одеяло",        "Bluetooth speaker — waterproof",
};
static const char *const personas[] = {
    "busy parent of two, commutes 40 minutes each way",
    "college student on a budget",
    "retired teacher who loves gardening",
    "freelance designer — works from cafés",
    "外回りの営業マン、30代",
    "night-shift nurse who sleeps in the day",
    "first-time home owner, DIY weekends",
    "marathon runner training for Berlin",
};
static const char *const settings[] = {
    "backyard at dusk", "tiny studio apartment", "office kitchen", "campsite by a lake",
    "東京の地下鉄",     "rainy Paris street",    "car, parked",    "grandma's living room",
};
static const char *const emotions[] = {
    "hopeful", "frustrated", "excited", "curious", "relieved", "nostalgic", "amused", "proud",
};
static const char *const sentences[] = {
    "Tired of dark evenings?",
    "What if your kettle knew when you woke up?",
    "“I didn't believe it either.”",
    "Three seconds. That's all it takes.",
    "Ça change tout — vraiment.",
    "これ、本当に便利です。",
    "No cables, no fuss, no excuses 🔋.",
    "Your neighbours will ask where you got it.",
    "Stop scrolling — this one's worth it.",
    "Line breaks too:\nthe second line of the hook.",
    "Остановитесь на секунду и посмотрите.",
    "\\o/ works with \"quotes\" and backslashes as well.",
    "Free shipping until Sunday, 23:59 (CET).",
    "هذا العرض لفترة محدودة فقط.",
};
static const char *const languages[] = {
    "English", "English", "English", "Français", "日本語", "Español", "Deutsch", "العربية",
};
static const char *const brands[] = {
    "Acme", "Lumière & Co", "北斗", "Nordlicht", "", "Brightside™",
};
static const char *const tags[] = {
    "summer", "q3", "🔥", "retargeting", "ugc", "evergreen", "tiktok", "reels", "test-b",
};

/* A hook of length log-uniform over about 20 bytes to 6 KiB. */
static void
make_hook(struct gen *g, struct sb *b)
{
	size_t target = (size_t)(20.0 * exp(unit(g) * 5.7)); /* 20 .. 6000 */

	b->len = 0;
	b->p[0] = '\0';
	do {
		const char *s = PICK(g, sentences);

		if (b->len > 0 && b->len + strlen(s) + 1 > target)
			break;
		if ((b->len > 0 && !sb_add(b, " ")) || !sb_add(b, s))
			break;
	} while (b->len < target);
}

/* Nested settings as the video pipeline keeps them; "" for a quarter. */
static void
make_settings(struct gen *g, struct sb *b)
{
	int scenes = (int)below(g, 13);

	b->len = 0;
	b->p[0] = '\0';
	if (below(g, 4) == 0)
		return;
	sb_printf(b,
	          "{\"voice\":{\"stability\":%.2f,\"similarity_boost\":%.2f,"
	          "\"style\":{\"preset\":\"%s\",\"pitch\":[%d,0,%d]}},"
	          "\"video\":{\"aspect\":\"%s\",\"fps\":%d,\"scenes\":[",
	          unit(g), unit(g), below(g, 2) ? "warm" : "crisp", -(int)below(g, 4),
	          (int)below(g, 4), below(g, 2) ? "9:16" : "1:1", below(g, 2) ? 30 : 60);
	for (int i = 0; i < scenes && fits(b, 256); i++) {
		sb_printf(b, "%s{\"t\":%.1f,\"zoom\":%.2f,\"text\":", i ? "," : "", i * 2.5,
		          1 + unit(g) / 4);
		if (!sb_json_string(b, PICK(g, sentences)))
			sb_add(b, "null");
		sb_add(b, "}");
	}
	sb_printf(b,
	          "]},\"captions\":{\"font\":\"Inter\",\"size\":%d,\"langs\":[\"en\",\"fr\"]},"
	          "\"ab_test\":{\"variant\":\"%c\",\"weights\":[0.5,0.5]},\"n\":%llu}",
	          32 + (int)below(g, 24), (char)('A' + below(g, 3)),
	          /* JSON integers jobsd keeps fit in int64 (jansson's range). */
	          (unsigned long long)(gen_next(g) >> 1));
}

/* Legacy keys without a field of their own; "" for half. */
static void
make_extra(struct gen *g, struct sb *b)
{
	int n = 1 + (int)below(g, 4);

	b->len = 0;
	b->p[0] = '\0';
	if (below(g, 2) == 0)
		return;
	sb_add(b, "{\"tags\":[");
	for (int i = 0; i < n; i++) {
		sb_add(b, i ? "," : "");
		sb_json_string(b, PICK(g, tags));
	}
	sb_printf(b, "],\"schedule\":{\"start\":\"2026-%02d-01\",\"end\":null},\"notes\":",
	          1 + (int)below(g, 12));
	sb_json_string(b, PICK(g, sentences));
	sb_add(b, "}");
}

void
gen_job(struct gen *g, jobs_job *job, const char *id)
{
	struct sb b;
	static const char alnum[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

	memset(job, 0, sizeof *job);
	job->id = (char *)id;
	snprintf(g->name, sizeof g->name, "%s #%llu", PICK(g, names),
	         (unsigned long long)below(g, 100000));
	snprintf(g->product, sizeof g->product, "%s", PICK(g, products));
	snprintf(g->persona, sizeof g->persona, "%s", PICK(g, personas));
	snprintf(g->setting, sizeof g->setting, "%s", PICK(g, settings));
	snprintf(g->brand, sizeof g->brand, "%s", PICK(g, brands));
	for (size_t i = 0; i < 20; i++)
		g->voice[i] = alnum[below(g, sizeof alnum - 1)];
	g->voice[20] = '\0';
	b = (struct sb){g->hook, 0, sizeof g->hook};
	make_hook(g, &b);
	b = (struct sb){g->settings, 0, sizeof g->settings};
	make_settings(g, &b);
	b = (struct sb){g->extra, 0, sizeof g->extra};
	make_extra(g, &b);

	job->job_name = g->name;
	job->product = g->product;
	job->persona = g->persona;
	job->setting = g->setting;
	job->emotion = (char *)PICK(g, emotions);
	job->hook = g->hook;
	job->elevenlabs_voice_id = g->voice;
	job->language = (char *)PICK(g, languages);
	job->brand_name = g->brand;
	job->enabled = below(g, 10) != 0;
	job->enhanced_settings = g->settings;
	job->extra = g->extra;
	/* Name every field given, so a disabled job and "" mean what they say. */
	job->fields = JOBS_FIELD_JOB_NAME | JOBS_FIELD_PRODUCT | JOBS_FIELD_PERSONA |
	              JOBS_FIELD_SETTING | JOBS_FIELD_EMOTION | JOBS_FIELD_HOOK |
	              JOBS_FIELD_ELEVENLABS_VOICE_ID | JOBS_FIELD_LANGUAGE | JOBS_FIELD_BRAND_NAME |
	              JOBS_FIELD_ENABLED | JOBS_FIELD_ENHANCED_SETTINGS | JOBS_FIELD_EXTRA |
	              (id != NULL ? JOBS_FIELD_ID : 0);
}

/* ---- wire sizes ---------------------------------------------------------- */

/* The encoded size of a Request carrying `in` as call `field`, with the
 * envelope client.c puts around it. */
static size_t
request_size(const struct gen *g, unsigned field, const ProtobufCMessage *in)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field(&jobs__v1__request__descriptor, field);
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	req.request_id = "00000000-0000-4000-8000-000000000000";
	req.deadline_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 + g->timeout_ms;
	*(const ProtobufCMessage **)((char *)&req + f->offset) = in;
	*(uint32_t *)((char *)&req + f->quantifier_offset) = f->id;
	return jobs__v1__request__get_packed_size(&req);
}

/* Likewise for an OK Response carrying `out` as result `field`. */
static size_t
response_size(unsigned field, const ProtobufCMessage *out)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field(&jobs__v1__response__descriptor, field);
	Jobs__V1__Response resp = JOBS__V1__RESPONSE__INIT;

	resp.request_id = "00000000-0000-4000-8000-000000000000";
	*(const ProtobufCMessage **)((char *)&resp + f->offset) = out;
	*(uint32_t *)((char *)&resp + f->quantifier_offset) = f->id;
	return jobs__v1__response__get_packed_size(&resp);
}

/* A request carrying a job (create, update): its message with the mask. */
static size_t
job_request_size(const struct gen *g, unsigned field, const jobs_job *job)
{
	Jobs__V1__Job pb = JOBS__V1__JOB__INIT;
	char *mask[JOB_FIELDS_MAX];
	size_t n_mask;

	client_job_to_proto(job, &pb, mask, &n_mask);
	if (field == JOBS__V1__REQUEST__CALL_CREATE_JOB) {
		Jobs__V1__CreateJobRequest in = JOBS__V1__CREATE_JOB_REQUEST__INIT;
		in.job = &pb;
		in.field_mask = mask;
		in.n_field_mask = n_mask;
		return request_size(g, field, &in.base);
	} else {
		Jobs__V1__UpdateJobRequest in = JOBS__V1__UPDATE_JOB_REQUEST__INIT;
		in.job = &pb;
		in.update_mask = mask;
		in.n_update_mask = n_mask;
		return request_size(g, field, &in.base);
	}
}

/* A response carrying one job (get, create, update are the same shape). */
static size_t
job_response_size(const jobs_job *job)
{
	Jobs__V1__Job pb = JOBS__V1__JOB__INIT;
	Jobs__V1__GetJobResponse out = JOBS__V1__GET_JOB_RESPONSE__INIT;
	char *mask[JOB_FIELDS_MAX];
	size_t n_mask;

	if (job == NULL)
		return response_size(JOBS__V1__RESPONSE__RESULT_GET_JOB, &out.base);
	client_job_to_proto(job, &pb, mask, &n_mask);
	out.job = &pb;
	return response_size(JOBS__V1__RESPONSE__RESULT_GET_JOB, &out.base);
}

/* ---- the calls ------------------------------------------------------------- */

static const char *
pick_id(struct gen *g)
{
	return seed_id(g->id, below(g, g->n_ids));
}

static int
start_get(struct gen *g, jobs_client *c, jobs_call *call, union bench_out *out)
{
	return jobs_get_job_async(c, call, pick_id(g), &out->job);
}

static void
finish_get(struct gen *g, const jobs_call *call, union bench_out *out, struct wire_size *size)
{
	(void)call;
	if (size != NULL) {
		Jobs__V1__GetJobRequest in = JOBS__V1__GET_JOB_REQUEST__INIT;
		in.id = g->id;
		size->request = request_size(g, JOBS__V1__REQUEST__CALL_GET_JOB, &in.base);
		size->response = job_response_size(out->job);
	}
	jobs_job_free(out->job);
}

/* With --ack-log, records that the write of `out` was acknowledged. */
static void
log_ack(struct gen *g, const jobs_call *call, const jobs_job *out)
{
	if (g->acks != NULL && call->code == JOBS_OK && out != NULL)
		fprintf(g->acks, "%s %s\n", out->id, out->etag);
}

static int
start_create(struct gen *g, jobs_client *c, jobs_call *call, union bench_out *out)
{
	gen_job(g, &g->job, NULL); /* the server picks the id */
	return jobs_create_job_async(c, call, &g->job, &out->job);
}

/* A create or an update is over. */
static void
finish_write(struct gen *g, const jobs_call *call, union bench_out *out, struct wire_size *size,
             unsigned field)
{
	log_ack(g, call, out->job);
	if (size != NULL) {
		size->request = job_request_size(g, field, &g->job);
		size->response = job_response_size(out->job);
	}
	jobs_job_free(out->job);
}

static void
finish_create(struct gen *g, const jobs_call *call, union bench_out *out, struct wire_size *size)
{
	finish_write(g, call, out, size, JOBS__V1__REQUEST__CALL_CREATE_JOB);
}

static int
start_update(struct gen *g, jobs_client *c, jobs_call *call, union bench_out *out)
{
	jobs_job fresh;

	/* A new hook and settings, a flip of enabled, a new emotion: what an
	 * editor's save changes. Unconditional (no etag), so it never conflicts. */
	gen_job(g, &fresh, NULL);
	g->job = (jobs_job){
	    .id = (char *)pick_id(g),
	    .hook = fresh.hook,
	    .emotion = fresh.emotion,
	    .enabled = fresh.enabled,
	    .enhanced_settings = fresh.enhanced_settings,
	    .fields = JOBS_FIELD_HOOK | JOBS_FIELD_EMOTION | JOBS_FIELD_ENABLED |
	              JOBS_FIELD_ENHANCED_SETTINGS,
	};
	return jobs_update_job_async(c, call, &g->job, NULL, &out->job);
}

static void
finish_update(struct gen *g, const jobs_call *call, union bench_out *out, struct wire_size *size)
{
	finish_write(g, call, out, size, JOBS__V1__REQUEST__CALL_UPDATE_JOB);
}

/*
 * Proto copies of jobs[0..n) for measuring a reply's size: *pbs and *ptrs
 * are malloc'd (free both), their strings borrowed from the jobs. Returns
 * how many could be made (0 when out of memory).
 */
static size_t
jobs_to_pb(jobs_job *const *jobs, size_t n, Jobs__V1__Job **pbs, Jobs__V1__Job ***ptrs)
{
	char *mask[JOB_FIELDS_MAX];
	size_t n_mask;

	*pbs = NULL;
	*ptrs = NULL;
	if (n == 0 || (*pbs = calloc(n, sizeof **pbs)) == NULL ||
	    (*ptrs = calloc(n, sizeof **ptrs)) == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		(*pbs)[i] = (Jobs__V1__Job)JOBS__V1__JOB__INIT;
		client_job_to_proto(jobs[i], &(*pbs)[i], mask, &n_mask);
		(*ptrs)[i] = &(*pbs)[i];
	}
	return n;
}

/* The first page of 50, newest first, then up to three pages after it, as
 * a person paging through a list does. */
static int
start_list(struct gen *g, jobs_client *c, jobs_call *call, union bench_out *out)
{
	jobs_list_query q = {.page_size = 50, .page_token = g->token};

	return jobs_list_jobs_async(c, call, &q, &out->page);
}

static void
finish_list(struct gen *g, const jobs_call *call, union bench_out *out, struct wire_size *size)
{
	jobs_job_page *page = out->page;

	if (size != NULL) {
		Jobs__V1__ListJobsRequest in = JOBS__V1__LIST_JOBS_REQUEST__INIT;
		Jobs__V1__ListJobsResponse res = JOBS__V1__LIST_JOBS_RESPONSE__INIT;
		Jobs__V1__Job *pbs, **ptrs;

		in.page_size = 50;
		in.page_token = g->token;
		size->request = request_size(g, JOBS__V1__REQUEST__CALL_LIST_JOBS, &in.base);
		res.n_jobs = jobs_to_pb(page != NULL ? page->jobs : NULL,
		                        page != NULL ? page->n_jobs : 0, &pbs, &ptrs);
		res.jobs = ptrs;
		if (page != NULL)
			res.next_page_token = page->next_page_token;
		size->response = response_size(JOBS__V1__RESPONSE__RESULT_LIST_JOBS, &res.base);
		free(pbs);
		free(ptrs);
	}
	if (call->code == JOBS_OK && page->next_page_token[0] != '\0' && ++g->list_depth < 4 &&
	    strlen(page->next_page_token) < sizeof g->token) {
		strcpy(g->token, page->next_page_token);
	} else {
		g->token[0] = '\0';
		g->list_depth = 0;
	}
	jobs_job_page_free(page);
}

/* What people search for: words of the generated jobs' text, some as
 * prefixes, some as substrings (which the trigram index answers). */
static const struct {
	const char *text;
	jobs_search_mode mode;
} searches[] = {
    {"lantern", JOBS_SEARCH_WORDS},     {"yoga", JOBS_SEARCH_WORDS},
    {"speaker", JOBS_SEARCH_WORDS},     {"chair", JOBS_SEARCH_WORDS},
    {"kaffeemühle", JOBS_SEARCH_WORDS}, {"summer sale", JOBS_SEARCH_WORDS},
    {"umbrella", JOBS_SEARCH_WORDS},    {"\"smart plug\"", JOBS_SEARCH_WORDS},
    {"sol*", JOBS_SEARCH_WORDS},        {"therm*", JOBS_SEARCH_WORDS},
    {"ntern", JOBS_SEARCH_SUBSTRING},   {"rgonom", JOBS_SEARCH_SUBSTRING},
};

static int
start_search(struct gen *g, jobs_client *c, jobs_call *call, union bench_out *out)
{
	jobs_search_query q;

	g->search = below(g, sizeof searches / sizeof searches[0]);
	q = (jobs_search_query){
	    .text = searches[g->search].text, .mode = searches[g->search].mode, .page_size = 20};
	return jobs_search_jobs_async(c, call, &q, &out->found);
}

static void
finish_search(struct gen *g, const jobs_call *call, union bench_out *out, struct wire_size *size)
{
	jobs_search_page *page = out->found;

	(void)call;
	if (size != NULL) {
		Jobs__V1__SearchJobsRequest in = JOBS__V1__SEARCH_JOBS_REQUEST__INIT;
		Jobs__V1__SearchJobsResponse res = JOBS__V1__SEARCH_JOBS_RESPONSE__INIT;
		Jobs__V1__SearchResult *rs = NULL, **rp = NULL;
		Jobs__V1__Job *pbs, **ptrs;
		size_t n;

		in.query = (char *)searches[g->search].text;
		in.mode = (Jobs__V1__SearchMode)searches[g->search].mode;
		in.page_size = 20;
		size->request = request_size(g, JOBS__V1__REQUEST__CALL_SEARCH_JOBS, &in.base);
		n = jobs_to_pb(page != NULL ? page->jobs : NULL, page != NULL ? page->n_jobs : 0,
		               &pbs, &ptrs);
		if (n > 0 &&
		    ((rs = calloc(n, sizeof *rs)) == NULL || (rp = calloc(n, sizeof *rp)) == NULL))
			n = 0;
		for (size_t i = 0; i < n; i++) {
			rs[i] = (Jobs__V1__SearchResult)JOBS__V1__SEARCH_RESULT__INIT;
			rs[i].job = ptrs[i];
			rs[i].score = page->scores[i];
			rp[i] = &rs[i];
		}
		res.results = rp;
		res.n_results = n;
		if (page != NULL)
			res.next_page_token = page->next_page_token;
		size->response = response_size(JOBS__V1__RESPONSE__RESULT_SEARCH_JOBS, &res.base);
		free(rs);
		free(rp);
		free(pbs);
		free(ptrs);
	}
	jobs_search_page_free(page);
}

static int
start_health(struct gen *g, jobs_client *c, jobs_call *call, union bench_out *out)
{
	(void)g;
	return jobs_health_async(c, call, &out->health);
}

static void
finish_health(struct gen *g, const jobs_call *call, union bench_out *out, struct wire_size *size)
{
	jobs_health_info *h = out->health;

	(void)call;
	if (size != NULL) {
		Jobs__V1__HealthRequest in = JOBS__V1__HEALTH_REQUEST__INIT;
		Jobs__V1__HealthResponse res = JOBS__V1__HEALTH_RESPONSE__INIT;

		size->request = request_size(g, JOBS__V1__REQUEST__CALL_HEALTH, &in.base);
		if (h != NULL) {
			res.status = h->status;
			res.version = h->version;
			res.schema_version = h->schema_version;
			res.uptime_ms = h->uptime_ms;
			res.max_message_bytes = h->max_message_bytes;
		}
		size->response = response_size(JOBS__V1__RESPONSE__RESULT_HEALTH, &res.base);
	}
	jobs_health_info_free(h);
}

/* ---- seeding ----------------------------------------------------------- */

/* Jobs per BatchCreateJobs call stay under this many bytes, well inside
 * jobsd's default 1 MiB limit on a request. */
#define SEED_BATCH_BYTES (900 * 1024)

/* A copy of the strings gen_job() points into g's buffers; 0 or -1. */
static int
job_copy(jobs_job *dst, const jobs_job *src)
{
	char **d[] = {&dst->id,
	              &dst->job_name,
	              &dst->product,
	              &dst->persona,
	              &dst->setting,
	              &dst->emotion,
	              &dst->hook,
	              &dst->elevenlabs_voice_id,
	              &dst->language,
	              &dst->brand_name,
	              &dst->enhanced_settings,
	              &dst->extra};
	char *const *s[] = {&src->id,
	                    &src->job_name,
	                    &src->product,
	                    &src->persona,
	                    &src->setting,
	                    &src->emotion,
	                    &src->hook,
	                    &src->elevenlabs_voice_id,
	                    &src->language,
	                    &src->brand_name,
	                    &src->enhanced_settings,
	                    &src->extra};

	*dst = *src;
	for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
		*d[i] = NULL;
	for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
		if (*s[i] != NULL && (*d[i] = strdup(*s[i])) == NULL)
			return -1;
	return 0;
}

static void
job_copy_free(jobs_job *j)
{
	char **d[] = {&j->id,
	              &j->job_name,
	              &j->product,
	              &j->persona,
	              &j->setting,
	              &j->emotion,
	              &j->hook,
	              &j->elevenlabs_voice_id,
	              &j->language,
	              &j->brand_name,
	              &j->enhanced_settings,
	              &j->extra};

	for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
		free(*d[i]);
		*d[i] = NULL;
	}
}

int
seed_batch(struct gen *g, jobs_client *c, jobs_call *call, uint64_t first, uint64_t n)
{
	jobs_job *jobs = calloc(JOBS_BATCH_MAX_JOBS, sizeof *jobs);
	const jobs_job **ptrs = calloc(JOBS_BATCH_MAX_JOBS, sizeof *ptrs);
	size_t k = 0, bytes = 0;
	int rv = JOBS_OK;

	if (jobs == NULL || ptrs == NULL) {
		free(jobs);
		free(ptrs);
		return JOBS_RESOURCE_EXHAUSTED;
	}
	for (uint64_t i = first; i <= first + n && rv == JOBS_OK; i++) {
		size_t w = 0;
		jobs_job job;
		char id[32];

		if (i < first + n) {
			g->rng = mix64(i) | 1; /* job i is the same job on every run */
			gen_job(g, &job, seed_id(id, i));
			w = jobs_job_wire_size(&job);
		}
		/* Send what is pending when the next job would not fit, or at the end. */
		if (k > 0 &&
		    (i == first + n || k == JOBS_BATCH_MAX_JOBS || bytes + w > SEED_BATCH_BYTES)) {
			rv = jobs_batch_create_jobs(c, call, ptrs, k, 0, NULL);
			for (size_t x = 0; x < k; x++)
				job_copy_free(&jobs[x]);
			k = bytes = 0;
		}
		if (i < first + n && rv == JOBS_OK) {
			if (job_copy(&jobs[k], &job) != 0) {
				rv = JOBS_RESOURCE_EXHAUSTED;
				break;
			}
			ptrs[k] = &jobs[k];
			k++;
			bytes += w;
		}
	}
	for (size_t x = 0; x < k; x++)
		job_copy_free(&jobs[x]);
	free(jobs);
	free(ptrs);
	return rv;
}

/* ---- the table ----------------------------------------------------------- */

const struct call_kind call_kinds[] = {
    {"get", "GetJob", true, false, NULL, start_get, finish_get},
    {"update", "UpdateJob", true, true, NULL, start_update, finish_update},
    {"create", "CreateJob", false, true, NULL, start_create, finish_create},
    {"list", "ListJobs", false, false, NULL, start_list, finish_list},
    {"search", "SearchJobs", false, false, NULL, start_search, finish_search},
    {"health", "Health", false, false, NULL, start_health, finish_health},
};
const size_t n_call_kinds = sizeof call_kinds / sizeof call_kinds[0];
_Static_assert(sizeof call_kinds / sizeof call_kinds[0] <= BENCH_MAX_KINDS, "BENCH_MAX_KINDS");

int
call_kind_find(const char *name, size_t len)
{
	for (size_t i = 0; i < n_call_kinds; i++)
		if (strlen(call_kinds[i].name) == len &&
		    strncmp(call_kinds[i].name, name, len) == 0)
			return (int)i;
	return -1;
}
