v = getattr(obj, 'name', None)
w = getattr(config, key)
setattr(self, 'x', 1)
