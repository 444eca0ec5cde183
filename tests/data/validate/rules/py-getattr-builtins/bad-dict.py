# expect: critical
__builtins__.__dict__['exec']('x = 1')
