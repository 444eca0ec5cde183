#!/usr/bin/python3
"""Render the tables of docs/audit-format.md from docs/audit-schema.json.

    tools/audit-doc.py [SCHEMA DOC]            rewrite the generated part of DOC
    tools/audit-doc.py --check [SCHEMA DOC]    exit 1 (with a diff) if DOC differs

SCHEMA and DOC default to docs/audit-schema.json and docs/audit-format.md.

The generated part lies between the BEGIN and END markers below; the
schema is the single source: record fields, results, every event with its
results, required record fields and exact `details` fields (type, whether
required, meaning from each field's `description`), and the closed sets.
Standard library only.
"""
import difflib
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA = os.path.join(ROOT, "docs", "audit-schema.json")
DOC = os.path.join(ROOT, "docs", "audit-format.md")
BEGIN = "<!-- BEGIN generated from audit-schema.json by tools/audit-doc.py: do not edit -->"
END = "<!-- END generated -->"
INLINE_ENUM_MAX = 9  # longer closed sets get their own list under *Closed sets*


class Doc:
    def __init__(self, schema):
        self.s = schema
        self.defs = schema["$defs"]
        self.sets = []  # named closed sets referenced, in first-use order

    def deref(self, node):
        while "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[1]
            merged = dict(self.defs[name])
            merged.update({k: v for k, v in node.items() if k != "$ref"})
            merged["x-def"] = name
            node = merged
        return node

    def closed(self, name, item=False):
        if name not in self.sets:
            self.sets.append(name)
        title = self.defs[name].get("title", name)
        return ("" if item else "one of ") + f"[*{title}*](#{anchor(title)})"

    def type_of(self, node, item=False):
        if node is False:
            return "never present"
        ref = node.get("$ref", "").rsplit("/", 1)[-1]
        node = self.deref(node)
        if "const" in node:
            return "`" + json.dumps(node["const"], ensure_ascii=False) + "`"
        if "enum" in node:
            if len(node["enum"]) > INLINE_ENUM_MAX and ref:
                return self.closed(ref, item)
            return " \\| ".join("`" + json.dumps(v, ensure_ascii=False).strip('"') + "`"
                                for v in node["enum"])
        if "oneOf" in node and all("const" in o for o in node["oneOf"]):
            return " \\| ".join(f"`{o['const']}`" for o in node["oneOf"])
        if "anyOf" in node:
            return " or ".join(self.type_of(o) for o in node["anyOf"])
        if ref == "hash":
            return "64 lowercase hex"
        if ref == "timestamp":
            return "timestamp"
        t = node.get("type")
        if isinstance(t, list):
            return " or ".join(t)
        if t == "array":
            items = self.type_of(node["items"], True)
            return "array of " + items + (", at least one" if node.get("minItems") else "")
        if t == "object":
            title = node.get("title")
            return f"object ([*{title}*](#{anchor(title)}))" if title else "object (below)"
        if t in ("integer", "number"):
            lo, hi = node.get("minimum"), node.get("maximum")
            if lo is not None and hi is not None:
                return f"{t} {lo}–{hi}"
            return t + (f" ≥ {lo}" if lo is not None else "")
        if t == "string" and "pattern" in node:
            return "string `" + node["pattern"].replace("|", "\\|") + "`"
        return t or "any"

    def table(self, props, required, head):
        out = [f"| {head} | type | required | meaning |", "|---|---|---|---|"]
        nested = []
        for name, node in props.items():
            if node is False:
                continue
            d = self.deref(node)
            desc = node.get("description") or d.get("description", "")
            out.append(f"| `{name}` | {self.type_of(node)} | {'yes' if name in required else ''} | "
                       f"{desc.replace('|', chr(92) + '|')} |")
            inner = d.get("items", {}) if d.get("type") == "array" else d
            inner = self.deref(inner) if isinstance(inner, dict) else {}
            if inner.get("type") == "object" and "properties" in inner and not inner.get("title"):
                nested.append((name + ("[]" if d.get("type") == "array" else ""), inner))
        return out, nested

    def object_tables(self, path, node):
        lines, nested = self.table(node["properties"], node.get("required", []), "field")
        out = ["", f"`{path}`:", ""] + lines
        for sub, inner in nested:
            out += self.object_tables(path + "." + sub, inner)
        return out

    def render(self):
        s, out = self.s, []
        out += ["### Record fields", "",
                "Every record is one JSON object with exactly these members "
                "(`additionalProperties: false`):", ""]
        lines, _ = self.table(s["properties"], s["required"], "field")
        out += lines
        out += ["", "### Results", "", "| result | meaning |", "|---|---|"]
        for o in self.defs["result"]["oneOf"]:
            out.append(f"| `{o['const']}` | {o['description']} |")
        events = self.defs["event"]["enum"]
        out += ["", "### Events", "", "| event | results | when |", "|---|---|---|"]
        for e in events:
            d = self.defs["event_" + e]
            res = d["properties"]["result"]
            res = "none" if res is False else ", ".join(f"`{r}`" for r in res["enum"])
            out.append(f"| [`{e}`](#{anchor(e)}) | {res} | {d['description']} |")
        for e in events:
            d = self.defs["event_" + e]
            req = [f"`{f}`" for f in d["required"] if f not in ("result", "details")]
            out += ["", f"#### {e}", "", d["description"], ""]
            alt = [a for a in d.get("anyOf", []) if "required" in a]
            fields = ", ".join(req) if req else "none beyond the common ones"
            if alt:
                fields += (" and " + ", ".join(f"`{f}`" for f in alt[0]["required"] if f"`{f}`" not in req) +
                           " (unless `details.cgroup_id`: a record drained after its run ended)")
            out.append(f"Required record fields: {fields}.")
            det = d["properties"]["details"]
            if not det["properties"]:
                out += ["", "`details`: always `{}`."]
                continue
            lines, nested = self.table(det["properties"], det.get("required", []), "`details` field")
            out += [""] + lines
            for sub, inner in nested:
                out += self.object_tables("details." + sub, inner)
        named = [n for n in self.defs if self.defs[n].get("type") == "object" and self.defs[n].get("title")]
        for n in named:
            node = self.defs[n]
            out += ["", f"#### {node['title']}", "", node.get("description", "")]
            out += self.object_tables(n, node)
        if self.sets:
            out += ["", "### Closed sets"]
            for n in self.sets:
                node = self.defs[n]
                out += ["", f"#### {node.get('title', n)}", "", node.get("description", ""), ""]
                out += [f"- `{v}`" for v in node["enum"]]
        return "\n".join(out) + "\n"


