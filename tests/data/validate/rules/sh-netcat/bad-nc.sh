# expect: high
nc example.com 80 < req.txt
