import ast
value = ast.literal_eval('[1, 2]')
