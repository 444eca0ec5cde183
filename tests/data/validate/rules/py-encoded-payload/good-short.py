import base64
PAD = base64.b64decode('AAAA')
