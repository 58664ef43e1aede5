#!/bin/sh
# bench/exec: sets up the private mount namespace of fapolicyd and its workloads, then holds it
set -eu
[ "$(readlink /proc/self/ns/mnt)" != "mnt:[4026531832]" ] || { echo "holder: still in the host's mount namespace" >&2; exit 1; }
mount -t ramfs -o mode=755 ward-bench-usr "/work/main/bench/work/exec/fapo/usr"
tar -C /usr --anchored --exclude=./local/cuda-13.0 --exclude=./lib/google-cloud-sdk --exclude=./lib/jvm --exclude=./lib/llvm-14 --exclude=./lib/postgresql --exclude=./share/fpcsrc --exclude=./lib/x86_64-linux-gnu/fpc --exclude=./share/doc --exclude=./share/man --exclude=./share/package-lists -cf - . | tar -C "/work/main/bench/work/exec/fapo/usr" -xpf -
mount -t ramfs -o mode=755 ward-bench-code "/work/main/bench/work/exec/fapo/code"
cp -a "/work/main/bench/work/exec/code/." "/work/main/bench/work/exec/fapo/code/"
mount --bind "/work/main/bench/work/exec/fapo/etc" /etc/fapolicyd
mount --bind "/work/main/bench/work/exec/fapo/lib" /var/lib/fapolicyd
mount --bind "/work/main/bench/work/exec/fapo/log" /var/log
mount --bind "/work/main/bench/work/exec/fapo/run" /run
mount --move "/work/main/bench/work/exec/fapo/code" "/work/main/bench/work/exec/code"
mount --move "/work/main/bench/work/exec/fapo/usr" /usr
echo $$ >"/work/main/bench/work/exec/fapo/holder.pid.tmp"
mv "/work/main/bench/work/exec/fapo/holder.pid.tmp" "/work/main/bench/work/exec/fapo/holder.pid"
exec sleep 3600