def anchor(title):
    """GitHub's heading anchor."""
    keep = "".join(c for c in title.lower() if c.isalnum() or c in " -_")
    return keep.replace(" ", "-")


def main(argv):
    args = argv[1:]
    check = args[:1] == ["--check"]
    if check:
        args = args[1:]
    if len(args) not in (0, 2):
        print("usage: tools/audit-doc.py [--check] [SCHEMA DOC]", file=sys.stderr)
        return 2
    schema_file, doc_file = args or (SCHEMA, DOC)
    with open(schema_file, encoding="utf-8") as f:
        schema = json.load(f)
    with open(doc_file, encoding="utf-8") as f:
        doc = f.read()
    if doc.count(BEGIN) != 1 or doc.count(END) != 1 or doc.index(BEGIN) > doc.index(END):
        print(f"{doc_file}: needs exactly one {BEGIN!r} ... {END!r} block", file=sys.stderr)
        return 1
    head, rest = doc.split(BEGIN)
    _, tail = rest.split(END)
    new = head + BEGIN + "\n\n" + Doc(schema).render() + "\n" + END + tail
    if not check:
        if new != doc:
            with open(doc_file, "w", encoding="utf-8") as f:
                f.write(new)
        return 0
    if new == doc:
        print(f"{doc_file} matches {schema_file}")
        return 0
    sys.stdout.writelines(difflib.unified_diff(doc.splitlines(True), new.splitlines(True),
                                               doc_file, "generated from " + schema_file, n=1))
    print(f"{doc_file} differs from {schema_file}: run tools/audit-doc.py")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
