data = open('/etc/shadow').read()
