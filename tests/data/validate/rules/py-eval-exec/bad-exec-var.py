code = open('job.txt').read()
exec(code)
