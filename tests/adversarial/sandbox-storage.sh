#!/usr/bin/env bash
# sandbox-storage: a sandboxed service holding a client's secret tries to leave it in a file
# for the next request (or for the host): in /tmp, /dev/shm, /dev, /, /usr, /proc, root's home
# and its own code dir; and copies its binary into its scratch /tmp to run it from there.
# Only its private /tmp takes the file (the rest: ENOENT, there is no /dev/shm, /root or file
# to create in /proc; EROFS, /, /dev, /usr and the code dir are read-only), and that /tmp is
# noexec (the copy: EACCES). The next request, a new sandbox of the same service, finds
# nothing of it; no file of the host gained it. Outside a sandbox the copy runs (the positive
# control for noexec).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox-lib.sh
. "$(dirname "$0")/sandbox-lib.sh"
sb_init

NATIVE=$(sb_secret native)
SECRET=$(sb_secret SECRET)
NAME=$(sb_secret ward-leak)
# The code dir is mounted at its own path: when it lies below /tmp, its first component is a
# (mount point) directory in the scratch /tmp of every sandbox.
case $C in
/tmp/*)
	top=${C#/tmp/}
	top=${top%%/*}
	;;
*) top= ;;
esac
# entries NAME...: the tmp-entries line leaky prints when /tmp holds NAME... (and $top).
entries() {
	local line=tmp-entries: name names=()
	if [[ -n $top ]]; then names+=("$top"); fi
	names+=("$@")
	if ((${#names[@]})); then
		for name in $(printf '%s\n' "${names[@]}" | LC_ALL=C sort); do
			line+=" $name"
		done
	fi
	printf '%s\n' "$line"
}

section "outside a sandbox, a copy of a binary runs from the scratch dir (the positive control)"
sb_native "host: leaky copies itself to \$TMPDIR and executes the copy" "$NATIVE" exec-copy
expect_stdout_is "$(printf '%s\n' "copy: ok" "ran: ok")" "host: the copy ran"

section "request 1: leave the secret everywhere, run a copy from /tmp"
# One service for both requests: what it does comes from its input (leaky script).
sb_manifest "$T/store.json" leak-storage '{}' script
sb_expect 0 "request 1 ran and reported" "$T/store.json" \
	"$(printf '%s\n' "$SECRET" "store=$NAME" "find=$NAME" exec-copy)"
expect_stdout_is "$(printf '%s\n' \
	"store-tmp: ok" \
	"store-dev-shm: errno=ENOENT" \
	"store-dev: errno=EROFS" \
	"store-root: errno=EROFS" \
	"store-usr: errno=EROFS" \
	"store-proc: errno=ENOENT" \
	"store-home-root: errno=ENOENT" \
	"store-code: errno=EROFS" \
	"$(entries "$NAME")" \
	"find-tmp: ok" \
	"find-dev-shm: errno=ENOENT" \
	"copy: ok" \
	"exec-copy: errno=EACCES")" \
	"request 1: only /tmp takes the file (no /dev/shm, no /root; /, /dev, /usr, the code dir: EROFS; /proc: ENOENT); the copy in /tmp cannot run (EACCES)"
expect_stderr_nomatch . "request 1: ward printed nothing on stderr"

section "request 2: a new sandbox of the same service finds nothing"
sb_expect 0 "request 2 ran and reported" "$T/store.json" "$(printf '%s\n' probe "find=$NAME" find=leaky-copy)"
expect_stdout_is "$(printf '%s\n' \
	"$(entries)" \
	"find-tmp: errno=ENOENT" \
	"find-dev-shm: errno=ENOENT" \
	"$(entries)" \
	"find-tmp: errno=ENOENT" \
	"find-dev-shm: errno=ENOENT")" \
	"request 2: an empty /tmp; neither the file nor the copy is there"

section "the host gained nothing"
for d in /tmp /dev/shm /root "" /usr "$C"; do
	check "host: no $d/$NAME" test ! -e "$d/$NAME"
done
expect_not_on_host "$SECRET" "the sandbox's secret is in no file of the host (log included)"
finish
