/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strict JSON for signed and measured documents: one meaning per document. Duplicate keys,
 * unknown keys, trailing data and NUL characters are refused, so that what a verifier checked is
 * exactly what every other reader sees.
 */
#ifndef WARD_CORE_JSON_H
#define WARD_CORE_JSON_H

#include <jansson.h>
#include <stdint.h>

#include "core/diag.h"

/**
 * json_parse_strict() - parse a whole buffer as one JSON value.
 * @buf: the text.
 * @len: its length.
 * @what: what it is, for messages ("evidence", "policy").
 * @ret: the value (caller owns a reference).
 * @d: diagnostics: line and column of the first error.
 *
 * Return: 0, or -EBADMSG for malformed JSON or a duplicate key.
 */
int json_parse_strict(const uint8_t *buf, size_t len, const char *what, json_t **ret,
		      struct ward_diag *d);

/**
 * json_only_keys() - refuse an object holding any key outside @allowed.
 * @obj: a JSON object.
 * @allowed: NULL-terminated list of key names.
 * @what: the object's name in messages.
 * @d: diagnostics.
 *
 * Return: 0, or -EBADMSG when @obj is not an object or has an unknown key.
 */
int json_only_keys(json_t *obj, const char *const *allowed, const char *what, struct ward_diag *d);

/** json_req_string() - a required string member; -EBADMSG when absent or not a string. */
int json_req_string(json_t *obj, const char *key, const char *what, const char **ret,
		    struct ward_diag *d);

/** json_req_u64() - a required non-negative integer member; -EBADMSG otherwise. */
int json_req_u64(json_t *obj, const char *key, const char *what, uint64_t *ret, struct ward_diag *d);

/** json_req_object() - a required object member; -EBADMSG otherwise. */
int json_req_object(json_t *obj, const char *key, const char *what, json_t **ret,
		    struct ward_diag *d);

#endif
