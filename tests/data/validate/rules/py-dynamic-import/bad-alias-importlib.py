from importlib import import_module as load
m = load(plugin_name)
