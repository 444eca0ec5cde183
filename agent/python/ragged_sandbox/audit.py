"""Audit queries: show (a list of records) and follow (a live iterator).

Times: "-7d", "-12h", "-30m", "-45s" (relative to now, converted here, as
raggedctl does: the wire carries absolute times only), an RFC 3339 string,
or a datetime (naive means UTC)."""

import datetime
import re

from .errors import EXIT_CODES, AgentError, ProtocolError
from .wire import Connection, raise_for_error

_RELATIVE = re.compile(r"^-([0-9]{1,9})([dhms])$")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def _format_utc(dt):
    dt = dt.astimezone(datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def wire_time(value, option, now=None):
    """The absolute time the agent expects for --since/--until."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return _format_utc(value)
    if not isinstance(value, str) or not value:
        raise AgentError("%s: expected -Nd, -Nh, -Nm, -Ns, RFC 3339 or a datetime" % option, EXIT_CODES["bad_input"])
    m = _RELATIVE.match(value)
    if m:
        now = now or datetime.datetime.now(datetime.timezone.utc)
        return _format_utc(now - datetime.timedelta(seconds=int(m.group(1)) * _UNIT_SECONDS[m.group(2)]))
    if value.startswith("-"):
        raise AgentError("%s: bad relative time %r (use -Nd, -Nh, -Nm or -Ns)" % (option, value), EXIT_CODES["bad_input"])
    return value  # RFC 3339: the agent validates it and names the option on error


def build_query(plugin=None, since=None, until=None, event=None, result=None):
    q = {}
    for key, val in (("plugin", plugin), ("event", event), ("result", result)):
        if val is not None:
            q[key] = val
    if since is not None:
        q["since"] = wire_time(since, "--since")
    if until is not None:
        q["until"] = wire_time(until, "--until")
    return q


class Audit:
    """client.audit: show and follow, restricted by the agent to the caller's
    own records unless the caller is root."""

    def __init__(self, socket_path=None):
        self.socket_path = socket_path

    def _stream(self, cmd, query, timeout=None):
        c = Connection(self.socket_path, timeout)
        try:
            c.send({"cmd": cmd, "query": query})
            while True:
                msg = c.recv()
                if msg is None:
                    return
                kind = msg.get("type")
                if kind == "record":
                    rec = msg.get("record")
                    if not isinstance(rec, dict):
                        raise ProtocolError("record message without a record")
                    yield rec
                elif kind == "error":
                    raise_for_error(msg)
                elif kind == "end":
                    return
                elif kind == "ok":
                    continue  # follow: the subscription is in place
                # other kinds are ignored, as raggedctl does
        finally:
            c.close()

    def show(self, plugin=None, since=None, until=None, event=None, result=None):
        """Matching records, oldest first, as dicts."""
        return list(self._stream("audit_show", build_query(plugin, since, until, event, result)))

    def follow(self, plugin=None, since=None, until=None, event=None, result=None, timeout=None):
        """A Follow: records as they are written, from the moment this call
        returns (the subscription is in place by then). Iterating it ends
        when the agent goes away (stopped, or this reader fell too far
        behind); TIMEOUT (seconds) bounds each wait for a record."""
        return Follow(self.socket_path, build_query(plugin, since, until, event, result), timeout)

    def verify(self):
        from .wire import request

        return request({"cmd": "audit_verify"}, self.socket_path)


class Follow:
    """An open `audit follow` stream; use as an iterator, close() when done."""

    def __init__(self, socket_path, query, timeout=None):
        self._c = Connection(socket_path, timeout)
        try:
            self._c.send({"cmd": "audit_follow", "query": query})
            msg = self._c.recv()
            if msg is None:
                raise ProtocolError("the agent closed the stream before it started")
            if msg.get("type") == "error":
                raise_for_error(msg)
            if msg.get("type") != "ok":
                raise ProtocolError("unexpected reply to audit_follow: %r" % (msg.get("type"),))
        except BaseException:
            self._c.close()
            raise

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            msg = self._c.recv()
            if msg is None:
                self.close()
                raise StopIteration
            kind = msg.get("type")
            if kind == "record" and isinstance(msg.get("record"), dict):
                return msg["record"]
            if kind == "error":
                self.close()
                raise_for_error(msg)

    def close(self):
        self._c.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
