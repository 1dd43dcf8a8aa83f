/*
 * bench_html.c: jobsbench --format html, one page that needs nothing else.
 *
 * The page is tools/report.html, built into the program (tools/embed.cmake
 * makes report_html[] of it). Its data block holds the marker below; the
 * page's own script draws the summary, the charts and the tables from that
 * JSON, which is report_json(), the same document as --format json. The
 * page fetches nothing: its Content-Security-Policy (default-src 'none')
 * forbids it, so a browser refuses even a mistaken fetch.
 *
 * The JSON goes into a <script type="application/json"> element, where the
 * HTML parser looks for "</script" and "<!--" and nothing else: with every
 * "<" written as \u003c (the same string to JSON.parse), no server URL or
 * message can end the element or change how it is parsed.
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

#define MARKER "@JOBSBENCH_DATA@"

extern const unsigned char report_html_page[];
extern const size_t report_html_page_len;

int
report_html(const struct bench_report *r, FILE *out)
{
	const char *page = (const char *)report_html_page, *mark = strstr(page, MARKER);
	json_t *o;
	char *data;

	if (mark == NULL) /* report.html lost its marker: a build mistake */
		return -1;
	if ((o = report_json(r)) == NULL)
		return -1;
	data = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(o);
	if (data == NULL)
		return -1;
	fwrite(page, 1, (size_t)(mark - page), out);
	for (const char *p = data; *p != '\0'; p++) {
		size_t n = strcspn(p, "<");

		fwrite(p, 1, n, out);
		p += n;
		if (*p == '\0')
			break;
		fputs("\\u003c", out);
	}
	fputs(mark + strlen(MARKER), out);
	free(data);
	return 0;
}
