# expect: critical
__builtins__['ex' 'ec']('x = 1')
