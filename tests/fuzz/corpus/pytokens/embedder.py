"""Embed documents with a local Ollama service.

Usage: main.py FILE...   (paths under your document folders)

Each file is split into overlapping chunks; each chunk is sent to Ollama's
embeddings endpoint and printed as one JSON line:
{"file": ..., "chunk": n, "text": ..., "embedding": [...]}.

Permissions: read:documents (the files) and system:embedding (Ollama on
127.0.0.1:11434). Nothing else: no other network, no writes.
"""
import json
import os
import sys
import urllib.error
import urllib.request

OLLAMA_URL = os.environ.get("OLLAMA_URL", "http://127.0.0.1:11434")
MODEL = os.environ.get("EMBED_MODEL", "nomic-embed-text")
CHUNK = 800
OVERLAP = 100


def chunks(text, size=CHUNK, overlap=OVERLAP):
    step = max(1, size - overlap)
    for start in range(0, max(len(text), 1), step):
        piece = text[start:start + size].strip()
        if piece:
            yield piece


def embed(text):
    body = json.dumps({"model": MODEL, "prompt": text}).encode("utf-8")
    req = urllib.request.Request(
        OLLAMA_URL + "/api/embeddings",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.load(resp)["embedding"]


def main(argv):
    if len(argv) < 2:
        print("usage: main.py FILE...", file=sys.stderr)
        return 2
    status = 0
    for path in argv[1:]:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except PermissionError:
            # The sandbox denied the read: the file is outside the document
            # folders this plugin was granted. Say so and go on.
            print(f"{path}: not readable under read:documents, skipped", file=sys.stderr)
            status = 1
            continue
        except OSError as e:
            print(f"{path}: {e.strerror}", file=sys.stderr)
            status = 1
            continue
        for n, piece in enumerate(chunks(text)):
            try:
                vector = embed(piece)
            except (urllib.error.URLError, OSError) as e:
                print(f"embedding service unavailable: {e}", file=sys.stderr)
                return 1
            print(json.dumps({"file": path, "chunk": n, "text": piece, "embedding": vector}))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
