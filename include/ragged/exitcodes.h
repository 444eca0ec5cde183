/* SPDX-License-Identifier: MIT */
/*
 * The exit statuses of raggedctl and raggedd, and the "code" of the agent's
 * error replies: one table, owned here. raggedctl prints it (`raggedctl help
 * exit-codes`), the man page and docs/operations.md show it, and the Python
 * client mirrors it (ragged_sandbox/errors.py); tests/integration/t_cli.sh
 * compares all of them with this one.
 *
 * X(NAME, status, code, meaning): EXIT_NAME is the status, "code" the name
 * JSON errors carry ({"error": {"code": ..., "message": ..., "exit": N}}).
 * A `run` otherwise exits with the plugin's own status, 128+N when it was
 * killed by signal N.
 */
#ifndef RAGGED_EXITCODES_H
#define RAGGED_EXITCODES_H

#define RAGGED_EXIT_CODES(X)                                                               \
	X(OK, 0, "ok", "success")                                                          \
	X(FAILED, 1, "failed",                                                             \
	  "the agent refused or failed the request (unknown plugin, not allowed, "         \
	  "audit chain broken)")                                                           \
	X(BAD_INPUT, 2, "bad_input",                                                       \
	  "bad input: usage, unknown command or option, bad value, invalid manifest")      \
	X(FINDINGS, 3, "findings_block",                                                   \
	  "validation findings at or above the threshold block the plugin "                \
	  "(plugin validate, plugin install)")                                             \
	X(IO, 4, "io_error",                                                               \
	  "I/O error: a file could not be read or written, or the agent's connection "     \
	  "failed mid-request")                                                            \
	X(NO_AGENT, 5, "agent_not_running",                                                \
	  "the agent cannot be reached: its socket is missing or refuses connections")     \
	X(CONSENT, 77, "consent_refused",                                                  \
	  "run: consent was not given or a required permission is not granted")            \
	X(SANDBOX, 125, "sandbox_failed",                                                  \
	  "run: the sandbox could not be set up, or the agent was lost during the run")

enum ragged_exit {
#define RAGGED_EXIT_ENUM(name, status, code, meaning) EXIT_##name = status,
	RAGGED_EXIT_CODES(RAGGED_EXIT_ENUM)
#undef RAGGED_EXIT_ENUM
};

#endif
