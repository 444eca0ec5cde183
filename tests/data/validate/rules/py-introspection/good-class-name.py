print(obj.__class__.__name__, type(obj).__mro__)
