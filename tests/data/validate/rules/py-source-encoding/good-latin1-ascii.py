# vim: set fileencoding=latin-1 :
print('plain ASCII reads the same in latin-1 and UTF-8')
