import zlib
x = zlib.decompress(b'x\x9c' b'0123456789abcdef0123456789abcdef' b'0123456789abcdef0123456789abcdef')
