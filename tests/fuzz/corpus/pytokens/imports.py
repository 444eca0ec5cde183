import os as o, sys
from . import util
from x.y import (a as b,
  c)
with open(p, "w") as fh, tempfile.TemporaryDirectory() as t:
    pass
del b
