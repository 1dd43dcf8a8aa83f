/*
 * status.h: the one error model of the server.
 *
 * Every fallible server function returns an int: 0 (ST(OK)) or a code of the
 * wire's jobs.v1.Code enum, which is the gRPC canonical set. SQLite, nng and
 * protobuf-c codes are mapped to these where those libraries are called and
 * never travel further up.
 */
#ifndef JOBSD_STATUS_H
#define JOBSD_STATUS_H

#include "jobs/v1/jobs.pb-c.h"

/* ST(NOT_FOUND) is JOBS__V1__CODE__NOT_FOUND: short to write, one enum. */
#define ST(name) JOBS__V1__CODE__##name

/* The code's name as in the proto ("NOT_FOUND"); "UNKNOWN_CODE" if none. */
const char *status_name(int code);

#endif
