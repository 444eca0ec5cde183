# expect: critical
getattr(__builtins__, 'ev' + 'al')('1')
