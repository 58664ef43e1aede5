#!/bin/sh
# bench/policy: sets up the private mount namespace of fapolicyd, then holds it
set -eu
[ "$(readlink /proc/self/ns/mnt)" != "mnt:[4026531832]" ] || { echo "holder: still in the host's mount namespace" >&2; exit 1; }
mount -t ramfs -o mode=755 ward-bench-policy-usr "/work/main/bench/work/policy/fapo/usr"
tar -C /usr --anchored --exclude=./local/cuda-13.0 --exclude=./lib/google-cloud-sdk --exclude=./lib/jvm --exclude=./lib/llvm-14 --exclude=./lib/postgresql --exclude=./share/fpcsrc --exclude=./lib/x86_64-linux-gnu/fpc --exclude=./share/doc --exclude=./share/man --exclude=./share/package-lists -cf - . | tar -C "/work/main/bench/work/policy/fapo/usr" -xpf -
mkdir -p "/work/main/bench/work/policy/fapo/usr/local/lib/ward-bench"
cp /usr/bin/true "/work/main/bench/work/policy/fapo/usr/local/lib/ward-bench/true"
mount --bind "/work/main/bench/work/policy/fapo/etc" /etc/fapolicyd
mount --bind "/work/main/bench/work/policy/fapo/lib" /var/lib/fapolicyd
mount --bind "/work/main/bench/work/policy/fapo/log" /var/log
mount --bind "/work/main/bench/work/policy/fapo/run" /run
mount --move "/work/main/bench/work/policy/fapo/usr" /usr
echo $$ >"/work/main/bench/work/policy/fapo/holder.pid.tmp"
mv "/work/main/bench/work/policy/fapo/holder.pid.tmp" "/work/main/bench/work/policy/fapo/holder.pid"
exec sleep 7200
