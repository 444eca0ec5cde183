import base64
blob = base64.b64decode(DATA)
code = blob.decode()
exec(code)
