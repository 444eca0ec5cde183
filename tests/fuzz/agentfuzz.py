#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Stateful fuzzer for a live raggedd: random request sequences on many
connections, as root and as an unprivileged user, with disconnects at any
point; after every sequence the agent must be alive and answer `status`
within a bound.

    agentfuzz.py --socket PATH --pid AGENT_PID --seconds N [--seed S]
                 [--user nobody] [--plugins fzhog,fzask] [--secret PATH]
                 [--report SECONDS]

Each sequence forks a few actors: some stay root, some drop to --user
(setgid/setuid, so SO_PEERCRED names that user). Every actor opens one to
three connections and sends random protocol messages: status, plugin list
and permissions, grant and revoke, run (with real, missing, surplus or
bogus descriptors), consent answers, audit show/verify/follow (read fully,
partly or not at all), garbage bytes, non-objects, oversized frames,
half-close, and floods of requests whose replies it never reads. It leaves
at a random point, often in the middle of a run or a prompt, or is killed.

At the end (and every --report seconds) it prints how often each
operation was driven: requests per kind, connects, disconnects by kind,
connection errors (the agent dropping a misbehaving client), actors killed
mid-walk. Exit 0 when every check passed; 1 with the seed and the failing sequence's
operations otherwise (rerun with --seed to reproduce the same choices).
Standard library only.
"""
import argparse
import json
import os
import pwd
import random
import select
import shutil
import signal
import socket
import sys
import tempfile
import time

PROTO_MAX_MSG = 64 * 1024
PERMS = ["read:documents", "write:documents", "read:config", "network:api",
         "network:download", "system:embedding", "bogus:perm", ""]


def connect(path, timeout=2.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(timeout)
    s.connect(path)
    return s


def send_json(s, obj, fds=None):
    data = json.dumps(obj).encode()
    if fds:
        socket.send_fds(s, [data], fds)
    else:
        s.send(data)


def status_ok(path, bound):
    """The agent answers status within `bound` seconds."""
    deadline = time.monotonic() + bound
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            s = connect(path, max(0.1, deadline - time.monotonic()))
            try:
                send_json(s, {"cmd": "status"})
                m = json.loads(s.recv(PROTO_MAX_MSG + 1))
                if m.get("type") == "ok" and "enforcement" in m.get("data", {}):
                    return None
                last = "unexpected status reply: %r" % (m,)
            finally:
                s.close()
        except (OSError, ValueError) as e:
            last = "%s: %s" % (type(e).__name__, e)
            time.sleep(0.05)
    return last


class Actor:
    """One process's random walk over a few connections."""

    def __init__(self, rng, args, log):
        self.rng = rng
        self.args = args
        self.log = log
        self.conns = []

    def op(self, what):
        # Written as it happens: a killed actor's last step is in the file.
        self.log.write(what + "\n")
        self.log.flush()

    def conn(self):
        if not self.conns or (len(self.conns) < 3 and self.rng.random() < 0.2):
            try:
                self.conns.append(connect(self.args.socket, 0.3))
                self.op("connect")
            except OSError as e:
                self.op("connect failed: %s" % e)
                return None
        return self.rng.choice(self.conns)

    def drop(self, s, how):
        self.op("disconnect (%s)" % how)
        try:
            if how == "half":
                s.shutdown(socket.SHUT_WR)
                self.read_some(s, self.rng.randint(0, 3))
            elif how == "rst":
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
        except OSError:
            pass
        s.close()
        self.conns.remove(s)

    def read_some(self, s, n):
        for _ in range(n):
            try:
                s.settimeout(self.rng.choice([0.0, 0.05, 0.2]))
                if not s.recv(PROTO_MAX_MSG + 1):
                    return
            except (OSError, ValueError):
                return

    def plugin(self):
        return self.rng.choice(self.args.plugins + ["nope", "../etc", "x" * 80])

    def request(self, s):
        rng = self.rng
        kind = rng.choice(["status", "list", "perms", "grant", "revoke", "run", "run",
                           "answer", "show", "verify", "follow", "garbage", "nonobject",
                           "huge", "empty", "flood", "unknown", "badfds"])
        self.op(kind)
        if kind == "status":
            send_json(s, {"cmd": "status"})
        elif kind == "list":
            send_json(s, {"cmd": "plugin_list"})
        elif kind == "perms":
            send_json(s, {"cmd": "permissions", "plugin": self.plugin()})
        elif kind in ("grant", "revoke"):
            req = {"cmd": kind, "plugin": self.plugin()}
            if rng.random() < 0.8:
                req["permissions"] = rng.sample(PERMS, rng.randint(0, 2))
            elif rng.random() < 0.5:
                req["permissions"] = rng.choice([5, "read:documents", [1, None], {}])
            send_json(s, req)
        elif kind == "run":
            req = {"cmd": "run", "plugin": self.plugin(), "tty": rng.random() < 0.6,
                   "yes": rng.random() < 0.2}
            req["args"] = rng.choice([
                ["sleep", str(rng.choice([0, 1, 2]))],
                ["flood", "%d:%s" % (rng.choice([100, 2000, 20000]), self.args.secret)],
                ["modest", "-"], ["network:api"], [str(i) for i in range(rng.randint(0, 300))],
                "notalist", [1, 2]])
            nfds = rng.choice([3, 3, 3, 0, 1, 2])
            fds = [os.open("/dev/null", os.O_RDWR) for _ in range(nfds)]
            try:
                send_json(s, req, fds)
            finally:
                for fd in fds:
                    os.close(fd)
        elif kind == "badfds":
            # Descriptors that are not stdio: sockets, a directory, an epoll fd.
            fds = []
            try:
                fds.append(os.open("/", os.O_RDONLY | os.O_DIRECTORY))
                a, b = socket.socketpair()
                fds += [a.detach(), b.detach()]
                fds.append(os.open("/dev/null", os.O_RDONLY))
                send_json(s, {"cmd": rng.choice(["run", "status", "answer"]),
                              "plugin": self.plugin()}, fds[:rng.randint(1, 4)])
            finally:
                for fd in fds:
                    os.close(fd)
        elif kind == "answer":
            send_json(s, {"cmd": "answer", "yes": rng.random() < 0.5})
        elif kind == "show":
            q = rng.choice([None, {"event": "plugin_loaded"}, {"since": "-1h"},
                            {"since": "yesterday"}, {"plugin": self.plugin()}, 5])
            send_json(s, {"cmd": "audit_show"} if q is None else {"cmd": "audit_show", "query": q})
        elif kind == "verify":
            send_json(s, {"cmd": "audit_verify"})
        elif kind == "follow":
            send_json(s, {"cmd": "audit_follow"})
        elif kind == "garbage":
            s.send(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 200))))
        elif kind == "nonobject":
            s.send(rng.choice([b"[1,2]", b"null", b"\"cmd\"", b"{\"cmd\":", b"{\"cmd\":\"status\"}\0x"]))
        elif kind == "huge":
            s.send(b"{\"cmd\":\"status\",\"pad\":\"" + b"a" * (PROTO_MAX_MSG + rng.randint(0, 5000)) + b"\"}")
        elif kind == "empty":
            s.send(b"")
        elif kind == "flood":
            # Many requests, no reading: the agent must drop us, not wait for us.
            for _ in range(rng.choice([50, 500, 3000])):
                send_json(s, {"cmd": rng.choice(["status", "plugin_list", "nope", "grant", "revoke"]),
                              "plugin": self.plugin(), "permissions": ["network:api"]})
        elif kind == "unknown":
            send_json(s, {"cmd": "x" * rng.randint(0, 100)})

    def walk(self, steps):
        rng = self.rng
        for _ in range(steps):
            s = self.conn()
            if s is None:
                return
            try:
                self.request(s)
                r = rng.random()
                if r < 0.5:
                    self.read_some(s, rng.randint(1, 4))
                elif r < 0.6:
                    self.drop(s, rng.choice(["close", "half", "rst"]))
                elif r < 0.65:
                    time.sleep(rng.random() * 0.3)
            except (OSError, ValueError) as e:
                # The agent may drop a flooding or misbehaving connection: fine.
                self.op("connection error: %s" % e)
                try:
                    self.conns.remove(s)
                    s.close()
                except ValueError:
                    pass
        # Leave as a process would: everything open is closed by exit
        # (or left unread until the kill, for the ones the walk abandoned).


