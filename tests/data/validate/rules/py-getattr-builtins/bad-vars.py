# expect: critical
import builtins
vars(builtins)['__import__']('os')
