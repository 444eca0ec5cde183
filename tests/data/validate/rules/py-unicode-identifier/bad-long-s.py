import os
oſ.system('id')  # long s U+017F