def actor_main(seed, args, uid, gid):
    if uid is not None:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    rng = random.Random(seed)
    log = open(os.path.join(args.logdir, "actor-%d" % seed), "w")
    try:
        Actor(rng, args, log).walk(rng.randint(3, 25))
        if rng.random() < 0.3:
            time.sleep(rng.random())	# hold everything open a while, unread
    except Exception as e:  # noqa: BLE001 - an actor must never fail the run
        log.write("actor exception: %r\n" % e)
    log.close()
    os._exit(0)


def sequence(args, seq_seed, user):
    """One round: a few actors in parallel, then the liveness check."""
    rng = random.Random(seq_seed)
    kids = []
    for i in range(rng.randint(1, 5)):
        as_user = rng.random() < 0.5
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            actor_main(seq_seed * 100 + i, args,
                       user.pw_uid if as_user else None, user.pw_gid if as_user else None)
        kids.append(pid)
    deadline = time.monotonic() + args.actor_seconds
    for pid in kids:
        while True:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)	# a disconnect at any point
                os.waitpid(pid, 0)
                args.killed.add(pid)
                break
            time.sleep(0.02)
    killed = sum(1 for pid in kids if pid in args.killed)
    args.tally["actors killed mid-walk"] = args.tally.get("actors killed mid-walk", 0) + killed
    try:
        os.kill(args.pid, 0)
    except OSError:
        return "the agent (pid %d) is gone" % args.pid
    err = status_ok(args.socket, args.bound)
    return None if err is None else "no status answer within %gs: %s" % (args.bound, err)


