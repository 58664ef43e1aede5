#!/usr/bin/env bash
# Symlinks on a code dir: the kernel resolves them before opening, so what is decided is the
# target, under the target's path.
#   * a symlink to an unlisted file in the code dir: exec denied (EPERM), recorded under the
#     target's path;
#   * a symlink to a listed file: runs (the control);
#   * a symlink to a copy in /tmp: the target is on a noexec mount, EACCES;
#   * a swap while a domain runs and has the listed target cached: the host renames a symlink
#     to an unlisted file over the listed binary's name; the next exec through that name
#     resolves to the unlisted file: EPERM.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init
U=$C/unlisted
unlisted_copy "$A" "$U"
ln -s unlisted "$C/link-unlisted"
ln -s attack "$C/link-listed"
ln -s /tmp/copy "$C/link-tmp"
TGT=$C/target
install -m 0755 "$WARD_ATTACK" "$TGT"
adv_policy "$T/p2.json" "$A" "$TGT"

section "outside the domain the link to the unlisted file runs"
expect_rc 0 "host: link-unlisted" "$C/link-unlisted" marker
expect_stdout_line "marker: TAG:original-content" "host: it ran"

section "inside: static symlinks"
wrun --policy "$T/p2.json" --code "$C" -- "$A" exec "$C/link-unlisted" marker
expect_stdout_line "exec: errno=EPERM" "link to an unlisted file: EPERM"
DIGEST_OF=$U expect_denial exec "$U" "not in policy" "ward prints the denial under the target's path" \
	"the denial is recorded under the target's path"
wrun --policy "$T/p2.json" --code "$C" -- "$A" exec "$C/link-listed" marker
expect_stdout_line "marker: TAG:original-content" "link to a listed file: runs"
wrun --policy "$T/p2.json" --code "$C" -- /bin/sh -c "cp '$A' /tmp/copy && '$A' exec '$C/link-tmp' marker"
expect_stdout_line "exec: errno=EACCES" "link to a copy in /tmp: EACCES (noexec)"

section "inside: a symlink swapped in by the host while the domain has the target cached"
ctl_init s
wrun_bg --policy "$T/p2.json" --code "$C" --bind "$CTL" -- /bin/sh -c \
	"$CTL_STEP; '$TGT' marker; ctl_step s; '$A' exec '$TGT' marker"
if ctl_wait s; then
	if cached "$TGT"; then
		pass "$TGT is cached after its first run"
	else
		fail "$TGT is cached after its first run"
	fi
	ln -s unlisted "$C/target.new"
	mv -T "$C/target.new" "$TGT"
	ctl_go s
fi
wrun_bg_wait
expect_eq "$RC" 1 "the exec through the swapped name fails"
expect_stdout_line "exec: errno=EPERM" "exec through the swapped-in symlink: EPERM"
expect_eq "$(grep -c "TAG:original-content" "$OUT")" 1 "only the first (listed) run ran"
DIGEST_OF=$U expect_decision deny exec "$U" "not in policy" "the denial is recorded under the unlisted target's path"
finish
