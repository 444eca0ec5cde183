"""Fixtures for the Python client tests. They run inside the native
integration suite (tests/integration/t_python.sh), which starts a private
agent and exports RAGGED_SOCKET, RAGGED_T, RAGGED_BUILD and RAGGED_ROOT."""

import os
import shutil
import sys
import tempfile

import pytest

ROOT = os.environ.get("RAGGED_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "agent", "python"))


def _need(var):
    v = os.environ.get(var)
    if not v:
        pytest.skip("%s is not set: run through tests/integration/run.sh (a live agent)" % var)
    return v


@pytest.fixture(scope="session")
def env():
    return {"socket": _need("RAGGED_SOCKET"), "t": _need("RAGGED_T"), "build": _need("RAGGED_BUILD")}


@pytest.fixture
def client(env):
    from ragged_sandbox import Client

    return Client(env["socket"])


@pytest.fixture(scope="session")
def document(env):
    d = os.path.join(env["t"], "docs")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    p = os.path.join(d, "pyclient.txt")
    with open(p, "w") as f:
        f.write("a document\n")
    os.chmod(p, 0o644)
    return p


def _plugin(env, name, binary, toml_lines):
    d = os.path.join(env["t"], "plugins", name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    shutil.copy(os.path.join(env["build"], "plugins", binary), os.path.join(d, binary))
    with open(os.path.join(d, "plugin.toml"), "w") as f:
        f.write('[plugin]\nname = "%s"\nversion = "1.0.0"\ntype = "command"\nentry = ["./%s"]\n' % (name, binary))
        f.write("".join(l + "\n" for l in toml_lines))
    os.chmod(d, 0o755)
    return d


@pytest.fixture
def make_plugin(env, client):
    """make_plugin(name, *toml_lines, binary="probe"): installed (accepting
    the probe's deliberate escape-attempt code), nothing granted."""

    def make(name, *lines, binary="probe"):
        d = _plugin(env, name, binary, lines)
        client.install(d, replace=True, accept_risk=True)
        return d

    return make


@pytest.fixture
def out():
    """A file the plugin writes its stdout to; read back with out.text()."""
    f = tempfile.TemporaryFile(mode="w+")

    class Out:
        file = f

        @staticmethod
        def text():
            f.flush()
            f.seek(0)
            return f.read()

    yield Out
    f.close()


@pytest.fixture(scope="session", autouse=True)
def schema_checked_wire():
    """Every message the Python client sends and every reply it receives in
    these tests must match docs/protocol-schema.json."""
    import json

    jsonschema = pytest.importorskip("jsonschema", reason="python3-jsonschema is not installed (make deps)")
    from ragged_sandbox import wire

    with open(os.path.join(ROOT, "docs", "protocol-schema.json")) as f:
        schema = json.load(f)

    def validator(ref):
        s = dict(schema)
        s.pop("oneOf")
        s["$ref"] = "#/$defs/" + ref
        return jsonschema.Draft202012Validator(s)

    requests, replies = validator("request"), validator("reply")
    send, recv = wire.Connection.send, wire.Connection.recv

    def checked_send(self, msg, fds=()):
        m = dict(msg)
        m.setdefault("proto", wire.PROTOCOL_VERSION)
        requests.validate(m)
        return send(self, msg, fds)

    def checked_recv(self):
        m = recv(self)
        if m is not None:
            replies.validate(m)
        return m

    wire.Connection.send, wire.Connection.recv = checked_send, checked_recv
    yield
    wire.Connection.send, wire.Connection.recv = send, recv
