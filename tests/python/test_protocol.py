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
