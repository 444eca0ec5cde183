"""Exceptions of the client. Every one carries the agent's one-line message."""


class RaggedError(Exception):
    """Base class: anything the sandbox refused or could not do."""


class AgentUnavailable(RaggedError):
    """The agent's socket cannot be reached, or the agent went away mid-request."""


class ProtocolError(RaggedError):
    """The agent sent something this client does not understand."""


class AgentError(RaggedError):
    """The agent refused a request (bad input, unknown plugin, not allowed)."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


class ConsentRequired(AgentError):
    """Exit status 77: a permission the run needs was not granted."""

    def __init__(self, message, permissions=()):
        super().__init__(message, 77)
        self.permissions = list(permissions)


class SandboxError(AgentError):
    """Exit status 125: the sandbox could not be set up for the run."""

    def __init__(self, message):
        super().__init__(message, 125)


class LimitExceeded(RaggedError):
    """The run was killed for a resource limit (exit status 137)."""

    def __init__(self, message, limit=None, usage=None, bound=None, unit=None):
        super().__init__(message)
        self.limit = limit
        self.usage = usage
        self.bound = bound
        self.unit = unit
        self.exit_status = 137
