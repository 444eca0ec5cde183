"""Download a file into the plugin's cache folder and verify it.

Usage: main.py URL SHA256

network:download allows HTTPS/HTTP to any host and writes to this plugin's
cache folder (~/.ragged/cache/model-downloader); nothing else is writable
except $TMPDIR. The download goes to a temporary name first and is renamed
only once its SHA-256 matches, so a cut connection never leaves a bad file.
"""
import hashlib
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

CACHE = os.path.join(os.path.expanduser("~"), ".ragged", "cache", "model-downloader")
BLOCK = 1 << 16


def download(url, expected):
    name = os.path.basename(urllib.parse.urlparse(url).path) or "download"
    os.makedirs(CACHE, exist_ok=True)
    final = os.path.join(CACHE, name)
    partial = final + ".part"
    digest = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=60) as resp, open(partial, "wb") as out:
        while True:
            block = resp.read(BLOCK)
            if not block:
                break
            digest.update(block)
            out.write(block)
    if digest.hexdigest() != expected.lower():
        os.unlink(partial)
        raise ValueError(f"SHA-256 mismatch for {url}: got {digest.hexdigest()}")
    os.replace(partial, final)
    return final


def main(argv):
    if len(argv) != 3:
        print("usage: main.py URL SHA256", file=sys.stderr)
        return 2
    url, expected = argv[1], argv[2]
    if urllib.parse.urlparse(url).scheme not in ("https", "http"):
        print("only http(s) URLs can be downloaded", file=sys.stderr)
        return 2
    try:
        print(download(url, expected))
    except PermissionError as e:
        print(f"the sandbox denied a write ({e.filename}): is network:download granted?",
              file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError, ValueError) as e:
        print(f"download failed: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
