/* SPDX-License-Identifier: Apache-2.0 */
/* Opening the state dir for verbs that write to it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cli-state.h"
#include "core/cleanup.h"

int cli_open_state(unsigned flags, struct ward_state **ret)
{
	struct ward_diag d = { { 0 } };
	struct ward_state_create c = { .attester = cli_global.attester, .tcti = cli_global.tcti,
				       .pcr = cli_global.pcr };
	int r = state_open_with(cli_state_dir(), &c, flags, ret, &d);

	if (r < 0)
		return cli_error(r == -EUCLEAN ? EXIT_VERDICT : EXIT_USAGE, "%s",
				 d.msg[0] ? d.msg : strerror(-r));
	if ((*ret)->repaired && (*ret)->repaired == evlog_store_log((*ret)->log)->n)
		cli_warn("tpm: PCR %u was at its reset value (the TPM restarted since the log began): "
			 "extended the log's %zu records into it again", (unsigned)(*ret)->pcr,
			 (*ret)->repaired);
	else if ((*ret)->repaired)
		cli_warn("tpm: PCR %u lacked the last %zu records of the log (an append whose extend "
			 "was cut short, or records written without the attester); extended them now",
			 (unsigned)(*ret)->pcr, (*ret)->repaired);
	if (evlog_store_cut_bytes((*ret)->log))
		cli_warn("%s/log: cut %llu bytes of torn tail left by an interrupted append (no "
			 "reported record was lost)",
			 (*ret)->path, (unsigned long long)evlog_store_cut_bytes((*ret)->log));
	return 0;
}

int cli_parse_pcr(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 23)
		return -2; /* state_open_with() refuses it with the reason */
	return (int)v;
}

int cli_parse_common(int c, const char *arg)
{
	switch (c) {
	case 's':
		cli_global.state_dir = arg;
		return 1;
	case 'A':
		cli_global.attester = arg;
		return 1;
	case CLI_OPT_TCTI:
		cli_global.tcti = arg;
		return 1;
	case CLI_OPT_PCR:
		cli_global.pcr = cli_parse_pcr(arg);
		return 1;
	default:
		return 0;
	}
}

int cli_monitor_policy(struct ward_state *st, const char *path, struct ward_policy **ret,
		       struct ward_policy_ref *ret_pref, enum ward_policy_status *ret_status)
{
	struct ward_diag d = { { 0 } };
	enum ward_policy_status status;
	int r = policy_state_for_monitor(st, path, time(NULL), ret, ret_pref, &status, &d);

	if (r < 0)
		return cli_error(EXIT_WARD, "%s", d.msg[0] ? d.msg : strerror(-r));
	if (ret_status)
		*ret_status = status;
	return 0;
}
