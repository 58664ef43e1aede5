#!/usr/bin/env bash
# The machine is untouched after ward is killed (SIGKILL to the `ward run` monitor while the
# domain waits on an exec that the stopped monitor has not answered):
#   * that exec never runs (the keeper keeps the fanotify group, so nothing is auto-allowed);
#   * no domain process is left (keeper, init, workload, a background sleep);
#   * the domain's cgroup (<cgroup2>/ward/<domain>) is removed;
#   * no mount leaked into the host's mount table;
#   * the host's vm.memfd_noexec is unchanged (the domain's 2 was its own PID namespace's).
# The same after a normal run. (tests/integration/monitor-kill.sh races many kills; this test
# checks what the machine looks like afterwards.)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
adv_init
ctl_init s

# alive PID STARTTIME: PID is still the process that started at STARTTIME (field 22 of its stat).
alive() { [[ "$(proc_stat "$1" 22)" == "$2" ]]; }

host_mounts >"$T/mounts.before"
noexec_before=$(cat /proc/sys/vm/memfd_noexec)

section "SIGKILL to the monitor while an exec waits for it"
wrun_bg --policy "$P" --code "$C" --bind "$CTL" -- /bin/sh -c \
	"$CTL_STEP; sleep 300 & ctl_step s; /usr/bin/touch '$CTL/ran'; echo ran"
declare -A ST=()
CG=
if ctl_wait s; then
	mon=$(monitor_pid)
	for p in $(descendants "$mon"); do
		ST[$p]=$(proc_stat "$p" 22)
	done
	check "the domain has at least 4 processes (keeper, init, sh, sleep)" test "${#ST[@]}" -ge 4
	for p in "${!ST[@]}"; do
		g=$(sed -n 's|^0::/||p' "/proc/$p/cgroup" 2>/dev/null)
		if [[ $g == ward/d-* ]]; then
			CG=$CGROOT/$g
		fi
	done
	check "the domain's cgroup exists while it runs ($CG)" test -n "$CG" -a -d "$CG"
	kill -STOP "$mon"
	ctl_go s
	# The domain's shell now execs touch: an event the stopped monitor cannot answer.
	pending=
	for _ in $(seq 50); do
		for p in $(descendants "$mon"); do
			if [[ "$(cat "/proc/$p/wchan" 2>/dev/null)" == *fanotify* ]]; then
				pending=$p
			fi
		done
		[[ -n $pending ]] && break
		sleep 0.1
	done
	check "a domain process waits in fanotify_handle_event (the exec is pending)" test -n "$pending"
	check "touch has not run" test ! -e "$CTL/ran"
	kill -KILL "$mon"
fi
wrun_bg_wait
expect_eq "$RC" 137 "ward run died of SIGKILL (the timeout reports 128+9)"
left=()
for _ in $(seq 100); do
	left=()
	for p in "${!ST[@]}"; do
		if alive "$p" "${ST[$p]}"; then left+=("$p"); fi
	done
	((${#left[@]} == 0)) && [[ ! -e "$CG" ]] && break
	sleep 0.1
done
expect_eq "${left[*]:-}" "" "no process of the domain (keeper, init, workload, sleep) is left"
check "the domain's cgroup is removed" test -n "$CG" -a ! -e "$CG"
check "the pending exec never ran" test ! -e "$CTL/ran"
host_mounts >"$T/mounts.after"
check "no mount leaked into the host's mount table" cmp "$T/mounts.before" "$T/mounts.after"
expect_eq "$(cat /proc/sys/vm/memfd_noexec)" "$noexec_before" "the host's vm.memfd_noexec is unchanged"

section "after a normal run"
wrun --policy "$P" --code "$C" -- /bin/sh -c "sleep 300 & cat /proc/self/cgroup"
expect_eq "$RC" 0 "a domain that leaves a background sleep behind ends with its command"
g=$(sed -n 's|^0::/||p' "$OUT")
check "the domain reported its cgroup ($g)" test -n "$g"
check "its cgroup is removed" test ! -e "$CGROOT/$g"
host_mounts >"$T/mounts.after2"
check "the host's mount table is unchanged" cmp "$T/mounts.before" "$T/mounts.after2"
expect_eq "$(cat /proc/sys/vm/memfd_noexec)" "$noexec_before" "vm.memfd_noexec is unchanged"
finish
