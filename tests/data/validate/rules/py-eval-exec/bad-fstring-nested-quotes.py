print(f"{exec("x = 1")}")
