#!/usr/bin/env python3
"""The command line's one table against everything that lists it.

    cli_drift.py ROOT BUILD PLUGIN_DIR

raggedctl's command table (read through `raggedctl --format json help`)
must be what the parser accepts, what `help` prints, what raggedctl(1)
documents and what the bash completion offers: every command, option,
alias and value, and nothing else. The exit-code table must be the same in
raggedctl, raggedctl(1), docs/cli.md and the Python client; raggedd's
options the same in its parser, --help, raggedd(8) and the completion.

Runs without an agent (RAGGED_SOCKET points nowhere: every command that
parses exits "agent not running", 5, never "bad input", 2). Prints one
"ok - ..." or "not ok - ..." line per check (details indented below).
"""
import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT, BUILD, PLUGIN_DIR = sys.argv[1:4]
CTL = os.path.join(BUILD, "raggedctl")
NOWHERE = os.path.join(os.environ.get("RAGGED_T", "/tmp"), "no-agent.sock")
ENV = dict(os.environ, RAGGED_SOCKET=NOWHERE, PATH=BUILD + ":" + os.environ.get("PATH", ""))
results = []


def check(desc, problems):
    problems = [p for p in problems if p]
    results.append((not problems, desc))
    print(("ok - " if not problems else "not ok - ") + desc)
    for p in problems[:20]:
        print("    " + p)


