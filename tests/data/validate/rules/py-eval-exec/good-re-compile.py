import re
from re import compile
pat = re.compile(r'\d+')
other = compile('x')
