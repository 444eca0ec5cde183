p = '/'.join(['', 'etc', 'shadow'])
