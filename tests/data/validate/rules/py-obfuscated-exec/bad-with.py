import gzip
with gzip.open('x') as fh:
    pass
import lzma
data = lzma.decompress(RAW)
exec(data)
