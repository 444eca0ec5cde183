# The ASCII spelling of disguised-calls.py, line for line: both must give the
# same findings (test_pyident.c), apart from py-unicode-identifier.
import os
import subprocess
import pickle
import shutil
exec('x = 1')
eval('1 + 1')
os.system('id')
subprocess.run(['id'])
subprocess.Popen('id', shell=True)
__import__('os').system('id')
compile('1', 'f', 'eval')
execfile('x.py')
shutil.copyfile('a', 'b')
pickle.loads(b'')
getattr(os, 'system')('id')
os.popen('id')
subprocess.check_output(['id'])
eval('1')
__import__('subprocess').run(['id'])
s = os.system
s('id')
