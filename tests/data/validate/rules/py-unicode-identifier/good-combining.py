# "e" and a combining acute accent: NFKC gives U+00E9, not ASCII
été = 1
print(été)
