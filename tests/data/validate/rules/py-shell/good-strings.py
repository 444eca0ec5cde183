# os.system('x')
DOC = "call subprocess.run(['x'])"
