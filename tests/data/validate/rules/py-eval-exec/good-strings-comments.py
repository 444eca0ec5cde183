# eval(input()) would be bad
s = "exec(open('x').read())"
help = '''compile(src) and eval(x)'''
