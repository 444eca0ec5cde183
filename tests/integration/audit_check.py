#!/usr/bin/python3
"""Validate audit logs against docs/audit-schema.json.

    audit_check.py SCHEMA PATH...

Each PATH is a log file, or a directory whose audit log files (audit.jsonl
and its rotated audit.jsonl.<20 digits>) are all checked, oldest first.
Every invalid record is printed with its file and line, the schema path of
each violation and the record itself; the last line is a summary:

    checked N records in M files: K invalid

Exit status 0 only if every record is valid and there was at least one.
Needs python3-jsonschema (Debian); a torn last line (a crash the log
recovers from on open) is skipped, as `raggedctl audit verify` does.
"""
import json
import os
import re
import sys

import jsonschema

ROTATED = re.compile(r"^audit\.jsonl(\.[0-9]{20})?$")
SHOWN = 5  # invalid records printed in full


def log_files(path):
    if not os.path.isdir(path):
        return [path]
    names = [n for n in os.listdir(path) if ROTATED.match(n)]
    # Rotated files in name order (their last seq), then the current file.
    names.sort(key=lambda n: (n == "audit.jsonl", n))
    return [os.path.join(path, n) for n in names]


def schema_path(err, schema):
    """Where in the schema: through a $ref, the path inside its target."""
    node, out = schema, "#"
    for step in err.absolute_schema_path:
        while isinstance(node, dict) and "$ref" in node and step not in node:
            out = node["$ref"]
            node = schema
            for part in out.lstrip("#/").split("/"):
                node = node[part]
        node = node[step]
        out += f"/{step}"
    return out


def short(msg):
    return msg if len(msg) <= 300 else msg[:300] + " ..."


def describe(err, schema):
    where = "/" + "/".join(map(str, err.absolute_path))
    msg = f"matches no {err.validator} alternative" if err.validator in ("oneOf", "anyOf") else err.message
    text = f"{short(msg)} (schema {schema_path(err, schema)}, at {where})"
    if err.context:  # oneOf/anyOf: what the closest alternative lacks
        best = jsonschema.exceptions.best_match(err.context)
        text += f"; closest alternative: {short(best.message)} (schema {schema_path(best, schema)})"
    return text


def main(argv):
    if len(argv) < 3:
        print("usage: audit_check.py SCHEMA PATH...", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    files = [p for a in argv[2:] for p in log_files(a)]
    records = invalid = 0
    for path in files:
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
        torn = lines.pop()  # after the last newline: empty, or a torn line
        if torn:
            print(f"{path}: skipping a torn last line of {len(torn)} bytes")
        for no, raw in enumerate(lines, 1):
            records += 1
            try:
                rec = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                errors = [f"not a JSON object: {e}"]
            else:
                # Deepest first: the violation that names the field.
                errors = [describe(e, schema) for e in sorted(validator.iter_errors(rec),
                                                              key=lambda e: -len(e.absolute_schema_path))]
            if not errors:
                continue
            invalid += 1
            if invalid <= SHOWN:
                print(f"{path}:{no}: invalid record")
                for e in errors[:6]:
                    print(f"  {e}")
                text = raw.decode("utf-8", "replace")
                print(f"  record: {text[:1500]}{' ...' if len(text) > 1500 else ''}")
    if invalid > SHOWN:
        print(f"... and {invalid - SHOWN} more invalid records")
    print(f"checked {records} records in {len(files)} files: {invalid} invalid")
    return 1 if invalid or records == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
