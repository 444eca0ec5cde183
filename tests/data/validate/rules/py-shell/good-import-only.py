import subprocess
TIMEOUT = subprocess.TimeoutExpired
