p = os.path.join(os.environ['HOME'], '.ssh', 'id_ed25519')
