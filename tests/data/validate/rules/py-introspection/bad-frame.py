import sys
g = sys._getframe(1).f_globals
