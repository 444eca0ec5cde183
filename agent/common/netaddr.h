/* SPDX-License-Identifier: MIT */
/*
 * Network endpoints and IP literals, used by both schemas: manifest
 * network.endpoints and the config's service endpoints and resolvers.
 */
#ifndef RAGGED_NETADDR_H
#define RAGGED_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * "host:port", "[v6]:port", and with allow_cidr also "a.b.c.d/n:port" and
 * "[v6/n]:port". IP literals are normalised (inet_ntop), DNS names lower-cased.
 */
struct net_endpoint {
	char host[256];
	uint16_t port;
	bool is_cidr;
	bool is_ip;
	uint8_t prefix;
};

/* Returns 0, or -1 with a static reason in *why. */
int net_parse_endpoint(const char *s, bool allow_cidr, struct net_endpoint *ep,
		       const char **why);
/* An IPv4 or IPv6 literal, normalised into out (INET6_ADDRSTRLEN bytes). */
int net_parse_ip(const char *s, char *out, size_t outlen);
bool net_valid_dns_name(const char *s);

#endif
