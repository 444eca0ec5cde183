# expect-other: py-eval-exec
exec(source)
