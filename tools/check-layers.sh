#!/bin/sh
# make test: agent/daemon's modules form layers, no cycles.
#   include graph: which module's files include which module's header
#                  (a module is x.c with its x.h), from the sources;
#   call graph:    which module's object uses a symbol another one defines
#                  (nm: undefined against defined, per object of the build).
# Each cycle is listed with the edges that close it (and, for calls, the
# symbols behind each edge); any cycle fails the check.
# Usage: tools/check-layers.sh [BUILD]   (default build/, after make)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${1:-${BUILD:-build}}
exec python3 - "$BUILD" <<'PY'
import collections, glob, os, re, subprocess, sys

build = sys.argv[1]
src = 'agent/daemon'


def cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def report(kind, graph, why):
    found = cycles(graph)
    for comp in found:
        print('%s cycle between %d modules: %s' % (kind, len(comp), ' '.join(comp)))
        members = set(comp)
        for a in comp:
            for b in sorted(graph[a] & members):
                print('  %s -> %s%s' % (a, b, ': ' + ' '.join(sorted(why[(a, b)])) if why[(a, b)] else ''))
    print('%s: %s' % (kind, 'no cycles' if not found else '%d cycle(s)' % len(found)))
    return not found


# Include graph, from the sources.
inc = collections.defaultdict(set)
why_inc = collections.defaultdict(set)
for path in sorted(glob.glob(src + '/*.[ch]')):
    mod = os.path.basename(path)[:-2]
    inc[mod]
    for line in open(path, encoding='utf-8', errors='replace'):
        m = re.match(r'\s*#\s*include\s+"([^"/]+)\.h"', line)
        if m and os.path.exists(os.path.join(src, m.group(1) + '.h')) and m.group(1) != mod:
            inc[mod].add(m.group(1))

# Call graph, from the objects.
objs = sorted(glob.glob(os.path.join(build, 'obj', src, '*.o')))
if not objs:
    print('layers: no objects under %s/obj/%s (run make first)' % (build, src))
    print('layers: 0 passed, 1 failed')
    sys.exit(1)
defined, used = {}, {}
for o in objs:
    mod = os.path.basename(o)[:-2]
    nm = subprocess.run(['nm', o], capture_output=True, text=True, check=True).stdout
    defined[mod], used[mod] = set(), set()
    for line in nm.splitlines():
        f = line.split()
        if len(f) == 2 and f[0] == 'U':
            used[mod].add(f[1])
        elif len(f) == 3 and f[1] in 'TDBRGSVW':
            defined[mod].add(f[2])
owner = {s: m for m, syms in defined.items() for s in syms}
calls = collections.defaultdict(set)
why_call = collections.defaultdict(set)
for mod, syms in used.items():
    calls[mod]
    for s in syms:
        if s in owner and owner[s] != mod:
            calls[mod].add(owner[s])
            why_call[(mod, owner[s])].add(s)

# The finder itself, on graphs whose answer is known: a check that cannot fail proves nothing.
selftest = (cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}) == [['a', 'b', 'c']]
            and cycles({'a': {'b'}, 'b': set(), 'c': {'a', 'b'}}) == [])
print('self-test: %s' % ('cycle finder finds a known cycle, no false one' if selftest else 'FAILED'))

passed = failed = 0
for ok in (selftest, report('includes', inc, why_inc), report('calls', calls, why_call)):
    passed += ok
    failed += not ok
print('layers: %d passed, %d failed' % (passed, failed))
sys.exit(1 if failed else 0)
PY
