"""The agent's socket: one JSON object per SOCK_SEQPACKET message, the
caller's stdio as SCM_RIGHTS. docs/protocol.md describes every message."""

import array
import errno
import json
import os
import socket

from .errors import EXIT_CODES, AgentError, AgentUnavailable, ConsentRequired, ProtocolError, SandboxError

PROTOCOL_VERSION = 1
MAX_MESSAGE = 64 * 1024  # a request
MAX_REPLY = 256 * 1024  # a reply (root's plugin list outgrows a request's size)
MAX_FDS = 3
DEFAULT_SOCKET = "/run/ragged/agent.sock"


def default_socket_path():
    """$RAGGED_SOCKET, else the agent's default path."""
    return os.environ.get("RAGGED_SOCKET") or DEFAULT_SOCKET


class Connection:
    """One connection to the agent. Requests carry the protocol version."""

    def __init__(self, path=None, timeout=None):
        self.path = path or default_socket_path()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(self.path)
        except OSError as e:
            self.sock.close()
            absent = e.errno in (errno.ENOENT, errno.ECONNREFUSED)
            raise AgentUnavailable(
                "cannot reach raggedd at %s: %s%s" % (self.path, e.strerror or e,
                                                      " (is the agent running?)" if absent else ""),
                EXIT_CODES["agent_not_running"] if absent else EXIT_CODES["io_error"],
            ) from None

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, msg, fds=()):
        msg = dict(msg)
        msg.setdefault("proto", PROTOCOL_VERSION)
        # surrogateescape: a path that came from the system as non-UTF-8 bytes
        # (decoded below, as os.fsdecode does) goes back as the same bytes.
        data = json.dumps(msg, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogateescape")
        if len(data) > MAX_MESSAGE:
            raise AgentError("request too large (%d bytes, at most %d)" % (len(data), MAX_MESSAGE), EXIT_CODES["bad_input"])
        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
        try:
            self.sock.sendmsg([data], anc)
        except OSError as e:
            raise AgentUnavailable("send to agent: %s" % (e.strerror or e), EXIT_CODES["io_error"]) from None

    def recv(self):
        """The next message as a dict; None when the agent closed the connection."""
        try:
            data, fds, flags, _ = socket.recv_fds(self.sock, MAX_REPLY + 1, MAX_FDS)
        except socket.timeout:
            raise
        except OSError as e:
            if e.errno in (errno.ECONNRESET, errno.EPIPE):
                return None
            raise AgentUnavailable("receive from agent: %s" % (e.strerror or e), EXIT_CODES["io_error"]) from None
        for fd in fds:  # the agent never sends descriptors to clients
            os.close(fd)
        if not data:
            return None
        if len(data) > MAX_REPLY or flags & socket.MSG_TRUNC:
            raise ProtocolError("message from agent larger than %d bytes" % MAX_REPLY)
        try:
            # Strings are UTF-8; bytes the agent passes on from the system
            # (paths, plugin directories) that are not arrive as surrogates.
            msg = json.loads(data.decode("utf-8", "surrogateescape"))
        except ValueError as e:
            raise ProtocolError("message from agent is not JSON: %s" % e) from None
        if not isinstance(msg, dict):
            raise ProtocolError("message from agent is not a JSON object")
        return msg


def raise_for_error(msg):
    """Turn an agent "error" message into the matching exception."""
    code = msg.get("code", EXIT_CODES["failed"])
    text = msg.get("message") or "agent error"
    if code == EXIT_CODES["consent_refused"]:
        raise ConsentRequired(text)
    if code == EXIT_CODES["sandbox_failed"]:
        raise SandboxError(text)
    raise AgentError(text, code if isinstance(code, int) and 0 < code < 256 else EXIT_CODES["failed"])


def request(msg, path=None, timeout=None):
    """One request, one reply: the reply's "data" (None when it has none)."""
    return request_reply(msg, path, timeout).get("data")


def request_reply(msg, path=None, timeout=None):
    """One request, one reply: the whole "ok" reply (errors raise)."""
    with Connection(path, timeout) as c:
        c.send(msg)
        reply = c.recv()
    if reply is None:
        raise AgentUnavailable("no reply from agent")
    kind = reply.get("type")
    if kind == "ok":
        return reply
    if kind == "error":
        raise_for_error(reply)
    raise ProtocolError("unexpected reply type %r" % (kind,))
