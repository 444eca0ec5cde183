from os import system, popen
system('id')
