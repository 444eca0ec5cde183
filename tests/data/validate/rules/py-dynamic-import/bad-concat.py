# expect: critical
m = __import__('o' + 's')
