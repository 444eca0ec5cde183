src = 'print(1)'
obj = compile(src, '<job>', 'exec')
