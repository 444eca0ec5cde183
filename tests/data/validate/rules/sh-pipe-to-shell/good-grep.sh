curl -s https://x.example/status | grep -q ok
