"""A click command group that ragged mounts as it is:

    from ragged_sandbox.cli import register
    register(ragged_cli)          # adds "plugin", "audit", "security"

giving `ragged plugin permissions NAME`, `ragged plugin revoke NAME
--permission P`, `ragged audit show --plugin NAME --since -7d` and `ragged
security report --plugins`, each with `--format json|table`. Needs click
(python3-click); the rest of the package does not."""

import json
import sys
import unicodedata

import click

from .client import Client
from .errors import EXIT_CODES, RaggedError, exit_code_name

_FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                       show_default=True, help="json for machines, a table for people")


def safe(value):
    """A plugin-controlled string made harmless for a terminal: control and
    format characters (escapes, CR, bidi overrides) shown as \\xNN / \\uNNNN."""
    s = "" if value is None else str(value)
    out = []
    for ch in s:
        cat = unicodedata.category(ch)
        if ch == "\\":
            out.append("\\\\")
        elif cat in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            o = ord(ch)
            out.append("\\x%02x" % o if o < 0x100 else "\\u%04x" % o if o < 0x10000 else "\\U%08x" % o)
        else:
            out.append(ch)
    return "".join(out)


def _table(rows, columns):
    """rows: dicts; columns: (key, title) pairs. Every cell goes through safe()."""
    cells = [[safe(_cell(r.get(k))) for k, _ in columns] for r in rows]
    widths = [max([len(t)] + [len(c[i]) for c in cells]) for i, (_, t) in enumerate(columns)]
    lines = ["  ".join(t.ljust(widths[i]) for i, (_, t) in enumerate(columns)).rstrip()]
    for c in cells:
        lines.append("  ".join(v.ljust(widths[i]) for i, v in enumerate(c)).rstrip())
    return "\n".join(lines)


def _cell(v):
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, list):
        return ",".join(_cell(x) for x in v)
    if isinstance(v, dict):
        return json.dumps(v, separators=(",", ":"), ensure_ascii=True)
    return "" if v is None else str(v)


def _emit(ctx, fmt, data, columns, empty="nothing to show"):
    if fmt == "json":
        click.echo(json.dumps(data, separators=(",", ":")))
    elif not data:
        click.echo(empty)
    else:
        click.echo(_table(data, columns))


def _client(ctx):
    obj = ctx.find_object(dict) or {}
    return obj.get("ragged_client") or Client(obj.get("socket"))


def _fail(fmt, err):
    """One clear line on stderr, or with --format json one object
    {"error": {"code", "message", "exit"}} as raggedctl's; the exit status
    is the error's code in ragged's table of exit codes (errors.EXIT_CODES)."""
    code = getattr(err, "code", EXIT_CODES["failed"])
    if not isinstance(code, int) or not 0 < code < 256:
        code = EXIT_CODES["failed"]
    if fmt == "json":
        click.echo(json.dumps({"error": {"code": exit_code_name(code) or "failed", "message": str(err),
                                         "exit": code}}), err=True)
    else:
        click.echo("ragged: %s" % safe(err), err=True)
    sys.exit(code)


@click.group("plugin", help="Plugins in the sandbox: permissions and consent.")
def plugin_group():
    pass


@plugin_group.command("permissions", help="Declared permissions, granted or not, since when.")
@click.argument("name")
@_FORMAT
@click.pass_context
def plugin_permissions(ctx, name, fmt):
    try:
        rows = _client(ctx).permissions(name)
    except RaggedError as e:
        _fail(fmt, e)
    _emit(ctx, fmt, rows, [("permission", "PERMISSION"), ("kind", "KIND"), ("risk", "RISK"),
                           ("status", "STATUS"), ("since", "SINCE"), ("description", "DESCRIPTION")],
          "plugin declares no permissions")


@plugin_group.command("revoke", help="Revoke a permission; takes effect immediately.")
@click.argument("name")
@click.option("--permission", "perms", multiple=True, required=True, help="a permission, e.g. network:api")
@_FORMAT
@click.pass_context
def plugin_revoke(ctx, name, perms, fmt):
    try:
        _client(ctx).revoke(name, list(perms))
    except RaggedError as e:
        _fail(fmt, e)
    if fmt == "json":
        click.echo(json.dumps({"plugin": name, "revoked": list(perms)}))
    else:
        click.echo("revoked %s from %s" % (", ".join(safe(p) for p in perms), safe(name)))


@click.group("audit", help="The sandbox's audit log.")
def audit_group():
    pass


@audit_group.command("show", help="Audit records, oldest first, filtered.")
@click.option("--plugin", default=None)
@click.option("--since", default=None, help="-7d, -12h, -30m, -45s or RFC 3339")
@click.option("--until", default=None, help="-7d, -12h, -30m, -45s or RFC 3339")
@click.option("--event", default=None)
@click.option("--result", default=None)
@_FORMAT
@click.pass_context
def audit_show(ctx, plugin, since, until, event, result, fmt):
    try:
        recs = _client(ctx).audit.show(plugin=plugin, since=since, until=until, event=event, result=result)
    except RaggedError as e:
        _fail(fmt, e)
    if fmt == "json":
        for r in recs:  # JSON lines, as the log itself
            click.echo(json.dumps(r, separators=(",", ":")))
        return
    _emit(ctx, fmt, recs, [("timestamp", "TIME"), ("event", "EVENT"), ("plugin", "PLUGIN"),
                           ("user_id", "USER"), ("result", "RESULT"), ("details", "DETAILS")],
          "no matching records")


@click.group("security", help="Security posture of the sandbox and its plugins.")
def security_group():
    pass


@security_group.command("report", help="Enforcement, and each plugin's exposure and findings.")
@click.option("--plugins", is_flag=True, help="include every plugin")
@_FORMAT
@click.pass_context
def security_report(ctx, plugins, fmt):
    try:
        data = _client(ctx).security_report(plugins=plugins)
    except RaggedError as e:
        _fail(fmt, e)
    if fmt == "json":
        click.echo(json.dumps(data, separators=(",", ":")))
        return
    rows = data.get("plugins", []) if isinstance(data, dict) else []
    for k, v in (data.items() if isinstance(data, dict) else []):
        if k != "plugins" and not isinstance(v, (list, dict)):
            click.echo("%s: %s" % (safe(k), safe(_cell(v))))
    if plugins:
        click.echo(_table(rows, [("name", "PLUGIN"), ("version", "VERSION"), ("exposure", "EXPOSURE"),
                                 ("rating", "RATING"), ("granted", "GRANTED")]) if rows else "no plugins")


def register(cli):
    """Mount the groups on ragged's own click group."""
    for g in (plugin_group, audit_group, security_group):
        cli.add_command(g)


@click.group(help="ragged's sandbox commands (standalone).")
@click.option("--socket", default=None, help="the agent's socket (default $RAGGED_SOCKET or /run/ragged/agent.sock)")
@click.pass_context
def main(ctx, socket):
    ctx.ensure_object(dict)["socket"] = socket


register(main)

if __name__ == "__main__":
    main()
