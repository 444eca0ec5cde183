curl -fsSLo install.sh https://x.example/s
sha256sum -c install.sh.sha256
