# expect: critical
__import__('o' + 's').system('id')
