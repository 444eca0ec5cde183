"""Exceptions of the client. Every one carries the agent's one-line message
and, as .code, its exit status in ragged's one table of exit codes."""

# The exit codes of ragged, mirrored from include/ragged/exitcodes.h (the one
# owner; `raggedctl help exit-codes` prints it). The test of the command line
# compares this dict with raggedctl's table.
EXIT_CODES = {
    "ok": 0,
    "failed": 1,
    "bad_input": 2,
    "findings_block": 3,
    "io_error": 4,
    "agent_not_running": 5,
    "consent_refused": 77,
    "sandbox_failed": 125,
}


def exit_code_name(code):
    """The table's name of an exit status, None if it has none."""
    for name, value in EXIT_CODES.items():
        if value == code:
            return name
    return None


class RaggedError(Exception):
    """Base class: anything the sandbox refused or could not do."""

    code = EXIT_CODES["failed"]


class AgentUnavailable(RaggedError):
    """The agent's socket cannot be reached (code agent_not_running), or the
    agent went away mid-request (code io_error)."""

    def __init__(self, message, code=EXIT_CODES["agent_not_running"]):
        super().__init__(message)
        self.code = code


class ProtocolError(RaggedError):
    """The agent sent something this client does not understand."""

    code = EXIT_CODES["io_error"]


class AgentError(RaggedError):
    """The agent refused a request (bad input, unknown plugin, not allowed)."""

    def __init__(self, message, code=EXIT_CODES["failed"]):
        super().__init__(message)
        self.code = code


class ConsentRequired(AgentError):
    """Exit status 77: a permission the run needs was not granted."""

    def __init__(self, message, permissions=()):
        super().__init__(message, EXIT_CODES["consent_refused"])
        self.permissions = list(permissions)


class SandboxError(AgentError):
    """Exit status 125: the sandbox could not be set up for the run."""

    def __init__(self, message):
        super().__init__(message, EXIT_CODES["sandbox_failed"])


class LimitExceeded(RaggedError):
    """The run was killed for a resource limit (exit status 137)."""

    def __init__(self, message, limit=None, usage=None, bound=None, unit=None):
        super().__init__(message)
        self.limit = limit
        self.usage = usage
        self.bound = bound
        self.unit = unit
        self.exit_status = 137
