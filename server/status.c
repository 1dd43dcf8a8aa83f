/*
 * status.c: see status.h. The names come from the proto's Code enum, so they
 * are the wire's own.
 */
#include "status.h"

const char *
status_name(int code)
{
	const ProtobufCEnumValue *v =
	    protobuf_c_enum_descriptor_get_value(&jobs__v1__code__descriptor, code);
	return v != NULL ? v->name : "UNKNOWN_CODE";
}
