import base64
raw = base64.b64decode(message['body'])
