/*
 * fuzz_http.c: libFuzzer on jobsd's HTTP request path: a request as it
 * comes off the wire (request line, headers, body) -> http_serve_sync()
 * (routing, parameters, JSON bodies, the calls through call_decode() and
 * the lanes, the answers as JSON) on a temporary database (fuzz_db.c).
 * nng's own parsing of the head is not ours: a head that nng would refuse
 * (no method and target, control characters) is skipped, and each header
 * line is split at its first ':' as nng splits it.
 *
 * Every answer must be a status of 100-599, never 500 (hostile input must
 * never be our bug); a JSON answer must parse, and an error must say why.
 *
 * Build and run: tools/fuzz/run.sh [SECONDS] (see tools/README.md).
 */
#include "fuzz_db.h"
#include "http.h"

#include <jansson.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HEADERS 32
#define MAX_BODY    (64 * 1024)

static store *db;
static struct server_info info = {.version = "fuzz", .max_inflight = 64};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	info.max_message_bytes = MAX_BODY;
	db = fuzz_db_open("fuzz_http", &info);
	return 0;
}

/* The next line of the head at *p (its end cut at "\r\n" or "\n"); NULL at
 * the blank line that ends the head. */
static char *
next_line(char **p)
{
	char *line = *p, *nl = strchr(line, '\n');

	if (nl == NULL) {
		*p = line + strlen(line);
	} else {
		*nl = '\0';
		*p = nl + 1;
	}
	if (nl != NULL && nl > line && nl[-1] == '\r')
		nl[-1] = '\0';
	return *line != '\0' ? line : NULL;
}

static void
check(const struct http_answer *a, const char *method, const char *uri)
{
	json_error_t je;
	json_t *v;

	if (a->status < 100 || a->status > 599)
		fuzz_die("status out of range", uri);
	if (a->status == 500)
		fuzz_die(method, a->body); /* hostile input must never be our bug */
	if (a->content_type == NULL || strcmp(a->content_type, "application/json") != 0)
		return;
	if ((v = json_loadb(a->body, a->len, 0, &je)) == NULL)
		fuzz_die("an answer that is not JSON", a->body);
	if (a->status >= 400) {
		json_t *e = json_object_get(v, "error");

		if (!json_is_string(e) || *json_string_value(e) == '\0')
			fuzz_die("an error without a reason", a->body);
	}
	json_decref(v);
	if (a->status == 405 && strstr(a->headers, "Allow: ") == NULL)
		fuzz_die("405 without Allow", uri);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *p, *line, *method, *uri, *end;
	const char *headers[2 * MAX_HEADERS + 1];
	struct http_answer a;
	size_t n = 0, head;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	/* The head is text up to the blank line; the body, any bytes after. */
	head = strlen(buf);
	end = strstr(buf, "\n\r\n");
	if (end == NULL || (strstr(buf, "\n\n") != NULL && strstr(buf, "\n\n") < end))
		end = strstr(buf, "\n\n");
	if (end != NULL)
		head = (size_t)(end - buf) + 1;
	for (size_t i = 0; i < head; i++)
		if ((unsigned char)buf[i] < ' ' && buf[i] != '\r' && buf[i] != '\n')
			goto skip; /* nng answers 400 */
	p = buf;
	if ((line = next_line(&p)) == NULL || (uri = strchr(line, ' ')) == NULL)
		goto skip;
	method = line;
	*uri++ = '\0';
	uri[strcspn(uri, " ")] = '\0';
	while ((line = next_line(&p)) != NULL && n < 2 * MAX_HEADERS) {
		char *colon = strchr(line, ':');

		if (colon == NULL)
			goto skip; /* nng answers 400 */
		*colon = '\0';
		colon++;
		colon += strspn(colon, " \t");
		headers[n++] = line;
		headers[n++] = colon;
	}
	headers[n] = NULL;
	if (end != NULL)
		p = end + (end[1] == '\r' ? 3 : 2);
	if (http_serve_sync(&info, db, MAX_BODY, method, uri, headers, p, size - (size_t)(p - buf),
	                    &a) != 0)
		fuzz_die("http_serve_sync", "out of memory");
	check(&a, method, uri);
	http_answer_free(&a);
	fuzz_db_reset();
skip:
	free(buf);
	return 0;
}
