#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Read ragged's audit log, verify its hash chain, filter it (stdlib only).

    read_audit.py [--verify] [--allow-gaps] [--plugin N] [--event E] [--json] [FILE|-]...

FILE is an audit.jsonl (its rotated siblings audit.jsonl.<20 digits> are
read first, oldest first) or the output of `raggedctl audit show --format
json`; "-" is stdin. Default: /var/log/ragged/audit.jsonl.

The hash of a record is SHA-256 over its line without the trailing
`,"hash":"<64 hex>"` member (docs/audit-format.md): computed here on the raw
bytes, so no JSON re-serialization is involved for JSON-lines input.
Exit status: 0 fine, 1 chain broken (with --verify), 2 usage or I/O error.
"""
import argparse
import glob
import hashlib
import json
import re
import sys

SUFFIX = re.compile(rb',"hash":"([0-9a-f]{64})"\}$')
ZERO = "0" * 64
OWN = ("timestamp", "seq", "event", "prev_hash", "hash")


class Broken(Exception):
    pass


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    for k in OWN:
        if keys.count(k) > 1:
            raise ValueError("duplicate " + k)
    return dict(pairs)


def record_hash(raw):
    """(hash computed over the canonical form, hash claimed by the line)."""
    m = SUFFIX.search(raw)
    if not m:
        raise ValueError("no trailing hash member")
    return hashlib.sha256(raw[:m.start()] + b"}").hexdigest(), m.group(1).decode()


def lines_of(path):
    """(name, line number, raw bytes) of every complete line."""
    files = [path]
    if path != "-":
        rotated = glob.glob(glob.escape(path) + "." + "[0-9]" * 20)
        files = sorted(rotated) + files
    for name in files:
        data = sys.stdin.buffer.read() if name == "-" else open(name, "rb").read()
        if data.lstrip()[:1] == b"[":  # `audit show --format json` as an array
            for n, rec in enumerate(json.loads(data, object_pairs_hook=no_duplicates), 1):
                # Best effort: matches the writer for strings and integers.
                body = {k: v for k, v in rec.items() if k != "hash"}
                canon = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
                yield name, n, (canon[:-1] + ',"hash":"%s"}' % rec.get("hash", "")).encode()
            continue
        parts = data.split(b"\n")
        if parts[-1]:
            print("%s: ignoring a torn last line (%d bytes)" % (name, len(parts[-1])),
                  file=sys.stderr)
        for n, raw in enumerate(parts[:-1], 1):
            yield name, n, raw


class Chain:
    """The checks of auditlog_verify(), in the same order."""

    def __init__(self, allow_gaps):
        self.allow_gaps = allow_gaps
        self.prev = None  # (seq, hash) of the last record
        self.first = None  # (seq, prev_hash, where) of the first record
        self.anchor = None  # (removed_through_seq, removed_last_hash)
        self.gap = None  # (message, missing seq): moved if it shows up later
        self.count = 0

    def add(self, where, raw, rec):
        seq = rec.get("seq")
        if self.gap:
            if seq == self.gap[1]:
                raise Broken(self.gap[0].replace("seq gap", "seq out of order"))
            return
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise Broken("%s: malformed record" % where)
        computed, claimed = record_hash(raw)
        if claimed != rec.get("hash") or not re.fullmatch("[0-9a-f]{64}", str(rec.get("prev_hash"))):
            raise Broken("%s: seq %d: malformed record" % (where, seq))
        if computed != claimed:
            raise Broken("%s: seq %d: hash mismatch" % (where, seq))
        if self.prev is None:
            self.first = (seq, rec["prev_hash"], where)
            if seq == 1 and rec["prev_hash"] != ZERO:
                raise Broken("%s: seq 1: prev_hash mismatch" % where)
        elif seq <= self.prev[0]:
            raise Broken("%s: seq %d: seq out of order" % (where, seq))
        elif seq > self.prev[0] + 1:
            if not self.allow_gaps:
                self.gap = ("%s: seq %d: seq gap" % (where, seq), self.prev[0] + 1)
                return
        elif rec["prev_hash"] != self.prev[1]:
            raise Broken("%s: seq %d: prev_hash mismatch" % (where, seq))
        if rec.get("event") == "audit_retention":
            d = rec.get("details") or {}
            self.anchor = (d.get("removed_through_seq"), d.get("removed_last_hash"))
        self.prev = (seq, claimed)
        self.count += 1

    def finish(self):
        """The start: seq 1, or continuing from the newest audit_retention anchor."""
        if self.gap:
            raise Broken(self.gap[0])
        if self.first is None or self.first[0] == 1 or self.allow_gaps:
            return
        seq, prev, where = self.first
        if self.anchor is None or not isinstance(self.anchor[0], int) or self.anchor[0] + 1 < seq:
            raise Broken("%s: seq %d: seq gap (records before it are missing)" % (where, seq))
        if self.anchor[0] + 1 == seq and self.anchor[1] != prev:
            raise Broken("%s: seq %d: prev_hash mismatch (retention anchor)" % (where, seq))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", default=["/var/log/ragged/audit.jsonl"])
    ap.add_argument("--verify", action="store_true", help="check the hash chain")
    ap.add_argument("--allow-gaps", action="store_true",
                    help="input is filtered: check each record and consecutive links only")
    ap.add_argument("--plugin")
    ap.add_argument("--event")
    ap.add_argument("--json", action="store_true", help="print matching lines verbatim")
    args = ap.parse_args()
    chain = Chain(args.allow_gaps)
    try:
        for path in args.files:
            for name, n, raw in lines_of(path):
                where = "%s:%d" % (name, n)
                try:
                    rec = json.loads(raw.decode("utf-8", "surrogateescape"),
                                     object_pairs_hook=no_duplicates)
                    if not isinstance(rec, dict):
                        raise ValueError("not an object")
                except ValueError as e:
                    if args.verify:
                        raise Broken("%s: unparsable line (%s)" % (where, e))
                    continue
                if args.verify:
                    chain.add(where, raw, rec)
                if (args.plugin and rec.get("plugin") != args.plugin) or \
                        (args.event and rec.get("event") != args.event):
                    continue
                if args.json:
                    sys.stdout.write(raw.decode("utf-8", "replace") + "\n")
                else:
                    print("%-24s %8s %-24s %-20s %s" % (
                        rec.get("timestamp", "-"), rec.get("seq", "-"), rec.get("event", "-"),
                        rec.get("plugin", "-"), rec.get("result", "")))
        if args.verify:
            chain.finish()
            head = chain.prev[1] if chain.prev else "-"
            print("verified %d records, head %s" % (chain.count, head), file=sys.stderr)
    except Broken as e:
        print("chain broken: %s" % e, file=sys.stderr)
        return 1
    except OSError as e:
        print("read_audit: %s" % e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
