# expect: critical
import builtins
f = getattr(builtins, 'exec')
