#!/usr/bin/env python3
"""Hand-made peers of the attested channel (docs/channel.md) for channel.sh.

Python's ssl has no TLS exporter, so none of these verifies evidence: they are what a hostile or
broken client or server does on the wire, frame by frame, and each prints one line saying what
happened, for the test to assert. Every wait is bounded (--bound seconds), so a peer that is
never answered ends instead of hanging the test; a bound is never a timing assertion.

  evidence HOST PORT SERVICE OUT      HELLO, save the EVIDENCE payload to OUT, leave
  frames HOST PORT HEX                after the handshake send the bytes HEX, print the answer
  hello HOST PORT SERVICE --nonce-len N --version V
                                      a HELLO with these fields, print the answer
  request HOST PORT SERVICE --declare N --send M [--pause FILE --go FILE]
                                      HELLO, EVIDENCE, REQUEST declaring N bytes, send M of
                                      them (M < N: then hang up), print the answer; --pause:
                                      after the EVIDENCE, create FILE and wait for FILE --go
  stall HOST PORT SERVICE             HELLO, EVIDENCE, then nothing: print when the server
                                      closes, or "open" at the bound
  raw HOST PORT HEX                   plain TCP (no TLS): send HEX, print how it ended
  idle HOST PORT N                    N TLS handshakes one after the other, held open; print
                                      "open" or "closed" for each, then hold them until stdin
                                      closes
  silent HOST PORT --tls|--tcp        connect (and handshake) and send nothing: print when the
                                      server closes, or "open" at the bound
  trickle HOST PORT SERVICE --every S after the handshake, a valid HELLO one byte every S
                                      seconds; print when the server closes it
  replay-server PORT CERT KEY EVIDENCE READY
                                      a TLS server of its own key that answers one client's
                                      HELLO with the recorded EVIDENCE payload, then prints
                                      what the client sent after its HELLO (byte count and
                                      frame types), and exits
"""
import argparse
import os
import select
import socket
import ssl
import struct
import sys
import time

HELLO, EVIDENCE, REQUEST, RESULT, ERROR = 1, 2, 3, 4, 5
STATUS = ["ok", "bad-request", "unknown-service", "input-too-large", "output-too-large",
          "timeout", "failed", "memory", "unavailable", "disconnected", "policy-changed"]


def frame(t, payload):
    return struct.pack(">B3xI", t, len(payload)) + payload


def hello_payload(service, nonce_len=32, version=1):
    svc = service.encode()
    return struct.pack(">HB", version, nonce_len) + os.urandom(nonce_len) + bytes([len(svc)]) + svc


class Closed(Exception):
    pass


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        try:
            c = s.recv(n - len(b))
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError) as e:
            raise Closed("reset (%s)" % type(e).__name__)
        except socket.timeout:
            raise Closed("timeout")
        if not c:
            raise Closed("eof")
        b += c
    return b


def read_frame(s):
    t, n = struct.unpack(">B3xI", recv_exact(s, 8))
    return t, recv_exact(s, n)


def describe(t, p):
    if t == ERROR:
        st = struct.unpack(">I", p[:4])[0]
        name = STATUS[st] if st < len(STATUS) else str(st)
        return "ERROR %s: %s" % (name, p[4:].decode(errors="replace"))
    if t == EVIDENCE:
        return "EVIDENCE %d bytes" % len(p)
    if t == RESULT:
        st, ex, ol, el, ml = struct.unpack(">IiQQH", p[:26])
        return "RESULT %s exit %d output %d stderr %d: %s" % (
            STATUS[st], ex, ol, el, p[26:26 + ml].decode(errors="replace"))
    return "frame type %d, %d bytes" % (t, len(p))


def answer(s):
    """The server's next frame, or how the connection ended."""
    try:
        t, p = read_frame(s)
    except Closed as e:
        return "closed: %s" % e
    return describe(t, p)


def tls_connect(host, port, bound):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    raw = socket.create_connection((host, port), timeout=bound)
    s = ctx.wrap_socket(raw)
    s.settimeout(bound)
    return s


