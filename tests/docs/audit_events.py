#!/usr/bin/python3
"""The audit schema's events and results are the ones the agent writes.

    audit_events.py SCHEMA SOURCE_DIR

Both directions, from the C sources: every event and result the schema
names appears as a string literal in the agent (nothing the agent never
writes), and every event or result literal passed to a record-writing call
(auditrec_new, the consent records, run_refuse, the log's own records) is
in the schema. Standard library only.
"""
import json
import os
import re
import sys

# call name -> which arguments (0-based) are an event or a result
CALLS = {
    "auditrec_new": (1, 2),
    "record": (2, 3),
    "plugin_record": (2, 3),
    "run_refuse": (4,),
    "write_own": (1,),
}
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')


def args_of(text, start):
    """The top-level arguments of the call whose '(' is at text[start]."""
    depth, args, cur, i = 0, [], "", start
    while i < len(text):
        c = text[i]
        if c == '"':
            m = LITERAL.match(text, i)
            cur += m.group(0)
            i = m.end()
            continue
        if c in "([{":
            depth += 1
            if depth == 1:
                i += 1
                continue
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append(cur)
                return args
        elif c == "," and depth == 1:
            args.append(cur)
            cur = ""
            i += 1
            continue
        cur += c
        i += 1
    return args


def main(argv):
    schema = json.load(open(argv[1], encoding="utf-8"))
    events = set(schema["$defs"]["event"]["enum"])
    results = {o["const"] for o in schema["$defs"]["result"]["oneOf"]}
    literals, written = set(), {}
    for d, _, files in os.walk(argv[2]):
        for f in files:
            if not f.endswith(".c"):
                continue
            path = os.path.join(d, f)
            text = open(path, encoding="utf-8", errors="replace").read()
            literals.update(LITERAL.findall(text))
            for name, which in CALLS.items():
                for m in re.finditer(r"\b%s\s*\(" % name, text):
                    args = args_of(text, m.end() - 1)
                    for k in which:
                        for lit in LITERAL.findall(args[k] if k < len(args) else ""):
                            written.setdefault(lit, f"{os.path.relpath(path, argv[2])}:"
                                                    f"{text.count(chr(10), 0, m.start()) + 1}")
    bad = []
    for e in sorted((events | results) - literals):
        bad.append(f"the schema names {e!r}, which no agent source writes")
    for lit, where in sorted(written.items()):
        if lit not in events | results:
            bad.append(f"{where}: the agent writes {lit!r}, which the schema does not name")
    for b in bad:
        print(b)
    print(f"{len(events)} events, {len(results)} results in the schema; "
          f"{len(written)} literals in record-writing calls: {len(bad)} mismatches")
    return 1 if bad or not written else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
