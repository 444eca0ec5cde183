# coding: latin-1
# Byte 0xBA is U+00BA, which NFKC folds to "o": __import__.
__impºrt__('os').getpid()
