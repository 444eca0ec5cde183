import ctypes.util as cu
