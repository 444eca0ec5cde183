import zlib, base64 as b
eval(zlib.decompress(b.b64decode(PAYLOAD)))