def ctl(*argv, env=ENV):
    p = subprocess.run([CTL, *argv], env=env, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


rc, out, err = ctl("--format", "json", "help")
TABLE = json.loads(out)
CMDS = TABLE["commands"]
GLOBALS = TABLE["global_options"]
EXITS = {e["code"]: e["exit"] for e in TABLE["exit_codes"]}


def names(opts):
    s = set()
    for o in opts:
        s.add(o["name"])
        if o["alias"]:
            s.add(o["alias"])
    return s


GLOBAL_NAMES = names(GLOBALS)
ALL_OPTS = {o["name"]: o for c in CMDS for o in c["options"]}


def positionals(c):
    kind = {"dir": PLUGIN_DIR, "plugin": "nosuchplugin", "permission": "read:documents",
            "command": "status"}.get(c["complete"], "x")
    return [kind] * c["min_args"]


# advisories update never fetches here: its source is a file that does not
# exist (an I/O error, exit 4, after the parser accepted the line).
ADV_DIR = tempfile.mkdtemp(prefix="ragged-drift-")
atexit.register(shutil.rmtree, ADV_DIR, True)
NO_SOURCE = os.path.join(ADV_DIR, "no-such-export.zip")


def sample(o):
    if o["values"]:
        return o["values"][0]
    return {"--since": "-2d", "--until": "-1d", "--file": "/dev/null",
            "--config": os.path.join(ROOT, "etc", "agent.toml"), "--osv-db": PLUGIN_DIR,
            "--plugin": "nosuchplugin", "--dir": os.path.join(ADV_DIR, "osv"),
            "--source": NO_SOURCE, "--min-count": "1"}.get(o["name"], "x")


def base(c, testing=None):
    """The command with its positionals and required option: a line that parses."""
    argv = c["command"].split() + positionals(c)
    for o in c["options"]:
        if o["required"]:
            argv += [o["name"], sample(o)] if o["value"] else [o["name"]]
    if c["command"].startswith("advisories ") and testing != "--dir":
        argv += ["--dir", sample({"name": "--dir", "values": None})]
    if c["command"] == "advisories update" and testing != "--source":
        argv += ["--source", NO_SOURCE]
    return argv


# ---- the parser accepts every option of the table, in both spellings, and nothing else ----
problems = []
for c in CMDS:
    if c["command"] == "help":
        continue
    for o in c["options"]:
        for spelled in ([o["name"]] + ([o["alias"]] if o["alias"] else [])):
            if o["value"]:
                forms = [[spelled, sample(o)]]
                if spelled.startswith("--"):
                    forms.append([spelled + "=" + sample(o)])
            else:
                forms = [[spelled]]
            for f in forms:
                rc, _, err = ctl(*base(c, o["name"]), *f)
                if rc == 2:
                    problems.append("%s %s: refused (%s)" % (c["command"], " ".join(f), err.strip()))
        if o["values"]:
            for v in o["values"]:
                rc, _, err = ctl(*base(c, o["name"]), o["name"] + "=" + v)
                if rc == 2:
                    problems.append("%s %s=%s: refused" % (c["command"], o["name"], v))
            rc, _, err = ctl(*base(c, o["name"]), o["name"], "no-such-value")
            if rc != 2 or o["name"] not in err:
                problems.append("%s %s no-such-value: exit %d, %r" % (c["command"], o["name"], rc, err))
        elif not o["value"]:
            rc, _, err = ctl(*base(c, o["name"]), o["name"] + "=x")
            if rc != 2:
                problems.append("%s %s=x (a flag with a value): exit %d" % (c["command"], o["name"], rc))
    own = names(c["options"])
    for other in sorted(set(ALL_OPTS) - own) + ["--no-such-option"]:
        o = ALL_OPTS.get(other)
        rc, _, err = ctl(*base(c), other, *([sample(o)] if o and o["value"] else []))
        if rc != 2 or "unknown option" not in err:
            problems.append("%s accepts %s, which its table does not list (exit %d)" % (c["command"], other, rc))
check("the parser accepts exactly the options, aliases and values of the table, as --opt V and --opt=V",
      problems)

# ---- help COMMAND and COMMAND --help: exit 0, stdout, every option and value ----
problems = []
for c in CMDS:
    words = c["command"].split()
    r1 = ctl("help", *words)
    r2 = ctl(*words, "--help")
    for r, how in ((r1, "help " + c["command"]), (r2, c["command"] + " --help")):
        if r[0] != 0 or r[2]:
            problems.append("%s: exit %d, stderr %r" % (how, r[0], r[2]))
    if r1[1] != r2[1]:
        problems.append("help %s and %s --help differ" % (c["command"], c["command"]))
    text = r1[1]
    for o in c["options"] + GLOBALS:
        for w in [o["name"]] + ([o["alias"]] if o["alias"] else []) + (o["values"] or []):
            if not re.search(r"(?<![\w:-])%s(?![\w:-])" % re.escape(w), text):
                problems.append("help %s does not show %s" % (c["command"], w))
rc, out, err = ctl("help", "no-such-command")
if rc != 2 or out or not err.startswith("raggedctl: "):
    problems.append("help no-such-command: exit %d, stdout %r, stderr %r" % (rc, out, err))
check("help COMMAND and COMMAND --help print every option and value on stdout, exit 0; an unknown one is bad input",
      problems)

# ---- raggedctl(1) ----


def man_text(s):
    s = re.sub(r"\\f[BIRP]", "", s).replace("\\-", "-").replace("\\(em", "-")
    lines = []
    for line in s.splitlines():
        m = re.match(r"^\.(B|I|BR|RB|BI|IB|IR|RI)\s+(.*)$", line)
        if m:
            line = m.group(2).replace('"', "")
        lines.append(line)
    return "\n".join(lines)


def sections(raw):
    out, name = {}, None
    for line in raw.splitlines():
        if line.startswith(".SH "):
            name = line[4:].strip().strip('"')
            out[name] = []
        elif name:
            out[name].append(line)
    return {k: "\n".join(v) for k, v in out.items()}


OPT_RE = re.compile(r"(?<![\w-])(--[a-z][a-z-]*|-[a-zA-Z])(?![\w-])")
man_raw = open(os.path.join(ROOT, "man/raggedctl.1")).read()
sec = sections(man_raw)
problems = []
paths = sorted((c["command"] for c in CMDS), key=len, reverse=True)
chunks = {}
for chunk in man_text(sec["COMMANDS"]).split(".TP\n")[1:]:
    head = chunk.splitlines()[0].strip()
    cmd = next((p for p in paths if head == p or head.startswith(p + " ")), None)
    if not cmd:
        problems.append("raggedctl(1) documents a command the table does not have: %r" % head)
        continue
    chunks[cmd] = chunk
for c in CMDS:
    chunk = chunks.get(c["command"])
    if chunk is None:
        problems.append("raggedctl(1) does not document %s" % c["command"])
        continue
    documented = set(OPT_RE.findall(chunk)) - GLOBAL_NAMES
    want = names(c["options"])
    if documented != want:
        problems.append("raggedctl(1) %s: documents %s, the table has %s" % (
            c["command"], sorted(documented), sorted(want)))
    # A value list is written out once, where the option first appears.
    for o in c["options"]:
        for v in o["values"] or []:
            if not re.search(r"(?<![\w:-])%s(?![\w:-])" % re.escape(v), man_text(sec["COMMANDS"])):
                problems.append("raggedctl(1) %s: value %s of %s missing" % (c["command"], v, o["name"]))
glob = man_text(sec["GLOBAL OPTIONS"])
if set(OPT_RE.findall(glob)) != GLOBAL_NAMES:
    problems.append("raggedctl(1) GLOBAL OPTIONS: %s, the table has %s" % (
        sorted(set(OPT_RE.findall(glob))), sorted(GLOBAL_NAMES)))
for o in GLOBALS:
    for v in o["values"] or []:
        if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(v), glob):
            problems.append("raggedctl(1) GLOBAL OPTIONS: value %s of %s missing" % (v, o["name"]))
check("raggedctl(1) documents every command, option, alias and value of the table, and no other", problems)

# ---- exit codes: raggedctl, raggedctl(1), docs/cli.md, the Python client ----
problems = []
man_exits = {m.group(2): int(m.group(1))
             for m in re.finditer(r'^\.BR (\d+) " \((\w+)\)"', sec["EXIT STATUS"], re.M)}
if man_exits != EXITS:
    problems.append("raggedctl(1) EXIT STATUS %s != %s" % (man_exits, EXITS))
doc = open(os.path.join(ROOT, "docs/cli.md")).read()
doc_exits = {m.group(2): int(m.group(1)) for m in re.finditer(r"^\| (\d+) \| (\w+) \|", doc, re.M)}
if doc_exits != EXITS:
    problems.append("docs/cli.md %s != %s" % (doc_exits, EXITS))
