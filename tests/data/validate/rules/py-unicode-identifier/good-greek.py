αβ = 1
print(αβ)
