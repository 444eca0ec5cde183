import subprocess as sp
sp.run(['ls'])
