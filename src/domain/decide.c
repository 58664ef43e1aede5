/* SPDX-License-Identifier: Apache-2.0 */
/* The verdict on one object opened from a code mount: pure, table-tested. */
#include <stdio.h>
#include <string.h>

#include "ward/domain.h"

#define REASON_MAX 256

static const char *const mode_names[__WARD_MODE_MAX] = {
	[WARD_MODE_ENFORCE] = "enforce",
	[WARD_MODE_AUDIT] = "audit",
	[WARD_MODE_MEASURE] = "measure",
};

const char *domain_mode_name(enum ward_domain_mode m)
{
	return (unsigned)m < __WARD_MODE_MAX ? mode_names[m] : NULL;
}

enum rule_class {
	CLASS_ERROR,	  /* could not decide: deny in every mode */
	CLASS_STRUCTURAL, /* holds in enforce and measure-only mode */
	CLASS_ALLOWLIST,  /* holds in enforce mode */
};

static enum ward_decision_verdict refuse(const struct ward_domain_rules *rules, enum rule_class c)
{
	if (c == CLASS_ERROR)
		return WARD_DECISION_DENY;
	if (rules->mode == WARD_MODE_AUDIT)
		return WARD_DECISION_AUDIT;
	if (c == CLASS_ALLOWLIST && rules->mode == WARD_MODE_MEASURE)
		return WARD_DECISION_ALLOW;
	return WARD_DECISION_DENY;
}

enum ward_decision_verdict domain_decide(const struct ward_domain_rules *rules,
					 const struct ward_object_facts *obj, char *ret_reason)
{
	const struct ward_policy *p = rules->mode == WARD_MODE_MEASURE ? NULL : rules->policy;
	enum ward_decision_verdict v;
	const char *dir;

	ret_reason[0] = 0;
	if (!obj->regular) {
		snprintf(ret_reason, REASON_MAX, "not a regular file");
		return refuse(rules, CLASS_STRUCTURAL);
	}
	if (obj->measure_err) {
		snprintf(ret_reason, REASON_MAX, "could not be measured: %s", strerror(-obj->measure_err));
		return refuse(rules, CLASS_ERROR);
	}
	if (obj->writer) {
		snprintf(ret_reason, REASON_MAX, "open for writing: it can change after it is measured");
		return refuse(rules, CLASS_STRUCTURAL);
	}
	if (obj->elf_err) {
		snprintf(ret_reason, REASON_MAX, "malformed ELF headers");
		return refuse(rules, CLASS_STRUCTURAL);
	}
	if (obj->elf.is_elf && (obj->elf.wx_segment || obj->elf.exec_stack || obj->elf.textrel) &&
	    !(p && p->domain.allow_wx_elf)) {
		snprintf(ret_reason, REASON_MAX, "ELF needs writable-executable memory (%s%s%s)",
			 obj->elf.wx_segment ? "W+X segment" : "",
			 obj->elf.exec_stack ? (obj->elf.wx_segment ? ", executable stack" :
								       "executable stack") : "",
			 obj->elf.textrel ? (obj->elf.wx_segment || obj->elf.exec_stack ?
					     ", text relocations" : "text relocations") : "");
		return refuse(rules, CLASS_STRUCTURAL);
	}
	if (obj->unverified) {
		snprintf(ret_reason, REASON_MAX, "unverified: %s", obj->unverified);
		v = refuse(rules, CLASS_ALLOWLIST);
		if (v == WARD_DECISION_DENY || v == WARD_DECISION_AUDIT)
			return v;
	}
	if (!p) {
		if (!ret_reason[0])
			snprintf(ret_reason, REASON_MAX, "measure-only");
		return WARD_DECISION_ALLOW;
	}
	if (policy_lookup(p, hash_alg_name(obj->digest.alg), obj->digest.bytes,
			  hash_alg_size(obj->digest.alg)))
		return WARD_DECISION_ALLOW;
	if (!obj->exec && !obj->elf.is_elf && (dir = policy_data_dir(p, obj->path))) {
		snprintf(ret_reason, REASON_MAX, "data below %s", dir);
		return WARD_DECISION_ALLOW;
	}
	snprintf(ret_reason, REASON_MAX, "not in policy");
	return refuse(rules, CLASS_ALLOWLIST);
}
