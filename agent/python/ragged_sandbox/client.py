"""The client: what raggedctl does, as Python calls. Standard library only."""

import difflib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Callable, List, Optional

from .audit import Audit
from .errors import EXIT_CODES, AgentError, AgentUnavailable, ConsentRequired, LimitExceeded, ProtocolError, SandboxError
from .wire import Connection, default_socket_path, raise_for_error, request, request_reply

EXIT_CONSENT = 77
EXIT_SANDBOX = 125


@dataclass
class Permission:
    """One permission as the agent describes it in a consent prompt."""

    name: str
    risk: str
    description: str


@dataclass
class ConsentPrompt:
    """What the agent asks before (kind "required") or during (kind
    "optional") a run. The callback answers True (grant) or False."""

    plugin: str
    version: str
    kind: str
    permissions: List[Permission] = field(default_factory=list)


@dataclass
class RunResult:
    """How a run ended: the plugin's exit status (128+N for signal N)."""

    exit_status: int
    run_id: Optional[str] = None
    enforcement: Optional[str] = None


@dataclass
class Finding:
    """One validation finding (docs/validation-rules.md)."""

    rule: str
    severity: str
    message: str
    file: Optional[str] = None
    line: Optional[int] = None
    raw: dict = field(default_factory=dict)


def _fd_of(obj, default):
    if obj is None:
        return default
    if isinstance(obj, int):
        if obj < 0:
            raise ValueError("stdio: pass a file object or a descriptor (subprocess.PIPE/DEVNULL are not supported)")
        return obj
    try:
        return obj.fileno()
    except (AttributeError, OSError):
        raise ValueError("stdio: %r has no file descriptor" % (obj,)) from None


def _raggedctl():
    path = os.environ.get("RAGGEDCTL") or shutil.which("raggedctl")
    if not path:
        raise AgentUnavailable("raggedctl not found (set RAGGEDCTL or put it on PATH)")
    return path


