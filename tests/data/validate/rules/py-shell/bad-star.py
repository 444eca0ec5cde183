from subprocess import *
