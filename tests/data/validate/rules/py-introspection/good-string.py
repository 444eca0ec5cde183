DOC = 'never call __subclasses__'