def replay_log(args, seq_seed, user):
    """What each actor of one sequence did, from their files."""
    rng = random.Random(seq_seed)
    out = []
    for i in range(rng.randint(1, 5)):
        as_user = rng.random() < 0.5
        aseed = seq_seed * 100 + i
        out.append("actor %d (%s), seed %d:" % (i, user.pw_name if as_user else "root", aseed))
        try:
            with open(os.path.join(args.logdir, "actor-%d" % aseed)) as f:
                out += ["    " + l.rstrip() for l in f]
        except OSError:
            out.append("    (no log)")
    return out


def tally_logs(args, seq_seed):
    """Add one sequence's actor operations to args.tally, then drop the files
    (a long run makes hundreds of thousands of them)."""
    rng = random.Random(seq_seed)
    for i in range(rng.randint(1, 5)):
        path = os.path.join(args.logdir, "actor-%d" % (seq_seed * 100 + i))
        try:
            with open(path) as f:
                for line in f:
                    # "connection error: ..." and "disconnect (how)" keep their class only.
                    key = line.split(":")[0].strip()
                    args.tally[key] = args.tally.get(key, 0) + 1
            os.unlink(path)
        except OSError:
            pass


def tally_line(args):
    return ", ".join("%s %d" % kv for kv in sorted(args.tally.items()))


def wait_hup(s, seconds):
    """True once the agent has closed its end of s (we never read it)."""
    p = select.poll()
    p.register(s, select.POLLHUP)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for _, ev in p.poll(100):
            if ev & (select.POLLHUP | select.POLLERR):
                return True
    return False


def recv_type(s, want, seconds=30):
    s.settimeout(seconds)
    while True:
        m = json.loads(s.recv(PROTO_MAX_MSG + 1))
        if m.get("type") == want:
            return m
        if m.get("type") == "error":
            raise RuntimeError("agent error: %s" % m.get("message"))


def stdio_fds():
    return [os.open("/dev/null", os.O_RDWR) for _ in range(3)]


def run_req(s, plugin, argv, tty=False):
    fds = stdio_fds()
    try:
        send_json(s, {"cmd": "run", "plugin": plugin, "tty": tty, "args": argv}, fds)
    finally:
        for fd in fds:
            os.close(fd)


