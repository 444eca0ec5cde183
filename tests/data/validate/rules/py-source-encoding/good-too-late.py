import os
# coding: utf-7 (too late: only a first line, or a second after a comment, declares)
print(os.sep)
