# /dev/tcp/ is how reverse shells start
echo hi > /dev/null
