p = '/etc/\x73hadow'
