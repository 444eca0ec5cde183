exec("import subprocess\nsubprocess.call(['id'])")
