import os
out = os.popen('uname -a').read()
