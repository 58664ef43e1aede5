/* SPDX-License-Identifier: Apache-2.0 */
/* The final privilege drop of a domain, through raw prctl() and capset() (no libcap). */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ward/privs.h"

/* The bits ward manages. Bits newer than these (SECBIT_EXEC_*) are left as the caller set them. */
#define SECBITS_MANAGED                                                                            \
	(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |                           \
	 SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS | SECBIT_KEEP_CAPS_LOCKED |              \
	 SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)

/* NOROOT: uid 0 (real or through a setuid-root file) gains no capability at execve.
 * NO_SETUID_FIXUP: a later uid change neither grants nor (usefully) keeps anything, since the
 * sets are emptied below. KEEP_CAPS off and locked, NO_CAP_AMBIENT_RAISE on and locked. */
#define SECBITS_WANTED                                                                             \
	(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |                           \
	 SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |   \
	 SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)

/* Capabilities are 64 bits wide in the kernel; the loop stops at its last with EINVAL. */
#define CAP_LIMIT 64

static int drop_bounding(struct ward_diag *d)
{
	for (unsigned long cap = 0; cap < CAP_LIMIT; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (r < 0 && errno == EINVAL)
			return 0; /* past the kernel's last capability */
		if (r < 0) {
			r = -errno;
			return diag_set(d, r, "privs: cannot read bounding capability %lu: %s", cap,
					strerror(-r));
		}
		/* Only drop what is there, so that a set already emptied needs no CAP_SETPCAP. */
		if (r == 1 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			r = -errno;
			return diag_set(d, r, "privs: cannot drop capability %lu from the bounding "
					      "set: %s", cap, strerror(-r));
		}
	}
	return diag_set(d, -EIO, "privs: the kernel reports more than %d capabilities",
			CAP_LIMIT);
}

static int lock_securebits(struct ward_diag *d)
{
	int cur = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	int want, r;

	if (cur < 0) {
		r = -errno;
		return diag_set(d, r, "privs: cannot read securebits: %s", strerror(-r));
	}
	want = (cur & ~SECBITS_MANAGED) | SECBITS_WANTED;
	if (cur != want && prctl(PR_SET_SECUREBITS, (unsigned long)want, 0, 0, 0) < 0) {
		r = -errno;
		return diag_set(d, r, "privs: cannot lock securebits %#x (now %#x): %s",
				(unsigned)want, (unsigned)cur, strerror(-r));
	}
	return 0;
}

static int set_ids_now(uid_t uid, gid_t gid, struct ward_diag *d)
{
	int r;

	/* Groups first, then gid, then uid: the uid change would take CAP_SETGID away on a
	 * kernel without NO_SETUID_FIXUP. */
	if (setgroups(0, NULL) < 0) {
		r = -errno;
		return diag_set(d, r, "privs: setgroups(0): %s", strerror(-r));
	}
	if (setresgid(gid, gid, gid) < 0) {
		r = -errno;
		return diag_set(d, r, "privs: setresgid(%u): %s", (unsigned)gid, strerror(-r));
	}
	if (setresuid(uid, uid, uid) < 0) {
		r = -errno;
		return diag_set(d, r, "privs: setresuid(%u): %s", (unsigned)uid, strerror(-r));
	}
	return 0;
}

static int cap_sets(struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3], bool set)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };

	return (int)syscall(set ? SYS_capset : SYS_capget, &hdr, data);
}

/* Read back what the kernel now holds: a step that silently did less must not pass. */
static int check_dropped(bool set_ids, uid_t uid, gid_t gid, struct ward_diag *d)
{
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	int r;

	if (cap_sets(data, false) < 0) {
		r = -errno;
		return diag_set(d, r, "privs: capget: %s", strerror(-r));
	}
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (data[i].effective || data[i].permitted || data[i].inheritable)
			return diag_set(d, -EIO, "privs: capabilities remain after capset");
	for (unsigned long cap = 0; cap < CAP_LIMIT; cap++) {
		r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (r < 0)
			break;
		if (r != 0 || prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) != 0)
			return diag_set(d, -EIO, "privs: capability %lu remains in the bounding or "
						 "ambient set", cap);
	}
	r = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	if (r < 0 || (r & SECBITS_MANAGED) != SECBITS_WANTED)
		return diag_set(d, -EIO, "privs: securebits are %#x, not locked", (unsigned)r);
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return diag_set(d, -EIO, "privs: no_new_privs is not set");
	if (set_ids) {
		if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
		    ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid ||
		    getgroups(0, NULL) != 0)
			return diag_set(d, -EIO, "privs: ids are not %u:%u with no groups",
					(unsigned)uid, (unsigned)gid);
	}
	return 0;
}

int domain_drop_privs(bool set_ids, uid_t uid, gid_t gid, struct ward_diag *d)
{
	struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = { 0 };
	int r;

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
		r = -errno;
		return diag_set(d, r, "privs: cannot clear the ambient set: %s", strerror(-r));
	}
	/* Bounding set and securebits need CAP_SETPCAP, the id changes CAP_SETUID/CAP_SETGID:
	 * all of it happens before capset() empties the sets. */
	if ((r = drop_bounding(d)) < 0 || (r = lock_securebits(d)) < 0)
		return r;
	if (set_ids && (r = set_ids_now(uid, gid, d)) < 0)
		return r;
	if (cap_sets(none, true) < 0) {
		r = -errno;
		return diag_set(d, r, "privs: capset to empty sets: %s", strerror(-r));
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		r = -errno;
		return diag_set(d, r, "privs: cannot set no_new_privs: %s", strerror(-r));
	}
	return check_dropped(set_ids, uid, gid, d);
}
