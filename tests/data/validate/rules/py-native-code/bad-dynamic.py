m = __import__('ctypes')
