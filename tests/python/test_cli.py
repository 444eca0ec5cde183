"""The click group ragged mounts, through click's CliRunner: table and JSON."""

import json
import os

import pytest

click = pytest.importorskip("click", reason="python3-click is not installed (make deps)")
from click.testing import CliRunner  # noqa: E402

from ragged_sandbox.cli import main, register, safe  # noqa: E402

READ_DOCS = ['[permissions]', 'required = ["read:documents"]']


@pytest.fixture
def cli(env):
    os.environ["RAGGEDCTL"] = os.path.join(env["build"], "raggedctl")
    runner = CliRunner(mix_stderr=False)

    def invoke(*argv):
        return runner.invoke(main, ["--socket", env["socket"], *argv])

    return invoke


def test_plugin_permissions_table_and_json(cli, make_plugin):
    make_plugin("cli-perms", *READ_DOCS)
    r = cli("plugin", "permissions", "cli-perms")
    assert r.exit_code == 0, r.stderr
    head, row = r.stdout.splitlines()[:2]
    assert head.split()[:4] == ["PERMISSION", "KIND", "RISK", "STATUS"]
    assert row.split()[:3] == ["read:documents", "required", "medium"]
    r = cli("plugin", "permissions", "cli-perms", "--format", "json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data[0]["permission"] == "read:documents" and data[0]["status"] == "not granted"


def test_plugin_revoke(cli, client, make_plugin):
    make_plugin("cli-revoke", *READ_DOCS)
    client.grant("cli-revoke")
    r = cli("plugin", "revoke", "cli-revoke", "--permission", "read:documents")
    assert r.exit_code == 0 and "revoked read:documents" in r.stdout
    assert client.permissions("cli-revoke")[0]["status"] == "not granted"
    r = cli("plugin", "revoke", "cli-revoke", "--permission", "read:nothing", "--format", "json")
    err = json.loads(r.stderr)["error"]
    assert r.exit_code == 2 and err["exit"] == 2 and err["code"] == "bad_input"
    assert "unknown permission" in err["message"]
    r = cli("plugin", "revoke", "cli-revoke")
    assert r.exit_code == 2 and "--permission" in r.stderr  # click's usage error


def test_audit_show_table_and_json(cli, client, make_plugin, out):
    make_plugin("cli-audit")
    client.run("cli-audit", ["exit", "0"], stdout=out.file)
    r = cli("audit", "show", "--plugin", "cli-audit", "--since", "-7d")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[0].split()[:3] == ["TIME", "EVENT", "PLUGIN"]
    assert "plugin_executed" in r.stdout
    r = cli("audit", "show", "--plugin", "cli-audit", "--since", "-7d", "--format", "json")
    recs = [json.loads(l) for l in r.stdout.splitlines()]
    assert recs and all(x["plugin"] == "cli-audit" for x in recs)
    r = cli("audit", "show", "--since", "-7q")
    assert r.exit_code == 2 and "--since" in r.stderr


def test_security_report(cli, make_plugin):
    make_plugin("cli-report")
    r = cli("security", "report", "--plugins", "--format", "json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert isinstance(data, dict)
    r = cli("security", "report", "--plugins")
    assert r.exit_code == 0 and "cli-report" in r.stdout


def test_register_mounts_the_groups():
    @click.group()
    def ragged():
        pass

    register(ragged)
    assert set(ragged.commands) >= {"plugin", "audit", "security"}
    assert set(ragged.commands["plugin"].commands) >= {"permissions", "revoke"}


def test_safe_escapes_terminal_controls():
    assert safe("a\x1b[2J\rb\u202ec\x9b") == "a\\x1b[2J\\x0db\\u202ec\\x9b"
    assert safe("naïve ☃") == "naïve ☃"


def test_one_version_source():
    import ragged_sandbox
    from conftest import ROOT

    with open(os.path.join(ROOT, "VERSION")) as f:
        assert ragged_sandbox.__version__ == f.read().strip()
