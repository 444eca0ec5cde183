import base64, json
config = json.loads(base64.b64decode(ENV_CONFIG))
