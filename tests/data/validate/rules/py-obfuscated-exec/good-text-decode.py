text = raw.decode('utf-8')
print(text)
