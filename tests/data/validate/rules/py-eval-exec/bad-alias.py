# expect: high
run = eval
run('1 + 1')