def cmd_evidence(a):
    s = tls_connect(a.host, a.port, a.bound)
    s.sendall(frame(HELLO, hello_payload(a.service)))
    t, p = read_frame(s)
    if t != EVIDENCE:
        print(describe(t, p))
        return 1
    with open(a.out, "wb") as f:
        f.write(p)
    print(describe(t, p))
    return 0


def cmd_frames(a):
    s = tls_connect(a.host, a.port, a.bound)
    s.sendall(bytes.fromhex(a.hex))
    print(answer(s))
    return 0


def cmd_hello(a):
    s = tls_connect(a.host, a.port, a.bound)
    s.sendall(frame(HELLO, hello_payload(a.service, a.nonce_len, a.version)))
    print(answer(s))
    return 0


def cmd_request(a):
    s = tls_connect(a.host, a.port, a.bound)
    s.sendall(frame(HELLO, hello_payload(a.service)))
    t, p = read_frame(s)
    if t != EVIDENCE:
        print(describe(t, p))
        return 0
    if a.pause:
        open(a.pause, "w").close()
        end = time.monotonic() + a.bound
        while not os.path.exists(a.go):
            if time.monotonic() > end:
                print("no go file")
                return 1
            time.sleep(0.05)
    s.sendall(frame(REQUEST, struct.pack(">Q", a.declare)))
    chunk = b"x" * 65536
    left = a.send
    while left > 0:
        k = min(left, len(chunk))
        s.sendall(chunk[:k])
        left -= k
    if a.send < a.declare:
        # Hang up mid-input, at once and without a TLS close_notify: as a client that dies.
        s.shutdown(socket.SHUT_RDWR)
        s.close()
        print("hung up after %d of %d bytes" % (a.send, a.declare))
        return 0
    t, p = read_frame(s)
    line = describe(t, p)
    if t == RESULT:
        st, ex, ol, el, ml = struct.unpack(">IiQQH", p[:26])
        out = recv_exact(s, ol)
        line += " body %r" % out[:64]
    print(line)
    return 0


def cmd_stall(a):
    s = tls_connect(a.host, a.port, a.bound)
    s.sendall(frame(HELLO, hello_payload(a.service)))
    t, p = read_frame(s)
    if t != EVIDENCE:
        print(describe(t, p))
        return 0
    try:
        got = s.recv(1)
        how = "eof" if not got else "data"
    except socket.timeout:
        print("open at the bound (%d s)" % a.bound)
        return 0
    except (OSError, ssl.SSLError) as e:
        how = type(e).__name__
    print("closed by the server (%s) after the EVIDENCE, within the bound (%d s)" % (how, a.bound))
    return 0


def cmd_raw(a):
    s = socket.create_connection((a.host, a.port), timeout=a.bound)
    try:
        s.sendall(bytes.fromhex(a.hex))
        got = b""
        while True:
            c = s.recv(65536)
            if not c:
                break
            got += c
        print("closed: eof after %d bytes back" % len(got))
    except ConnectionResetError:
        print("closed: reset")
    except socket.timeout:
        print("open at the bound")
    return 0


def cmd_idle(a):
    conns = []
    for i in range(a.n):
        try:
            s = tls_connect(a.host, a.port, a.bound)
        except (OSError, ssl.SSLError) as e:
            print("connection %d: closed" % (i + 1))
            print("connection %d: %s" % (i + 1, type(e).__name__), file=sys.stderr)
            continue
        # A server that took the connection and then closed it shows as readable at EOF.
        r, _, _ = select.select([s], [], [], 0.5)
        state = "open"
        if r:
            try:
                s.setblocking(False)
                state = "closed" if not s.recv(1) else "open (data)"
            except ssl.SSLWantReadError:
                state = "open"
            except (OSError, ssl.SSLError):
                state = "closed"
            s.setblocking(True)
        print("connection %d: %s" % (i + 1, state))
        conns.append(s)
    sys.stdout.flush()
    sys.stdin.read()
    return 0


