# expect: high
import builtins
f = getattr(builtins, name)
