#!/usr/bin/env python3
"""wardd-proto.py: a raw client of wardd's socket (include/ward/service-proto.h), for wardd.sh.

`ward sandbox call` only sends well-formed requests; this client sends what a hostile or broken
client would, and prints what came back, one "key=value" line each, for the test to assert:

    connect=ok | connect=errno=ENAME
    answer=yes | answer=none (the connection ended before a whole response header)
    status=NAME exit_status=N msg=TEXT output_len=N stderr_len=N (when answer=yes)
    output=TEXT (the output bytes as latin-1, newlines as \\n; when output_len > 0)
    trailing=N (bytes after the response: there must be none)
    end=eof | end=reset | end=timeout (how the connection ended after the answer)

Usage (SOCKET: wardd's socket path; INPUT comes from stdin where a case sends input):
    wardd-proto.py SOCKET call NAME            a well-formed request with stdin as the input
    wardd-proto.py SOCKET raw HEX              send these bytes, shut the write side, read
    wardd-proto.py SOCKET header NAME LEN [MAGIC [FLAGS [NAME_LEN]]]
                                               a request header (fields as given) and the
                                               name, no input at all; the write side stays
                                               open: an answer proves wardd did not wait for it
    wardd-proto.py SOCKET partial NAME LEN K   a header announcing LEN input bytes, K of them
                                               (from stdin), then close the connection
    wardd-proto.py SOCKET idle HOLD_S PROBE    connect and send nothing: "connected" once
                                               connected; when the file PROBE appears, one
                                               non-blocking look ("mid=open" or "mid=closed");
                                               then, HOLD_S seconds after connecting, wait up
                                               to 30 s more for wardd to close it (end=...)
Exit: 0 (whatever wardd answered; the lines say what), 2 usage.
"""
import errno
import os
import socket
import struct
import sys
import time

REQ_MAGIC = b"WARDREQ1"
RESP_MAGIC = b"WARDRES1"
REQ = struct.Struct("<8sIIQ")  # magic, name_len, flags, input_len: 24 bytes
RESP = struct.Struct("<8sIiIIQQ")  # magic, status, exit_status, msg_len, flags, output, stderr
assert REQ.size == 24 and RESP.size == 40
STATUS = ["ok", "bad-request", "unknown-service", "input-too-large", "output-too-large",
          "timeout", "failed", "memory-limit", "unavailable", "disconnected", "policy-changed"]
READ_TIMEOUT_S = 60


def out(line):
    print(line, flush=True)


def ename(e):
    return "errno=" + errno.errorcode.get(e, str(e))


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
    except OSError as e:
        out("connect=" + ename(e.errno))
        sys.exit(0)
    out("connect=ok")
    s.settimeout(READ_TIMEOUT_S)
    return s


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        try:
            k = s.recv(n - len(buf))
        except ConnectionResetError:
            break
        if not k:
            break
        buf += k
    return buf


def send_all(s, data):
    """Send data; a peer that already closed (it refused early) is not an error here."""
    try:
        s.sendall(data)
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False


def end_of(s):
    try:
        k = s.recv(65536)
    except ConnectionResetError:
        return "reset", 0
    except socket.timeout:
        return "timeout", 0
    n = len(k)
    while k:
        try:
            k = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        n += len(k)
    return ("eof" if n == 0 else "data"), n


def read_answer(s):
    h = recv_exact(s, RESP.size)
    if len(h) < RESP.size:
        out("answer=none")
        out("partial_header=%d" % len(h))
        return
    magic, status, exit_status, msg_len, flags, output_len, stderr_len = RESP.unpack(h)
    if magic != RESP_MAGIC:
        out("answer=garbage")
        return
    out("answer=yes")
    out("status=" + (STATUS[status] if status < len(STATUS) else "?%d" % status))
    out("exit_status=%d" % exit_status)
    out("flags=%d" % flags)
    msg = recv_exact(s, msg_len)
    out("msg=" + msg.decode("utf-8", "replace"))
    out("output_len=%d" % output_len)
    out("stderr_len=%d" % stderr_len)
    body = recv_exact(s, output_len)
    if output_len:
        out("output=" + body.decode("latin-1").replace("\n", "\\n"))
    recv_exact(s, stderr_len)
    end, trailing = end_of(s)
    out("trailing=%d" % trailing)
    out("end=" + end)


def header(name, input_len, magic=REQ_MAGIC, flags=0, name_len=None):
    nb = name.encode()
    return REQ.pack(magic, len(nb) if name_len is None else name_len, flags, input_len) + nb


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    path, case, args = argv[1], argv[2], argv[3:]
    if case == "call" and len(args) == 1:
        data = sys.stdin.buffer.read()
        s = connect(path)
        send_all(s, header(args[0], len(data)) + data)
        s.shutdown(socket.SHUT_WR)
        read_answer(s)
    elif case == "raw" and len(args) == 1:
        s = connect(path)
        send_all(s, bytes.fromhex(args[0]))
        s.shutdown(socket.SHUT_WR)
        read_answer(s)
    elif case == "header" and 2 <= len(args) <= 5:
        magic = args[2].encode() if len(args) > 2 else REQ_MAGIC
        flags = int(args[3]) if len(args) > 3 else 0
        name_len = int(args[4]) if len(args) > 4 else None
        s = connect(path)
        send_all(s, header(args[0], int(args[1]), magic, flags, name_len))
        read_answer(s)
    elif case == "partial" and len(args) == 3:
        k = int(args[2])
        data = sys.stdin.buffer.read()
        assert len(data) >= k, "partial: stdin has fewer than K bytes"
        s = connect(path)
        send_all(s, header(args[0], int(args[1])) + data[:k])
        s.close()
        out("closed=yes")
    elif case == "idle" and len(args) == 2:
        hold, probe = float(args[0]), args[1]
        s = connect(path)
        t0 = time.monotonic()
        out("connected")
        while not os.path.exists(probe) and time.monotonic() - t0 < hold:
            time.sleep(0.1)
        # A socket with a timeout waits for data even with MSG_DONTWAIT: look without one.
        s.setblocking(False)
        try:
            k = s.recv(1)
            out("mid=closed" if not k else "mid=data")
        except BlockingIOError:
            out("mid=open")
        except ConnectionResetError:
            out("mid=closed")
        left = hold - (time.monotonic() - t0)
        if left > 0:
            time.sleep(left)
        s.settimeout(30)
        end, n = end_of(s)
        out("end=" + end)
        out("bytes=%d" % n)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
