# expect: critical
globals()['__builtins__']['eval']('1')
