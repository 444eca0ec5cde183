import importlib
json = importlib.import_module('json')
xml = __import__('xml.dom')
