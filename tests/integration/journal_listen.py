#!/usr/bin/env python3
"""A stand-in for journald's native socket, for tests without systemd.

  journal_listen.py listen SOCKET OUT     receive entries, one JSON object a line in OUT
  journal_listen.py check OUT AUDIT SEQ   the entry of record SEQ matches the JSON record

The native protocol (systemd's "Native Journal Protocol"): one datagram per
entry, fields separated by newlines, each either KEY=value (no newline in
the value) or KEY, a newline, the value's length as 64-bit little-endian,
the value, a newline. An entry too big for a datagram comes as a sealed
memfd passed with SCM_RIGHTS and an empty datagram.
"""
import array
import json
import os
import re
import signal
import socket
import struct
import sys


def parse_entry(data):
    fields, i = {}, 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            i = nl + 1
        else:
            k = line
            (n,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            v = data[nl + 9:nl + 9 + n]
            if data[nl + 9 + n:nl + 10 + n] != b"\n":
                raise ValueError("binary field %r not followed by a newline" % k)
            i = nl + 10 + n
        fields[k.decode()] = v.decode("utf-8", "replace")
    return fields


def listen(path, out):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    with open(out, "a") as f:
        while True:
            fds = array.array("i")
            data, anc, _, _ = sock.recvmsg(1 << 20, socket.CMSG_SPACE(4 * fds.itemsize))
            for level, kind, cdata in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(cdata[:len(cdata) - len(cdata) % fds.itemsize])
            for fd in fds:  # memfd: the whole entry is in the file
                with os.fdopen(fd, "rb") as m:
                    data = m.read()
            entry = parse_entry(data)
            entry["_transport"] = "memfd" if len(fds) else "datagram"
            f.write(json.dumps(entry) + "\n")
            f.flush()


def field_name(prefix, name):
    return (prefix + re.sub(r"[^A-Z0-9_]", "_", name.upper()))[:64]


def field_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, str):
        return v
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return ",".join(v)
    return json.dumps(v, separators=(",", ":"))


def check(out, audit, seq):
    rec = next(r for r in map(json.loads, open(audit)) if r["seq"] == seq)
    entries = [e for e in map(json.loads, open(out)) if e.get("RAGGED_SEQ") == str(seq)]
    if len(entries) != 1:
        sys.exit("%d journal entries for seq %d" % (len(entries), seq))
    e, bad = entries[0], []
    want = {"SYSLOG_IDENTIFIER": "raggedd", "RAGGED_SEQ": str(seq), "RAGGED_HASH": rec["hash"],
            "PRIORITY": {"failure": "3", "denied": "4", "allowed": "5"}.get(rec.get("result"), "6")}
    for k, v in rec.items():
        if k in ("details", "seq", "hash", "prev_hash"):
            continue
        want[field_name("RAGGED_", k)] = field_value(v)
    for k, v in rec["details"].items():
        want[field_name("RAGGED_DETAIL_", k)] = field_value(v)
    for k, v in want.items():
        if e.get(k) != v:
            bad.append("%s: journal %r, log %r" % (k, e.get(k), v))
    msg = e.get("MESSAGE", "")
    if "\n" in msg or rec["event"] not in msg or "seq=%d" % seq not in msg:
        bad.append("MESSAGE %r is not a one-line summary of the record" % msg)
    if bad:
        sys.exit("; ".join(bad))
    print("%d fields match" % len(want))


if __name__ == "__main__":
    if sys.argv[1] == "listen":
        listen(sys.argv[2], sys.argv[3])
    else:
        check(sys.argv[2], sys.argv[3], int(sys.argv[4]))
