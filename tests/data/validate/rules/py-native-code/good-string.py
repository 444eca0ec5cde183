NOTE = 'we never import ctypes'
