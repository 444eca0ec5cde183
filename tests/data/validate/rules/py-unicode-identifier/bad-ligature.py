execﬁle('x.py')  # the fi ligature U+FB01
