# not ~/.ssh/id_rsa
x = 1