class Client:
    """A client of one agent socket (default: $RAGGED_SOCKET or /run/ragged/agent.sock)."""

    def __init__(self, socket_path=None, timeout=None):
        self.socket_path = socket_path or default_socket_path()
        self.timeout = timeout
        self.audit = Audit(self.socket_path)

    def _request(self, msg):
        return request(msg, self.socket_path, self.timeout)

    # -- running plugins ---------------------------------------------------

    def run(self, plugin, args=(), *, stdin=None, stdout=None, stderr=None, yes=False,
            on_consent: Optional[Callable[[ConsentPrompt], bool]] = None) -> RunResult:
        """Run PLUGIN in the sandbox with this process's stdio (or the files
        given) as its own; returns when it has ended. Raises ConsentRequired
        (77), SandboxError (125), LimitExceeded (a limit kill)."""
        fds = [_fd_of(stdin, 0), _fd_of(stdout, 1), _fd_of(stderr, 2)]
        req = {"cmd": "run", "plugin": plugin, "yes": bool(yes),
               # "tty": someone can answer a prompt. Here: the callback.
               "tty": on_consent is not None, "args": [str(a) for a in args]}
        result = RunResult(exit_status=EXIT_SANDBOX)
        with Connection(self.socket_path) as c:
            c.send(req, fds)
            while True:
                msg = c.recv()
                if msg is None:
                    raise SandboxError("lost the agent during the run")
                kind = msg.get("type")
                if kind == "started":
                    result.run_id = msg.get("run_id")
                    result.enforcement = msg.get("enforcement")
                elif kind == "prompt":
                    prompt = ConsentPrompt(
                        plugin=msg.get("plugin", ""), version=msg.get("version", ""),
                        kind=msg.get("kind", "required"),
                        permissions=[Permission(p.get("name", ""), p.get("risk", ""), p.get("description", ""))
                                     for p in msg.get("permissions", []) if isinstance(p, dict)])
                    try:
                        yes_now = bool(on_consent(prompt)) if on_consent else False
                    except BaseException:
                        c.send({"cmd": "answer", "yes": False})
                        raise
                    c.send({"cmd": "answer", "yes": yes_now})
                elif kind == "exit":
                    return self._exit(msg, result)
                elif kind == "error":
                    raise_for_error(msg)
                # unknown kinds are ignored (newer agents may add some)

    @staticmethod
    def _exit(msg, result):
        sig, status = msg.get("signal"), msg.get("status")
        if isinstance(sig, int) and 0 < sig < 128:
            result.exit_status = 128 + sig
        elif isinstance(status, int) and 0 <= status < 256:
            result.exit_status = status
        if msg.get("reason"):
            raise LimitExceeded(msg["reason"], msg.get("limit"), msg.get("usage"),
                                msg.get("bound"), msg.get("unit"))
        return result

    # -- plugins and consent -----------------------------------------------

    def install(self, directory, replace=False, accept_risk=False):
        """Validate and register the plugin in DIRECTORY; its registry entry."""
        return self._request({"cmd": "plugin_install", "dir": os.path.abspath(directory),
                              "replace": bool(replace), "accept_risk": bool(accept_risk)})

    def list(self):
        """Every plugin the caller may see (root: every user's), page by page."""
        plugins, after = [], ""
        while True:
            reply = request_reply({"cmd": "plugin_list", "after": after}, self.socket_path,
                                  self.timeout)
            page = reply.get("data") or []
            if not isinstance(page, list):
                raise ProtocolError("plugin list: a page is not a list")
            plugins.extend(page)
            nxt = reply.get("next")
            if not nxt:
                return plugins
            # Each page must start past the last: never loop on the agent's say-so.
            if not isinstance(nxt, str) or nxt == after:
                raise ProtocolError("plugin list: the next page does not follow the last")
            after = nxt

    def permissions(self, plugin):
        """Each declared permission: kind, risk, granted or not, since when."""
        return self._request({"cmd": "permissions", "plugin": plugin}) or []

    def grant(self, plugin, permissions=()):
        """Grant PERMISSIONS (none: the manifest's required ones)."""
        self._request({"cmd": "grant", "plugin": plugin, "permissions": list(permissions)})

    def revoke(self, plugin, permissions):
        if isinstance(permissions, str):
            permissions = [permissions]
        if not permissions:
            raise AgentError("revoke needs a permission", EXIT_CODES["bad_input"])
        self._request({"cmd": "revoke", "plugin": plugin, "permissions": list(permissions)})

    def catalog(self, permission=None):
        """Every permission (or one): risk, description, and what it grants
        the caller on this machine (files, network). An unknown name raises
        AgentError with "did you mean"."""
        rows = self._request({"cmd": "catalog"}) or []
        if permission is None:
            return rows
        for r in rows:
            if r.get("permission") == permission:
                return r
        names = [r.get("permission", "") for r in rows]
        close = difflib.get_close_matches(permission, names, n=1, cutoff=0.6)
        if not close:
            close = [n for n in names if permission in n.split(":")]
        raise AgentError("unknown permission \"%s\"%s" % (permission, " (did you mean %s?)" % close[0] if close else ""), EXIT_CODES["bad_input"])

    def status(self):
        return self._request({"cmd": "status"})

    # -- through raggedctl: the validator and the report live in the C client

    def _ctl_json(self, *argv):
        env = dict(os.environ, RAGGED_SOCKET=self.socket_path)
        p = subprocess.run([_raggedctl(), "--format", "json", *argv], env=env,
                           capture_output=True, text=True, check=False)
        out = p.stdout.strip()
        try:
            data = json.loads(out) if out else None
        except ValueError:
            raise ProtocolError("raggedctl %s: output is not JSON" % " ".join(argv)) from None
        if data is None:
            err = p.stderr.strip().splitlines()
            try:  # --format json: the error is {"error": {"code", "message", "exit"}}
                msg = json.loads(err[-1])["error"]["message"]
            except (IndexError, ValueError, KeyError, TypeError):
                msg = err[-1] if err else "raggedctl %s failed" % " ".join(argv)
            raise AgentError(msg, p.returncode or EXIT_CODES["failed"])
        return data, p.returncode

    def validate(self, directory):
        """Findings of the validator for the plugin in DIRECTORY (no install)."""
        data, _ = self._ctl_json("plugin", "validate", os.path.abspath(directory))
        items = data.get("findings", []) if isinstance(data, dict) else data
        return [Finding(rule=f.get("rule", ""), severity=f.get("severity", ""),
                        message=f.get("message", ""), file=f.get("file"), line=f.get("line"), raw=f)
                for f in items if isinstance(f, dict)]

    def security_report(self, plugins=True):
        argv = ["security", "report"] + (["--plugins"] if plugins else [])
        data, _ = self._ctl_json(*argv)
        return data


class PluginSandbox:
    """The original API shape: PluginSandbox().execute(plugin, permissions).

    PERMISSIONS are the permissions the caller expects the run to hold; any
    not granted yet is asked through ON_CONSENT (or ConsentRequired is raised)
    before the plugin starts. The plugin can still ask for optional ones while
    it runs: those go to ON_CONSENT too."""

    def __init__(self, socket_path=None, on_consent=None):
        self.client = Client(socket_path)
        self.on_consent = on_consent

    def execute(self, plugin, permissions=(), args=(), **stdio) -> RunResult:
        if isinstance(permissions, str):
            permissions = [permissions]
        state = {p.get("permission"): p for p in self.client.permissions(plugin)}
        unknown = [p for p in permissions if p not in state]
        if unknown:
            raise AgentError("plugin %s does not declare %s" % (plugin, ", ".join(unknown)), EXIT_CODES["bad_input"])
        missing = [p for p in permissions if state[p].get("status") != "granted"]
        if missing:
            prompt = ConsentPrompt(plugin=plugin, version="", kind="required",
                                   permissions=[Permission(p, state[p].get("risk", ""),
                                                           state[p].get("description", "")) for p in missing])
            if not self.on_consent or not self.on_consent(prompt):
                raise ConsentRequired("consent not given for %s" % ", ".join(missing), missing)
            self.client.grant(plugin, missing)
        return self.client.run(plugin, args, on_consent=self.on_consent, **stdio)
