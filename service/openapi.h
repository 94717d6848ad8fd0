/*
 * openapi.h -- the OpenAPI document compiled into the binary.
 *
 * The Makefile turns service/openapi.json into the bytes below, so that
 * GET /openapi.json serves the very file that make openapi-lint checks,
 * whatever the working directory.
 */
#ifndef WENDA_OPENAPI_H
#define WENDA_OPENAPI_H

#include <stddef.h>

/* The document's bytes, UTF-8 JSON, not NUL-terminated. */
extern const unsigned char wenda_openapi_json[];
extern const size_t wenda_openapi_json_len;

#endif /* WENDA_OPENAPI_H */
