"""The Python client against a live agent: runs, consent, limits, audit, revoke."""

import os

import pytest

from ragged_sandbox import (AgentError, ConsentRequired, LimitExceeded, PluginSandbox, PROTOCOL_VERSION)

READ_DOCS = ['[permissions]', 'required = ["read:documents"]']


def test_consent_callback_yes_runs_the_plugin(client, make_plugin, document, out):
    make_plugin("py-yes", *READ_DOCS)
    seen = []

    def yes(prompt):
        seen.append(prompt)
        return True

    res = client.run("py-yes", ["read", document], stdout=out.file, on_consent=yes)
    assert res.exit_status == 0
    assert "read %s -> ok" % document in out.text()
    assert res.run_id and res.enforcement in ("bpf-lsm", "landlock")
    assert len(seen) == 1 and seen[0].plugin == "py-yes" and seen[0].kind == "required"
    (perm,) = seen[0].permissions
    assert perm.name == "read:documents" and perm.risk == "medium" and perm.description


def test_consent_callback_no_raises_consent_required(client, make_plugin, document, out):
    make_plugin("py-no", *READ_DOCS)
    with pytest.raises(ConsentRequired) as e:
        client.run("py-no", ["read", document], stdout=out.file, on_consent=lambda p: False)
    assert e.value.code == 77
    assert out.text() == ""  # nothing ran


def test_no_callback_is_no_terminal(client, make_plugin, document, out):
    make_plugin("py-nocb", *READ_DOCS)
    with pytest.raises(ConsentRequired):
        client.run("py-nocb", ["read", document], stdout=out.file)


def test_plugin_exit_status_and_denied_read(client, make_plugin, env, out):
    make_plugin("py-exit")
    secret = os.path.join(env["t"], "secret.txt")
    res = client.run("py-exit", ["read", secret, "exit", "3"], stdout=out.file)
    assert res.exit_status == 3
    assert "read %s -> EACCES" % secret in out.text()


def test_limit_kill_raises_limit_exceeded(client, make_plugin, out):
    make_plugin("py-hog", "[limits]", "memory_mb = 64", binary="hog")
    with pytest.raises(LimitExceeded) as e:
        client.run("py-hog", ["mem", "1024"], stdout=out.file)
    assert e.value.limit == "memory" and e.value.unit == "bytes"
    assert e.value.bound == 64 << 20 and e.value.usage > 0
    assert e.value.exit_status == 137 and "memory limit of 64 MB" in str(e.value)


def test_audit_show_returns_the_runs_records(client, make_plugin, out):
    make_plugin("py-audit")
    res = client.run("py-audit", ["exit", "0"], stdout=out.file)
    recs = client.audit.show(plugin="py-audit", since="-1h")
    assert all(isinstance(r, dict) for r in recs)
    ex = [r for r in recs if r["event"] == "plugin_executed" and r.get("run_id") == res.run_id]
    assert len(ex) == 1 and ex[0]["result"] == "success"
    assert client.audit.show(plugin="py-audit", event="plugin_executed", since="-1h")
    assert not client.audit.show(plugin="py-audit", until="2000-01-01T00:00:00Z")


def test_audit_show_bad_time_is_a_precise_error(client):
    with pytest.raises(AgentError) as e:
        client.audit.show(since="-7x")
    assert "--since" in str(e.value)
    with pytest.raises(AgentError) as e:
        client.audit.show(since="yesterday")
    assert "since" in str(e.value)


def test_audit_follow_streams_new_records(client, make_plugin, out):
    make_plugin("py-follow")
    with client.audit.follow(plugin="py-follow", timeout=60) as f:
        res = client.run("py-follow", ["exit", "0"], stdout=out.file)
        got = next(r for r in f if r.get("event") == "plugin_executed")
    assert got["plugin"] == "py-follow" and got["run_id"] == res.run_id


def test_revoke_takes_effect(client, make_plugin, document, out):
    make_plugin("py-revoke", *READ_DOCS)
    client.grant("py-revoke")
    perms = {p["permission"]: p for p in client.permissions("py-revoke")}
    assert perms["read:documents"]["status"] == "granted"
    assert client.run("py-revoke", ["read", document], stdout=out.file).exit_status == 0
    client.revoke("py-revoke", "read:documents")
    perms = {p["permission"]: p for p in client.permissions("py-revoke")}
    assert perms["read:documents"]["status"] == "not granted"
    with pytest.raises(ConsentRequired):
        client.run("py-revoke", ["read", document], stdout=out.file)


def test_unknown_plugin_and_permission_errors(client, make_plugin):
    with pytest.raises(AgentError) as e:
        client.permissions("no-such-plugin")
    assert "no-such-plugin" in str(e.value)
    make_plugin("py-perm", *READ_DOCS)
    with pytest.raises(AgentError) as e:
        client.revoke("py-perm", "read:secrets")
    assert "unknown permission" in str(e.value)


def test_plugin_sandbox_execute(env, make_plugin, document, out):
    make_plugin("py-seed", *READ_DOCS)
    asked = []
    sb = PluginSandbox(env["socket"], on_consent=lambda p: asked.append(p) or True)
    res = sb.execute("py-seed", ["read:documents"], args=["read", document], stdout=out.file)
    assert res.exit_status == 0 and asked and asked[0].permissions[0].name == "read:documents"
    with pytest.raises(AgentError):
        sb.execute("py-seed", ["write:documents"])  # not declared
    sb.client.revoke("py-seed", "read:documents")
    with pytest.raises(ConsentRequired):  # no callback: nobody to ask
        PluginSandbox(env["socket"]).execute("py-seed", ["read:documents"], args=["read", document])


def test_list_and_status(client, make_plugin):
    make_plugin("py-list")
    names = [p.get("name") for p in client.list()]
    assert "py-list" in names
    st = client.status()
    assert st["enforcement"] in ("bpf-lsm", "landlock")
    assert PROTOCOL_VERSION == 1


def test_catalog_lists_every_permission_with_what_it_grants(client, env):
    rows = client.catalog()
    names = [r["permission"] for r in rows]
    assert names[:2] == ["read:documents", "write:documents"] and len(names) == 10
    docs = client.catalog("read:documents")
    assert docs["risk"] == "medium" and docs["description"]
    assert {"path": os.path.realpath(os.path.join(env["t"], "docs")), "access": "read"} in docs["files"]
    assert {"path": os.path.realpath(os.path.join(env["t"], "docs")), "access": "read-write"} in \
        client.catalog("write:documents")["files"]
    emb = client.catalog("system:embedding")
    assert any(n["port"] == 11434 and n["address"] == "127.0.0.1/32" for n in emb["network"])
    assert "manifest" in client.catalog("network:api")["note"]
    with pytest.raises(AgentError) as e:
        client.catalog("read:document")
    assert "did you mean read:documents?" in str(e.value)
