/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <string.h>

#include "core/json.h"

int json_parse_strict(const uint8_t *buf, size_t len, const char *what, json_t **ret,
		      struct ward_diag *d)
{
	json_error_t err;
	json_t *v;

	v = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
	if (!v)
		return diag_set(d, -EBADMSG, "%s: line %d, column %d: %s", what, err.line,
				err.column, err.text);
	*ret = v;
	return 0;
}

int json_only_keys(json_t *obj, const char *const *allowed, const char *what, struct ward_diag *d)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return diag_set(d, -EBADMSG, "%s: expected a JSON object", what);
	json_object_foreach(obj, key, v) {
		const char *const *a;

		for (a = allowed; *a; a++)
			if (strcmp(*a, key) == 0)
				break;
		if (!*a)
			return diag_set(d, -EBADMSG, "%s: unknown key \"%s\"", what, key);
	}
	return 0;
}

int json_req_string(json_t *obj, const char *key, const char *what, const char **ret,
		    struct ward_diag *d)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v))
		return diag_set(d, -EBADMSG, "%s: \"%s\" must be a string", what, key);
	*ret = json_string_value(v);
	return 0;
}

int json_req_u64(json_t *obj, const char *key, const char *what, uint64_t *ret, struct ward_diag *d)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return diag_set(d, -EBADMSG, "%s: \"%s\" must be a non-negative integer", what, key);
	*ret = (uint64_t)json_integer_value(v);
	return 0;
}

int json_req_object(json_t *obj, const char *key, const char *what, json_t **ret,
		    struct ward_diag *d)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_object(v))
		return diag_set(d, -EBADMSG, "%s: \"%s\" must be an object", what, key);
	*ret = v;
	return 0;
}
