# expect: medium
import builtins
p = getattr(builtins, 'print')
