# expect: critical
import importlib
m = importlib.import_module('ssecorpbus'[::-1])
