p = '~/.s' + 'sh/config'