def cmd_silent(a):
    t0 = time.monotonic()
    if a.tls:
        s = tls_connect(a.host, a.port, a.bound)
    else:
        s = socket.create_connection((a.host, a.port), timeout=a.bound)
    s.settimeout(a.bound)
    try:
        got = s.recv(1)
        how = "eof" if not got else "data"
    except socket.timeout:
        print("open at the bound (%d s)" % a.bound)
        return 0
    except (OSError, ssl.SSLError) as e:
        how = type(e).__name__
    print("closed by the server (%s) within the bound (%d s)" % (how, a.bound))
    return 0


def cmd_trickle(a):
    t0 = time.monotonic()
    s = tls_connect(a.host, a.port, a.bound)
    data = frame(HELLO, hello_payload(a.service))
    sent = 0
    try:
        for i in range(len(data)):
            s.sendall(data[i:i + 1])
            sent += 1
            r, _, _ = select.select([s], [], [], a.every)
            if r:
                raise Closed("the server spoke")
            if time.monotonic() - t0 > a.bound:
                print("open after %d s, %d of %d bytes sent" % (a.bound, sent, len(data)))
                return 0
    except (Closed, OSError, ssl.SSLError):
        print("closed by the server after %d of %d bytes" % (sent, len(data)))
        return 0
    print("the whole HELLO went through, one byte every %g s: %s" % (a.every, answer(s)))
    return 0


def cmd_replay_server(a):
    evidence = open(a.evidence, "rb").read()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(a.cert, a.key)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", a.port))
    ls.listen(1)
    ls.settimeout(a.bound)
    open(a.ready, "w").close()
    c, _ = ls.accept()
    s = ctx.wrap_socket(c, server_side=True)
    s.settimeout(a.bound)
    t, p = read_frame(s)
    if t != HELLO:
        print("the client's first frame is type %d, not HELLO" % t)
        return 1
    s.sendall(frame(EVIDENCE, evidence))
    after = b""
    try:
        while True:
            c = s.recv(65536)
            if not c:
                break
            after += c
    except (OSError, ssl.SSLError):
        pass
    types = []
    off = 0
    while off + 8 <= len(after):
        t, n = struct.unpack(">B3xI", after[off:off + 8])
        types.append(t)
        off += 8 + n
    print("after its HELLO the client sent %d bytes, frames %s" % (len(after), types))
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bound", type=int, default=60)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("evidence")
    p.add_argument("host"), p.add_argument("port", type=int), p.add_argument("service")
    p.add_argument("out")
    p = sub.add_parser("frames")
    p.add_argument("host"), p.add_argument("port", type=int), p.add_argument("hex")
    p = sub.add_parser("hello")
    p.add_argument("host"), p.add_argument("port", type=int), p.add_argument("service")
    p.add_argument("--nonce-len", type=int, default=32)
    p.add_argument("--version", type=int, default=1)
    p = sub.add_parser("request")
    p.add_argument("host"), p.add_argument("port", type=int), p.add_argument("service")
    p.add_argument("--declare", type=int, required=True)
    p.add_argument("--send", type=int, required=True)
    p.add_argument("--pause"), p.add_argument("--go")
    p = sub.add_parser("stall")
    p.add_argument("host"), p.add_argument("port", type=int), p.add_argument("service")
    p = sub.add_parser("raw")
    p.add_argument("host"), p.add_argument("port", type=int), p.add_argument("hex")
    p = sub.add_parser("idle")
    p.add_argument("host"), p.add_argument("port", type=int), p.add_argument("n", type=int)
    p = sub.add_parser("silent")
    p.add_argument("host"), p.add_argument("port", type=int)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--tls", action="store_true"), g.add_argument("--tcp", action="store_true")
    p = sub.add_parser("trickle")
    p.add_argument("host"), p.add_argument("port", type=int), p.add_argument("service")
    p.add_argument("--every", type=float, required=True)
    p = sub.add_parser("replay-server")
    p.add_argument("port", type=int), p.add_argument("cert"), p.add_argument("key")
    p.add_argument("evidence"), p.add_argument("ready")
    a = ap.parse_args()
    return globals()["cmd_" + a.cmd.replace("-", "_")](a)


if __name__ == "__main__":
    sys.exit(main())
