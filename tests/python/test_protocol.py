"""The wire itself: version exchange and the agent's refusal of malformed requests."""

import json
import socket

import pytest


def raw(env, obj_or_bytes, fds=()):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(30)
    s.connect(env["socket"])
    data = obj_or_bytes if isinstance(obj_or_bytes, bytes) else json.dumps(obj_or_bytes).encode()
    s.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, bytes(__import__("array").array("i", fds)))] if fds else [])
    reply = json.loads(s.recv(70000))
    s.close()
    return reply


@pytest.mark.parametrize("msg,words", [
    ({"cmd": "status", "proto": 2}, "protocol version 2 is not supported: this agent speaks version 1"),
    ({"cmd": "status", "proto": "1"}, '"proto" must be an integer'),
    ({"cmd": "nope"}, "unknown command: nope"),
    ({"plugin": "x"}, 'no "cmd"'),
    ({"cmd": "status", "verbose": True}, 'request "status": unknown key "verbose"'),
    ({"cmd": "permissions"}, 'request "permissions": "plugin" is required'),
    ({"cmd": "permissions", "plugin": 7}, 'request "permissions": "plugin" must be a string'),
    ({"cmd": "grant", "plugin": "x", "permissions": ["a", 1]}, '"permissions" must be an array of strings'),
    ({"cmd": "run", "plugin": "x"}, 'request "run": 0 file descriptors sent, 3 expected'),
    ({"cmd": "audit_show", "query": []}, '"query" must be an object'),
    ({"cmd": "audit_show", "query": {"since": "-7d"}}, "relative time on the wire"),
])
def test_malformed_requests_get_one_precise_error(env, msg, words):
    reply = raw(env, msg)
    assert reply["type"] == "error" and reply["code"] == 2, reply
    assert words in reply["message"], reply["message"]


def test_not_json_is_refused(env):
    reply = raw(env, b"\xff{not json")
    assert reply["type"] == "error" and "malformed request" in reply["message"]


def test_current_version_and_absent_version_are_accepted(env):
    assert raw(env, {"cmd": "status", "proto": 1})["type"] == "ok"
    assert raw(env, {"cmd": "status"})["type"] == "ok"  # raggedctl of this version


# The C client against the schema: raggedctl talks to a fake agent that
# records each request and answers with an error, so every command's first
# request is checked against docs/protocol-schema.json.
RAGGEDCTL_COMMANDS = [
    (["status"], "status"),
    (["permissions"], "catalog"),
    (["plugin", "list"], "plugin_list"),
    (["plugin", "permissions", "demo"], "permissions"),
    (["plugin", "grant", "demo", "--permission", "read:documents"], "grant"),
    (["plugin", "grant", "demo"], "grant"),
    (["plugin", "revoke", "demo", "--permission", "network:api"], "revoke"),
    (["plugin", "install", "{dir}", "--replace", "--accept-risk"], "plugin_install"),
    (["audit", "show", "--plugin", "demo", "--since", "-1d", "--event", "plugin_executed"], "audit_show"),
    (["audit", "follow", "--result", "denied"], "audit_follow"),
    (["audit", "verify"], "audit_verify"),
    (["security", "report", "--plugins"], "plugin_list"),
    (["run", "demo", "--yes", "--", "a", "b"], "run"),
]


def serve_fake_agent(path, answer):
    """A SEQPACKET server at PATH answering each connection's first request
    with answer(msg, nfds) (the request's fds closed); stop() ends it."""
    import os
    import threading

    srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    srv.bind(path)
    srv.listen(8)
    srv.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                c, _ = srv.accept()
            except socket.timeout:
                continue
            with c:
                c.settimeout(10)
                try:
                    data, fds, _, _ = socket.recv_fds(c, 70000, 3)
                    msg = json.loads(data)
                except (OSError, ValueError):
                    continue
                for fd in fds:
                    os.close(fd)
                c.send(json.dumps(answer(msg, len(fds))).encode())

    t = threading.Thread(target=serve, daemon=True)
    t.start()

    def close():
        stop.set()
        t.join()
        srv.close()
    return close


