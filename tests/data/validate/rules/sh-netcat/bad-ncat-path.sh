/usr/bin/ncat --sh-exec 'cat' -l 9000
