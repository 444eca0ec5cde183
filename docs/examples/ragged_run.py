#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Install a plugin, run it in the sandbox as ragged does, show its audit trail.

    ragged_run.py PLUGIN_DIR [ARGS...]

Consent policy of this example: permissions of low or medium risk are
granted without asking; a high-risk one is asked on the terminal, and
refused when there is none.
"""
import sys

from ragged_sandbox import Client, ConsentRequired, LimitExceeded, RaggedError


def on_consent(prompt):
    high = [p for p in prompt.permissions if p.risk == "high"]
    if not high:
        return True
    if not sys.stdin.isatty():
        return False
    print("%s %s asks for:" % (prompt.plugin, prompt.version))
    for p in prompt.permissions:
        print("  %-20s %-7s %s" % (p.name, p.risk, p.description))
    return input("Allow? [y/N] ").strip().lower() in ("y", "yes")


def main(argv):
    client = Client()  # $RAGGED_SOCKET, else /run/ragged/agent.sock
    try:
        entry = client.install(argv[1], replace=True)
        name = entry["name"]
        result = client.run(name, argv[2:], on_consent=on_consent)
    except ConsentRequired as e:
        print("not run: %s" % e, file=sys.stderr)
        return 77
    except LimitExceeded as e:
        print("killed: %s (%s %s of %s)" % (e, e.usage, e.unit, e.bound), file=sys.stderr)
        return e.exit_status
    except RaggedError as e:
        print("sandbox: %s" % e, file=sys.stderr)
        return 125
    print("exit status %d (run %s, %s mode)" % (result.exit_status, result.run_id, result.enforcement))
    for rec in client.audit.show(plugin=name, since="-5m"):
        if rec.get("run_id") == result.run_id:
            print("audit: %-22s %s" % (rec["event"], rec["result"]))
    return result.exit_status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
