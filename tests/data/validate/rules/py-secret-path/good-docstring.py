"""Never reads ~/.ssh or /etc/shadow: the sandbox denies both."""
