#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Builds the replay benchmark's input: a binary IMA list repeated N times, with its expected
PCR values computed here, independently of ward and evmctl.

Concatenating a measurement list with itself is still a valid list: replay simply keeps
extending the same register. The expected values are checked against upstream's known-good
PCR 10 values for one copy (imakvtpcr10.txt) before anything is written, so a parser mistake
here cannot silently become the reference both tools are compared against.

usage: imalog.py SRC.log KNOWN_PCRS.txt COPIES OUT_DIR
writes OUT_DIR/log.bin, OUT_DIR/expected.json and evmctl --pcrs files
OUT_DIR/pcrs-{sha1,sha256}{,-1copy}.txt
"""
import hashlib
import json
import os
import struct
import sys

BANKS = ("sha1", "sha256", "sha384", "sha512")
PCR = 10


def parse(blob):
    """Yield (pcr, template_digest, template_name, template_data) from a little-endian list
    whose template digests are SHA-1 (binary_runtime_measurements)."""
    off = 0
    while off < len(blob):
        pcr, = struct.unpack_from("<I", blob, off)
        digest = blob[off + 4:off + 24]
        name_len, = struct.unpack_from("<I", blob, off + 24)
        name = blob[off + 28:off + 28 + name_len].decode()
        off += 28 + name_len
        if name == "ima":
            raise SystemExit("legacy 'ima' template not handled here")
        data_len, = struct.unpack_from("<I", blob, off)
        data = blob[off + 4:off + 4 + data_len]
        if len(data) != data_len:
            raise SystemExit("truncated list at offset %d" % off)
        off += 4 + data_len
        yield pcr, digest, name, data


def signed_paths(records):
    """Paths of ima-sig records that carry a signature (evmctl looks these up on disk)."""
    out = []
    for _, _, name, data in records:
        if name != "ima-sig":
            continue
        fields, off = [], 0
        while off < len(data):
            n, = struct.unpack_from("<I", data, off)
            fields.append(data[off + 4:off + 4 + n])
            off += 4 + n
        if len(fields) >= 3 and fields[2]:
            out.append(fields[1].rstrip(b"\0").decode(errors="replace"))
    return out


def replay(records, copies):
    regs = {b: bytes(hashlib.new(b).digest_size) for b in BANKS}
    checked = 0
    for _ in range(copies):
        for pcr, digest, _, data in records:
            if pcr != PCR:
                raise SystemExit("record for PCR %d: this benchmark expects PCR 10 only" % pcr)
            if digest == bytes(20):
                raise SystemExit("violation record: not expected in this input")
            if hashlib.sha1(data).digest() != digest:
                raise SystemExit("template digest mismatch in the source list")
            checked += 1
            for b in BANKS:
                regs[b] = hashlib.new(b, regs[b] + hashlib.new(b, data).digest()).digest()
    return {b: regs[b].hex() for b in BANKS}, checked


def known_values(path):
    """imakvtpcr10.txt: one ' PCR 10: xx xx ...' line per bank, in order sha1..sha512."""
    vals = []
    with open(path) as f:
        for line in f:
            if "PCR" in line and ":" in line:
                vals.append("".join(line.split(":", 1)[1].split()).lower())
    return dict(zip(BANKS, vals))


def pcrs_file(path, hexval):
    """evmctl --pcrs format: 'PCR-NN: <hex>' for PCRs 0..23 in order (read_one_bank() counts
    lines; a line out of order is skipped). All-zero PCRs are ignored by its comparison."""
    size = len(hexval) // 2
    with open(path, "w") as f:
        for i in range(24):
            f.write("PCR-%02d: %s\n" % (i, hexval if i == PCR else "00" * size))


def main():
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    src, known, copies, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    with open(src, "rb") as f:
        blob = f.read()
    records = list(parse(blob))
    one, _ = replay(records, 1)
    kv = known_values(known)
    if one != kv:
        raise SystemExit("one-copy replay disagrees with %s: %s vs %s" % (known, one, kv))
    many, checked = replay(records, copies)
    os.makedirs(out, exist_ok=True)
    tmp = os.path.join(out, "log.bin.tmp")
    with open(tmp, "wb") as f:
        for _ in range(copies):
            f.write(blob)
    os.replace(tmp, os.path.join(out, "log.bin"))
    for b in ("sha1", "sha256"):
        pcrs_file(os.path.join(out, "pcrs-%s.txt" % b), many[b])
        pcrs_file(os.path.join(out, "pcrs-%s-1copy.txt" % b), one[b])
    paths = signed_paths(records)
    info = {
        "source": os.path.abspath(src),
        "source_sha256": hashlib.sha256(blob).hexdigest(),
        "source_bytes": len(blob),
        "source_records": len(records),
        "copies": copies,
        "records": len(records) * copies,
        "bytes": len(blob) * copies,
        "templates": sorted({r[2] for r in records}),
        "template_digests_checked": checked,
        "expected_1copy": one,
        "expected_1copy_matches": known,
        "expected": many,
        "signed_records_per_copy": len(paths),
        "signed_paths_present_here": sorted(p for p in set(paths) if os.path.exists(p)),
    }
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(info, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
