import ctypeslib2
import cffi_helpers
