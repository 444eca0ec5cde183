"""A minimal ragged plugin that misbehaves on purpose.

It asks for no permissions, then tries to read a private key and to talk to
a service on loopback. Under raggedd both fail (EACCES and EPERM), and both
attempts appear in the audit log.
"""
import socket
import sys


def try_read(path):
    try:
        with open(path, "rb") as f:
            f.read(1)
        return "ok"
    except OSError as e:
        return e.__class__.__name__ + " " + (e.strerror or "")


def try_connect(host, port):
    try:
        with socket.create_connection((host, port), timeout=2):
            return "ok"
    except OSError as e:
        return e.__class__.__name__ + " " + (e.strerror or "")


def main(argv):
    if len(argv) != 3:
        print("usage: main.py FILE HOST:PORT", file=sys.stderr)
        return 2
    host, port = argv[2].rsplit(":", 1)
    print(f"hello from the plugin: reading {argv[1]} -> {try_read(argv[1])}")
    print(f"hello from the plugin: connecting to {argv[2]} -> {try_connect(host, int(port))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
