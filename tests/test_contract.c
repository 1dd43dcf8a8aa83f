/*
 * test_contract.c: the proto's service is the one list of calls. The server's
 * dispatch table, the client library's call table and its functions (both
 * forms), jobsctl's commands and the client's field table must each cover it
 * exactly, so that a call cannot exist in one place and be missing in
 * another.
 */
#include "dispatch.h"
#include "helpers.h"
#include "internal.h"
#include "status.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static const ProtobufCServiceDescriptor *svc = &jobs__v1__jobs__descriptor;

/* "CreateJob" -> "jobs_create_job": the library's naming rule (client.h). */
static void
function_name(const char *method, char *out, size_t n)
{
	size_t k = (size_t)snprintf(out, n, "jobs");

	for (const char *p = method; *p != '\0' && k + 2 < n; p++) {
		if (isupper((unsigned char)*p))
			out[k++] = '_';
		out[k++] = (char)tolower((unsigned char)*p);
	}
	out[k] = '\0';
}

Test(contract, the_server_dispatches_every_call)
{
	const struct method *m;
	char err[256];
	size_t n;

	cr_assert_eq(dispatch_init(err, sizeof err), 0, "%s", err);
	m = dispatch_methods(&n);
	cr_assert_eq(n, svc->n_methods);
	for (size_t i = 0; i < n; i++) {
		const ProtobufCMethodDescriptor *md = &svc->methods[i];

		cr_assert_str_eq(m[i].name, md->name);
		cr_assert_not_null(m[i].handler, "%s", md->name);
		cr_assert_eq(m[i].in_field->descriptor, md->input, "%s", md->name);
		cr_assert_eq(m[i].out_field->descriptor, md->output, "%s", md->name);
		cr_assert_eq(m[i].in_field->id, m[i].out_field->id,
		             "%s: Request and Response use one field number", md->name);
		cr_assert(m[i].lane == LANE_INLINE || m[i].lane == LANE_READ ||
		          m[i].lane == LANE_WRITE);
	}
}

Test(contract, the_client_library_has_a_function_per_call_in_both_forms)
{
	void *lib = dlopen(JOBSCLIENT_SO, RTLD_NOW | RTLD_LOCAL);
	char name[128], async[160];

	cr_assert_not_null(lib, "%s", dlerror());
	for (unsigned i = 0; i < svc->n_methods; i++) {
		function_name(svc->methods[i].name, name, sizeof name);
		snprintf(async, sizeof async, "%s_async", name);
		cr_assert_not_null(dlsym(lib, name), "libjobsclient has no %s for %s", name,
		                   svc->methods[i].name);
		cr_assert_not_null(dlsym(lib, async), "libjobsclient has no %s for %s", async,
		                   svc->methods[i].name);
	}
	dlclose(lib);
}

Test(contract, the_client_call_table_is_the_service)
{
	cr_assert_eq(N_CALLS, svc->n_methods, "one entry per call of the service");
	for (unsigned i = 0; i < svc->n_methods; i++) {
		const ProtobufCMethodDescriptor *md = &svc->methods[i];
		const struct call_def *def = &client_call_defs[i];
		const ProtobufCFieldDescriptor *in, *out;

		cr_assert_str_eq(def->method, md->name, "entry %u, in service order", i);
		in = protobuf_c_message_descriptor_get_field(&jobs__v1__request__descriptor,
		                                             def->field);
		out = protobuf_c_message_descriptor_get_field(&jobs__v1__response__descriptor,
		                                              def->field);
		cr_assert_not_null(in, "%s: no Request field %u", md->name, def->field);
		cr_assert_not_null(out, "%s: no Response field %u", md->name, def->field);
		cr_assert_eq(in->descriptor, md->input, "%s: the request's type", md->name);
		cr_assert_eq(out->descriptor, md->output, "%s: the response's type", md->name);
		/* A call whose answer carries something hands it out. */
		cr_assert_eq(def->hand_out != NULL,
		             ((const ProtobufCMessageDescriptor *)md->output)->n_fields > 0,
		             "%s: hand_out", md->name);
	}
}

Test(contract, jobsctl_reaches_every_call)
{
	const char *argv[] = {JOBSCTL_PATH, "commands", NULL};
	struct run r = run_cmd(argv, NULL, NULL);

	cr_assert_eq(r.status, 0, "%s", r.err);
	for (unsigned i = 0; i < svc->n_methods; i++) {
		const char *name = svc->methods[i].name;
		bool found = false;

		/* Lines are "command<TAB>Call Call ..."; match whole call names. */
		for (const char *p = strstr(r.out, name); p != NULL; p = strstr(p + 1, name)) {
			char before = p == r.out ? '\n' : p[-1], after = p[strlen(name)];
			if ((before == '\t' || before == ' ') && (after == '\n' || after == ' '))
				found = true;
		}
		cr_assert(found, "no jobsctl command makes the %s call:\n%s", name, r.out);
	}
	run_free(&r);
}

Test(contract, the_client_field_table_is_the_proto_job)
{
	const ProtobufCMessageDescriptor *d = &jobs__v1__job__descriptor;

	cr_assert_eq(client_n_job_fields, d->n_fields);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const struct job_field *jf = client_job_field_by_name(f->name);

		cr_assert_not_null(jf, "the client has no entry for Job.%s", f->name);
		cr_assert_eq(jf->pb_offset, f->offset, "%s", f->name);
		switch (f->type) {
		case PROTOBUF_C_TYPE_STRING:
			cr_assert(jf->kind == JF_TEXT || jf->kind == JF_JSON, "%s", f->name);
			break;
		case PROTOBUF_C_TYPE_BOOL:
			cr_assert_eq(jf->kind, JF_BOOL, "%s", f->name);
			break;
		case PROTOBUF_C_TYPE_INT64:
			cr_assert_eq(jf->kind, JF_TIME, "%s", f->name);
			break;
		default:
			cr_assert_fail("Job.%s has a type the client does not handle", f->name);
		}
	}
}

Test(contract, status_codes_and_names_match_the_wire)
{
	const ProtobufCEnumDescriptor *e = &jobs__v1__code__descriptor;

	cr_assert_eq(e->n_values, 17, "the gRPC canonical set");
	for (unsigned i = 0; i < e->n_values; i++) {
		cr_assert_str_eq(jobs_code_name(e->values[i].value), e->values[i].name);
		cr_assert_str_eq(status_name(e->values[i].value), e->values[i].name);
	}
	cr_assert_str_eq(jobs_code_name(99), "UNKNOWN_CODE");
}
