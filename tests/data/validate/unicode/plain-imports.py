# The ASCII spelling of disguised-imports.py, line for line: both must give
# the same findings (test_pyident.c), apart from py-unicode-identifier.
import os
import subprocess
import pickle
import shutil
import os as o
o.system('id')
from subprocess import call
call(['id'])
import pty
pty.spawn('sh')
marshal = __import__('marshal')
marshal.loads(b'')
pickle.loads(b'')
shutil.rmtree('/x')
