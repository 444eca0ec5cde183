# expect: critical
m = __import__(chr(111) + chr(115))
