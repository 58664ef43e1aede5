#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Inputs for the openssl lower bounds of bench/reports/run (no verifier of its own: it only
cuts the reports into the pieces `openssl verify` and `openssl dgst -verify` take).

usage:
  prep.py snp REPORT OUTPREFIX   OUTPREFIX.body (bytes 0..0x29F, the signed part),
                                 OUTPREFIX.sig.der (R, S little-endian -> DER ECDSA-Sig-Value)
  prep.py tdx QUOTE OUTPREFIX    OUTPREFIX.signed (header + body: what the attestation key
                                 signs), .qsig.der, .ak.pem (the attestation key, P-256),
                                 .qe (the QE report, what the PCK signs), .qesig.der,
                                 .binding (AK || QE auth data: its SHA-256 is in the QE report),
                                 .pck.pem, .inter.pem, .root.pem (the quote's PEM chain)
"""
import struct
import sys


def der_int(b):
    b = b.lstrip(b"\0") or b"\0"
    if b[0] & 0x80:
        b = b"\0" + b
    return b"\x02" + der_len(len(b)) + b


def der_len(n):
    if n < 0x80:
        return bytes([n])
    s = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(s)]) + s


def ecdsa_der(r, s):
    body = der_int(r) + der_int(s)
    return b"\x30" + der_len(len(body)) + body


def p256_pem(xy):
    # SubjectPublicKeyInfo of an uncompressed P-256 point
    spki = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d03010703420004") + xy
    import base64
    b = base64.b64encode(spki).decode()
    return "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n" % "\n".join(
        b[i:i + 64] for i in range(0, len(b), 64))


def snp(path, out):
    b = open(path, "rb").read()
    assert len(b) == 0x4A0, len(b)
    open(out + ".body", "wb").write(b[:0x2A0])
    r = b[0x2A0:0x2A0 + 72][::-1]
    s = b[0x2E8:0x2E8 + 72][::-1]
    open(out + ".sig.der", "wb").write(ecdsa_der(r, s))


def tdx(path, out):
    b = open(path, "rb").read()
    ver = struct.unpack_from("<H", b, 0)[0]
    if ver == 4:
        end = 48 + 584
    elif ver == 5:
        _typ, size = struct.unpack_from("<HI", b, 48)
        end = 48 + 6 + size
    else:
        raise SystemExit("tdx: version %d" % ver)
    signed = b[:end]
    (slen,) = struct.unpack_from("<I", b, end)
    sd = b[end + 4:end + 4 + slen]
    qsig, ak = sd[:64], sd[64:128]
    ctype, csize = struct.unpack_from("<HI", sd, 128)
    assert ctype == 6, ctype
    c = sd[134:134 + csize]
    qe, qesig = c[:384], c[384:448]
    (alen,) = struct.unpack_from("<H", c, 448)
    auth = c[450:450 + alen]
    ptype, psize = struct.unpack_from("<HI", c, 450 + alen)
    assert ptype == 5, ptype
    pem = c[456 + alen:456 + alen + psize].rstrip(b"\0").decode()
    certs = ["-----BEGIN CERTIFICATE-----" + x.split("-----END CERTIFICATE-----")[0] +
             "-----END CERTIFICATE-----\n" for x in pem.split("-----BEGIN CERTIFICATE-----")[1:]]
    assert len(certs) == 3, len(certs)
    open(out + ".signed", "wb").write(signed)
    open(out + ".qsig.der", "wb").write(ecdsa_der(qsig[:32], qsig[32:]))
    open(out + ".ak.pem", "w").write(p256_pem(ak))
    open(out + ".qe", "wb").write(qe)
    open(out + ".qesig.der", "wb").write(ecdsa_der(qesig[:32], qesig[32:]))
    open(out + ".binding", "wb").write(ak + auth)
    for name, cert in zip(("pck", "inter", "root"), certs):
        open(out + "." + name + ".pem", "w").write(cert)


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("snp", "tdx"):
        raise SystemExit(__doc__)
    {"snp": snp, "tdx": tdx}[sys.argv[1]](sys.argv[2], sys.argv[3])
