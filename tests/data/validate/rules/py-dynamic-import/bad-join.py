# expect: critical
m = __import__(''.join(['o', 's']))