def scenario(args):
    """Named regression scenarios: print one result line, exit 0 if it held."""
    name = args.scenario
    if name == "follow-own-run":
        # A run and an audit follow on one connection, never read: the
        # follower's records pile up until the agent drops it, which ends
        # its run, whose records go to followers... (the re-entrant path).
        # The plugin floods and then waits: its run can end only by the
        # drop, never on its own first (a slow guest finishes a plain flood
        # before the queue fills).
        s = connect(args.socket, 30)
        run_req(s, args.plugins[0], ["floodhold", "%d:%s" % (args.count, args.secret)])
        recv_type(s, "started")
        send_json(s, {"cmd": "audit_follow"})
        # Requests that each make a record (and a reply): the follower's
        # backlog grows by both, and nothing is ever read. They toggle
        # another plugin's permission: a revoke for the running one would
        # end its run in landlock mode (no live narrowing) before the drop.
        other = args.plugins[1] if len(args.plugins) > 1 else args.plugins[0]
        try:
            for i in range(args.count // 100):
                send_json(s, {"cmd": "grant" if i % 2 else "revoke", "plugin": other,
                              "permissions": ["network:api"]})
        except OSError:
            pass
        dropped = wait_hup(s, args.seconds)
        err = status_ok(args.socket, args.bound)
        print("follow-own-run: %s; status %s" % ("dropped" if dropped else "not dropped",
                                                 "ok" if err is None else err))
        return 0 if dropped and err is None else 1
    if name == "flood-unread":
        s = connect(args.socket, 30)
        sent = 0
        try:
            while sent < args.count:
                send_json(s, {"cmd": "status"})
                sent += 1
        except OSError:
            pass
        dropped = wait_hup(s, args.seconds)
        err = status_ok(args.socket, args.bound)
        print("flood-unread: %d sent, %s; status %s" % (sent, "dropped" if dropped else "not dropped",
                                                       "ok" if err is None else err))
        return 0 if dropped and err is None else 1
    if name == "prompt-gone":
        s = connect(args.socket, 30)
        run_req(s, args.plugins[0], ["read:documents"], tty=True)
        recv_type(s, "prompt")
        s.close()
        err = status_ok(args.socket, args.bound)
        print("prompt-gone: left at the prompt; status %s" % ("ok" if err is None else err))
        return 0 if err is None else 1
    if name == "run-gone":
        # Leave mid-run, with replies unread and the plugin still writing records.
        s = connect(args.socket, 30)
        run_req(s, args.plugins[0], ["flood", "%d:%s" % (args.count, args.secret)])
        recv_type(s, "started")
        for _ in range(50):
            send_json(s, {"cmd": "status"})
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
        s.close()
        err = status_ok(args.socket, args.bound)
        print("run-gone: left mid-run; status %s" % ("ok" if err is None else err))
        return 0 if err is None else 1
    if name == "conn-bound":
        user = pwd.getpwnam(args.user)
        r, w = os.pipe()
        r2, w2 = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            os.close(w2)
            os.setgroups([])
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
            held, refused = [], 0
            for _ in range(args.count):
                try:
                    c = connect(args.socket, 5)
                    try:
                        send_json(c, {"cmd": "status"})
                    except OSError:
                        pass	# refused: its one message is still there to read
                    m = json.loads(c.recv(PROTO_MAX_MSG + 1) or b"{}")
                    if m.get("type") == "ok":
                        held.append(c)
                    else:
                        refused += 1
                        last = m.get("message", "closed")
                except (OSError, ValueError):
                    refused += 1
                    last = "closed"
            os.write(w, ("%d %d %s" % (len(held), refused, last if refused else "-")).encode())
            os.read(r2, 1)	# hold them while root is checked, then leave
            os._exit(0)
        os.close(w)
        os.close(r2)
        out = os.read(r, 512).decode()
        err = status_ok(args.socket, args.bound)
        os.close(w2)
        os.waitpid(pid, 0)
        held, refused, why = out.split(" ", 2)
        print("conn-bound: %s held, %s refused (%s); root status %s"
              % (held, refused, why, "ok" if err is None else err))
        return 0 if err is None else 1
    print("agentfuzz: unknown scenario %s" % name)
    return 2


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--socket", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--user", default="nobody")
    ap.add_argument("--plugins", default="fzhog,fzask")
    ap.add_argument("--secret", default="/etc/shadow")
    ap.add_argument("--bound", type=float, default=10.0, help="seconds status may take")
    ap.add_argument("--actor-seconds", type=float, default=3.0)
    ap.add_argument("--scenario", help="run one named regression scenario instead")
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--report", type=float, default=0,
                    help="print the counts so far every this many seconds (0: only at the end)")
    args = ap.parse_args()
    args.plugins = [p for p in args.plugins.split(",") if p]
    args.logdir = tempfile.mkdtemp(prefix="agentfuzz.")
    os.chmod(args.logdir, 0o777)	# actors that dropped to the user write there too
    if os.geteuid() != 0:
        print("agentfuzz: needs root (it connects as root and as %s)" % args.user)
        return 2
    if args.scenario:
        return scenario(args)
    user = pwd.getpwnam(args.user)
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    end = time.monotonic() + args.seconds
    n = 0
    err = status_ok(args.socket, args.bound)
    if err:
        print("agentfuzz: the agent does not answer before the first sequence: %s" % err)
        return 1
    args.tally, args.killed = {}, set()
    start = time.monotonic()
    next_report = start + args.report
    while time.monotonic() < end:
        seq_seed = rng.getrandbits(31)
        err = sequence(args, seq_seed, user)
        n += 1
        if not err:
            tally_logs(args, seq_seed)
        if args.report and time.monotonic() >= next_report:
            print("agentfuzz: %.0fs, %d sequences: %s" % (time.monotonic() - start, n, tally_line(args)),
                  flush=True)
            next_report += args.report
        if err:
            print("agentfuzz: FAIL after %d sequences (seed %d, sequence seed %d): %s"
                  % (n, seed, seq_seed, err))
            for line in replay_log(args, seq_seed, user):
                print("    " + line)
            return 1
    shutil.rmtree(args.logdir, ignore_errors=True)
    print("agentfuzz: driven: %s" % tally_line(args))
    print("agentfuzz: %d sequences in %.0fs (seed %d): the agent stayed up and answered status"
          % (n, args.seconds, seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
