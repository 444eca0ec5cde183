run(exec=True, eval=False)
config = dict(compile=1)
