/*
 * example.c: a complete program using libjobsclient, as another service would.
 *
 *   cc example.c $(pkg-config --cflags --libs jobsclient) -o example
 *   ./example tcp://127.0.0.1:7460
 *
 * Creates a job, changes it only if nobody else did in the meantime (etag),
 * lists the newest jobs, reads them again all at once through the
 * asynchronous calls and a queue, and deletes its own. Every call returns a
 * jobs_code; `call` holds the same code and a message for people.
 */
#include <jobs/client.h>

#include <stdio.h>
#include <stdlib.h>

static int
check(int code, const jobs_call *call, const char *what)
{
	if (code != JOBS_OK)
		fprintf(stderr, "example: %s: %s (%s)\n", what, call->message,
		        jobs_code_name(code));
	return code;
}

int
main(int argc, char **argv)
{
	const char *url = argc > 1 ? argv[1] : "tcp://127.0.0.1:7460";
	jobs_client *c;
	jobs_call call = {0};
	jobs_job *job = NULL, *changed = NULL;
	jobs_job_page *page = NULL;
	jobs_queue *queue = NULL;
	jobs_call *reads = NULL;
	jobs_job **got = NULL;
	size_t started = 0;
	int rv = 1;

	if (check(jobs_client_open(&c, url, NULL, &call), &call, "connect") != JOBS_OK)
		return 1;

	/* Fields not named in `fields` take the server's defaults. */
	jobs_job draft = {
	    .job_name = "Example job",
	    .product = "Solar Lantern",
	    .enhanced_settings = "{\"voice\": {\"stability\": 0.5}}",
	    .fields = JOBS_FIELD_JOB_NAME | JOBS_FIELD_PRODUCT | JOBS_FIELD_ENHANCED_SETTINGS,
	};
	if (check(jobs_create_job(c, &call, &draft, &job), &call, "create") != JOBS_OK)
		goto out;
	printf("created %s (language %s, etag %s)\n", job->id, job->language, job->etag);

	jobs_job change = {.id = job->id, .enabled = false, .fields = JOBS_FIELD_ENABLED};
	if (check(jobs_update_job(c, &call, &change, job->etag, &changed), &call, "update") !=
	    JOBS_OK)
		goto out;
	printf("disabled %s (etag %s)\n", changed->id, changed->etag);

	jobs_list_query q = {.page_size = 5};
	if (check(jobs_list_jobs(c, &call, &q, &page), &call, "list") != JOBS_OK)
		goto out;
	printf("newest %zu jobs:\n", page->n_jobs);
	for (size_t i = 0; i < page->n_jobs; i++)
		printf("  %s  %s\n", page->jobs[i]->id, page->jobs[i]->job_name);

	/* Each read is sent before any answer is awaited; the answers are
	 * collected from the queue as they come. */
	if ((reads = calloc(page->n_jobs + 1, sizeof *reads)) == NULL ||
	    (got = calloc(page->n_jobs + 1, sizeof *got)) == NULL ||
	    jobs_queue_open(&queue) != JOBS_OK)
		goto out;
	for (size_t i = 0; i < page->n_jobs; i++) {
		reads[i] = (jobs_call){.queue = queue};
		if (check(jobs_get_job_async(c, &reads[i], page->jobs[i]->id, &got[i]), &reads[i],
		          "read") == JOBS_OK)
			started++;
	}
	for (; started > 0; started--) {
		jobs_call *done = jobs_queue_next(queue, -1);
		jobs_job *read = got[done - reads];

		if (check(done->code, done, "read") == JOBS_OK)
			printf("read %s again (etag %s)\n", read->id, read->etag);
		jobs_job_free(read);
	}

	if (check(jobs_delete_job(c, &call, job->id, changed->etag), &call, "delete") != JOBS_OK)
		goto out;
	printf("deleted %s\n", job->id);
	rv = 0;
out:
	jobs_queue_close(queue);
	free(got);
	free(reads);
	jobs_job_page_free(page);
	jobs_job_free(changed);
	jobs_job_free(job);
	jobs_client_close(c);
	return rv;
}
