from re import compile
del compile
compile('1', 'f', 'eval')
