"""Retrieve the passages closest to a question from a local ChromaDB.

Usage: main.py [--k N] [--collection NAME] QUESTION

The question is embedded with the local Ollama service (system:embedding),
then the vector store (system:vectorstore, ChromaDB on 127.0.0.1:8001) is
asked for the N nearest passages, printed as JSON lines.
"""
import argparse
import json
import os
import sys
import urllib.error
import urllib.request

OLLAMA_URL = os.environ.get("OLLAMA_URL", "http://127.0.0.1:11434")
CHROMA_URL = os.environ.get("CHROMA_URL", "http://127.0.0.1:8001")
MODEL = os.environ.get("EMBED_MODEL", "nomic-embed-text")


def post(url, payload, timeout=30):
    req = urllib.request.Request(
        url,
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.load(resp)


def get(url, timeout=30):
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.load(resp)


def main(argv):
    ap = argparse.ArgumentParser(prog="chroma-retriever")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--collection", default="ragged")
    ap.add_argument("question")
    args = ap.parse_args(argv[1:])

    try:
        vector = post(OLLAMA_URL + "/api/embeddings", {"model": MODEL, "prompt": args.question})["embedding"]
        collection = get(f"{CHROMA_URL}/api/v1/collections/{args.collection}")
        result = post(
            f"{CHROMA_URL}/api/v1/collections/{collection['id']}/query",
            {"query_embeddings": [vector], "n_results": args.k,
             "include": ["documents", "metadatas", "distances"]},
        )
    except urllib.error.HTTPError as e:
        print(f"service error {e.code}: {e.reason}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as e:
        # A refused connection here usually means the permission was revoked
        # or the service is down: report it, do not retry elsewhere.
        print(f"cannot reach the embedding service or the vector store: {e}", file=sys.stderr)
        return 1

    docs = result.get("documents", [[]])[0]
    metas = result.get("metadatas", [[]])[0]
    dists = result.get("distances", [[]])[0]
    for doc, meta, dist in zip(docs, metas, dists):
        print(json.dumps({"text": doc, "metadata": meta, "distance": dist}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
