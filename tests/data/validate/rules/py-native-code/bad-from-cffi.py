from cffi import FFI
