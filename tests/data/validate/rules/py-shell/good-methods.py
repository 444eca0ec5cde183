self.system('x')
runner.run(['x'])