sys.path.insert(0, os.path.join(ROOT, "agent/python"))
from ragged_sandbox.errors import EXIT_CODES  # noqa: E402

if EXIT_CODES != EXITS:
    problems.append("ragged_sandbox.errors.EXIT_CODES %s != %s" % (EXIT_CODES, EXITS))
rc, out, _ = ctl("help", "exit-codes")
for code, n in EXITS.items():
    if not re.search(r"^  %d +%s " % (n, code), out, re.M):
        problems.append("help exit-codes lacks %d %s" % (n, code))
check("one exit-code table: raggedctl, raggedctl(1), docs/cli.md and the Python client agree", problems)

# ---- the bash completion offers exactly the table ----
COMPLETION = os.path.join(ROOT, "completion/raggedctl.bash")


def complete(line, func="_raggedctl"):
    script = ('source "$1"; COMP_WORDBREAKS=$\' \\t\\n"\\\'><=;|&(:\'; COMP_LINE=$2; '
              'COMP_POINT=${#COMP_LINE}; COMP_WORDS=($COMP_LINE); COMP_CWORD=${#COMP_WORDS[@]}; '
              '%s; printf "%%s\\n" "${COMPREPLY[@]}"' % func)
    p = subprocess.run(["bash", "-c", script, "bash", COMPLETION, line], env=ENV,
                       capture_output=True, text=True, timeout=60)
    return set(w for w in p.stdout.split("\n") if w), p.stderr


def kind_of(o):
    p = subprocess.run(["bash", "-c", 'source "$1"; _raggedctl_value_of "$2"', "bash", COMPLETION,
                        o], env=ENV, capture_output=True, text=True)
    return p.stdout.split()


problems = []
got, err = complete("raggedctl ")
if err:
    problems.append("completion stderr: %s" % err.strip())
if got != {c["command"].split()[0] for c in CMDS}:
    problems.append("commands: %s" % sorted(got))
for g in {c["command"].split()[0] for c in CMDS if " " in c["command"]}:
    subs = {c["command"].split()[1] for c in CMDS if c["command"].startswith(g + " ")}
    got, _ = complete("raggedctl %s " % g)
    if got != subs:
        problems.append("%s: subcommands %s, the table has %s" % (g, sorted(got), sorted(subs)))
for c in CMDS:
    prefix = "raggedctl " + " ".join(base(c)) + " "
    got, _ = complete(prefix + "-")
    want = names(c["options"]) | GLOBAL_NAMES
    if got != want:
        problems.append("%s -<TAB>: %s, the table has %s" % (c["command"], sorted(got), sorted(want)))
    for o in c["options"] + GLOBALS:
        if not o["value"]:
            if kind_of(o["name"]):
                problems.append("%s takes no value, the completion gives it one" % o["name"])
            continue
        k = kind_of(o["name"])
        if o["values"]:
            got, _ = complete(prefix + o["name"] + " ")
            if o["name"] == "--permission" and got != set(o["values"]):
                problems.append("--permission values %s" % sorted(got))
            elif o["name"] != "--permission" and (set(k) != set(o["values"]) or got != set(o["values"])):
                problems.append("%s values: %s, the table has %s" % (o["name"], sorted(got), o["values"]))
        elif k != [o["complete"] or "none"]:
            problems.append("%s completes %s, the table says %s" % (o["name"], k, o["complete"]))
check("the bash completion offers every command, subcommand, option, alias and value of the table, and no other",
      problems)

# ---- raggedd: parser (getopt table), --help, raggedd(8), completion ----
problems = []
src = open(os.path.join(ROOT, "agent/daemon/raggedd.c")).read()
longs = {"--" + n for n in re.findall(r'\{ "([a-z-]+)", (?:no|required)_argument', src)}
shorts = {"-" + ch for ch in re.search(r'getopt_long\(argc, argv, "([^"]*)"', src).group(1).replace(":", "")}
parsed = longs | shorts
p = subprocess.run([os.path.join(BUILD, "raggedd"), "--help"], capture_output=True, text=True)
if p.returncode != 0 or set(OPT_RE.findall(p.stdout)) != parsed:
    problems.append("raggedd --help (exit %d) lists %s, getopt has %s" % (
        p.returncode, sorted(set(OPT_RE.findall(p.stdout))), sorted(parsed)))
dsec = sections(open(os.path.join(ROOT, "man/raggedd.8")).read())
man_opts = set(OPT_RE.findall(man_text(dsec["OPTIONS"])))
if man_opts != parsed:
    problems.append("raggedd(8) OPTIONS: %s, getopt has %s" % (sorted(man_opts), sorted(parsed)))
got, _ = complete("raggedd -", "_raggedd")
if got != parsed:
    problems.append("completion of raggedd -: %s, getopt has %s" % (sorted(got), sorted(parsed)))
check("raggedd's options: getopt, --help, raggedd(8) and the completion agree", problems)

sys.exit(0 if all(ok for ok, _ in results) else 1)
