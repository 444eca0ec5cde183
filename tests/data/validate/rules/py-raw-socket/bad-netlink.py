from socket import socket, AF_NETLINK
s = socket(AF_NETLINK)
