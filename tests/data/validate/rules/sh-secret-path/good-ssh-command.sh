# ~/.ssh is off limits
ssh-keygen -l -f key.pub
