/* SPDX-License-Identifier: Apache-2.0 */
/* A verdict is a result, not an error: errors mean "could not decide" and callers deny. */
#ifndef WARD_VERDICT_H
#define WARD_VERDICT_H

enum ward_verdict {
	WARD_VERDICT_PASS,
	WARD_VERDICT_FAIL,
	__WARD_VERDICT_MAX,
};

#endif
