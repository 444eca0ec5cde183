name = 'x'
print(f"{eval(name)}")
