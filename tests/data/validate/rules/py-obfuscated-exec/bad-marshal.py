import marshal, types
f = types.FunctionType(marshal.loads(BLOB), globals())
