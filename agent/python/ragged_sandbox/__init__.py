"""Python client for raggedd, the ragged plugin sandbox agent.

    from ragged_sandbox import Client
    c = Client()
    result = c.run("my-plugin", ["--arg"], on_consent=lambda p: ask_user(p))
    for rec in c.audit.show(plugin="my-plugin", since="-7d"):
        ...

docs/calling-from-ragged.md is the guide; docs/protocol.md the wire format.
"""

from .audit import Audit
from .client import Client, ConsentPrompt, Finding, Permission, PluginSandbox, RunResult
from .errors import (AgentError, AgentUnavailable, ConsentRequired, LimitExceeded, ProtocolError,
                     RaggedError, SandboxError)
from .wire import PROTOCOL_VERSION

__version__ = "0.2.0"

__all__ = [
    "Audit", "Client", "ConsentPrompt", "Finding", "Permission", "PluginSandbox", "RunResult",
    "AgentError", "AgentUnavailable", "ConsentRequired", "LimitExceeded", "ProtocolError",
    "RaggedError", "SandboxError", "PROTOCOL_VERSION",
]
