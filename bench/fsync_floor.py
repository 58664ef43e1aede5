#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The durability floor of a filesystem: appending SIZE bytes and fdatasync()ing, OPS times,
one file, timed per operation. This is what a durable append costs with nothing else around
it (no process start, no parsing, no hashing); ward's one-record-per-call rate is compared
against it.

usage: fsync_floor.py FILE OPS SIZE WARMUP  -> JSON on stdout (latencies in seconds)
"""
import json
import os
import sys
import time


def main():
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    path, ops, size, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    rec = os.urandom(size)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        os.fsync(fd)
        end = 0
        lat = []
        for i in range(warmup + ops):
            t0 = time.perf_counter()
            os.pwrite(fd, rec, end)
            os.fdatasync(fd)
            t1 = time.perf_counter()
            end += size
            if i >= warmup:
                lat.append(t1 - t0)
    finally:
        os.close(fd)
        os.unlink(path)
    json.dump({"command": "python3 bench/fsync_floor.py %s %d %d %d" % (path, ops, size, warmup),
               "op": "pwrite(%d bytes at end of file) + fdatasync()" % size,
               "ops": ops, "size": size, "warmup": warmup, "times": lat}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