@pytest.fixture
def fake_agent(tmp_path):
    path, seen = str(tmp_path / "fake.sock"), []

    def answer(msg, nfds):
        seen.append((msg, nfds))
        return {"type": "error", "code": 1, "message": "fake agent"}
    close = serve_fake_agent(path, answer)
    yield path, seen
    close()


@pytest.mark.parametrize("argv,cmd", RAGGEDCTL_COMMANDS, ids=[" ".join(a) for a, _ in RAGGEDCTL_COMMANDS])
def test_raggedctl_requests_match_the_schema(env, fake_agent, tmp_path, argv, cmd):
    import os
    import subprocess

    jsonschema = pytest.importorskip("jsonschema")
    from conftest import ROOT

    path, seen = fake_agent
    with open(os.path.join(ROOT, "docs", "protocol-schema.json")) as f:
        schema = json.load(f)
    s = dict(schema)
    s.pop("oneOf")
    s["$ref"] = "#/$defs/request"
    argv = [a.format(dir=str(tmp_path)) for a in argv]
    subprocess.run([os.path.join(env["build"], "raggedctl"), "--socket", path, *argv],
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    assert seen, "raggedctl sent nothing"
    msg, nfds = seen[0]
    jsonschema.Draft202012Validator(s).validate(msg)
    assert msg["cmd"] == cmd and msg["proto"] == 1
    assert nfds == schema["$defs"]["request_" + cmd]["x-fds"]


# Page mode of plugin_list: both clients follow "next" to the end, and stop
# on a page that does not move forward (an agent, or whatever answers on the
# socket, cannot keep a client listing forever).
PAGES = {
    "": ({"type": "ok", "data": [{"name": "a", "uid": 0}, {"name": "b", "uid": 0}], "next": "0/b"}),
    "0/b": ({"type": "ok", "data": [{"name": "c", "uid": 1000}]}),
}


@pytest.fixture
def paging_agent(tmp_path):
    path, state = str(tmp_path / "pages.sock"), {"stuck": False, "seen": []}

    def answer(msg, nfds):
        state["seen"].append(msg)
        after = msg.get("after")
        if msg.get("cmd") != "plugin_list" or after not in PAGES:
            return {"type": "error", "code": 2, "message": "fake agent: %r" % (after,)}
        if state["stuck"]:
            return {"type": "ok", "data": [{"name": "a", "uid": 0}], "next": "0/b"}
        return PAGES[after]
    close = serve_fake_agent(path, answer)
    yield path, state
    close()


def test_clients_page_the_plugin_list(env, paging_agent):
    import os
    import subprocess

    from ragged_sandbox import Client

    path, state = paging_agent
    assert [p["name"] for p in Client(path).list()] == ["a", "b", "c"]
    assert [m.get("after") for m in state["seen"]] == ["", "0/b"]
    out = subprocess.run([os.path.join(env["build"], "raggedctl"), "--socket", path, "--format", "json",
                          "plugin", "list"], stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert [p["name"] for p in json.loads(out.stdout)] == ["a", "b", "c"]


def test_clients_stop_on_a_page_that_does_not_move(env, paging_agent):
    import os
    import subprocess

    from ragged_sandbox import Client, ProtocolError

    path, state = paging_agent
    state["stuck"] = True
    with pytest.raises(ProtocolError, match="does not follow the last"):
        Client(path).list()
    for argv in (["plugin", "list"], ["security", "report", "--plugins"]):
        out = subprocess.run([os.path.join(env["build"], "raggedctl"), "--socket", path, *argv],
                             stdin=subprocess.DEVNULL, capture_output=True, timeout=60, text=True)
        assert out.returncode != 0 and "does not follow the last" in out.stderr, (argv, out)
