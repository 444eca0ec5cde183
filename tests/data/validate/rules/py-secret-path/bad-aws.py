creds = HOME + '/.aws/credentials'
