tar czf /tmp/x.tgz "$HOME/.mozilla/firefox"
