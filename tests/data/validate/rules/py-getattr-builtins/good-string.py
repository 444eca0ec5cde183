S = "getattr(__builtins__, 'eval')"
