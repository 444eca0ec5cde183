a = 'docs/.sshrc'
b = 'id_rsa.pub'
c = 'shadow'
d = 'my.ssh'
