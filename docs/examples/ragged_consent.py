"""Ask raggedd for an optional permission from inside a running plugin.

    from ragged_consent import request_permission
    if request_permission("network:api", "fetch the model list"):
        ...  # use the network
    else:
        ...  # degrade gracefully

The agent gives every run a consent channel on the file descriptor named by
$RAGGED_CONSENT_FD (a SOCK_SEQPACKET socket, one JSON object per message).
Outside raggedd (no such variable) every request is refused.
"""
import json
import os
import socket


def request_permission(permission, reason=""):
    """Return (granted, answer_dict). Blocks until the user has answered."""
    fd = os.environ.get("RAGGED_CONSENT_FD")
    if fd is None:
        return False, {"granted": False, "reason": "not running under raggedd"}
    sock = socket.socket(fileno=int(fd))
    try:
        sock.send(json.dumps({"request": permission, "reason": reason}).encode())
        answer = json.loads(sock.recv(65536).decode())
    finally:
        sock.detach()  # the descriptor belongs to the process, keep it open
    return bool(answer.get("granted")), answer
