import marshal
code = marshal.load(fh)
