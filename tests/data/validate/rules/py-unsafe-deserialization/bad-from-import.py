from pickle import loads
obj = loads(blob)
