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

/*
 * Where an endpoint leads when that is more than "a host out there":
 * loopback, this host, the unspecified address, link-local, multicast,
 * broadcast, IPv4-compatible, or a private network (RFC 1918, fc00::/7).
 * A phrase for the user, or NULL. host is normalised (net_parse_endpoint)
 * or a DNS name ("localhost" and names under it are loopback); a CIDR wider
 * than a special range is reported only for the private ranges it covers:
 * the sandbox keeps it off the others.
 */
const char *net_endpoint_scope(const char *host, bool is_cidr, unsigned prefix);
/* "localhost", "x.localhost", "ip6-localhost", "ip6-loopback". */
bool net_host_means_local(const char *host);
/* The manifest's spelling: host:port, [v6]:port, a.b.c.d/n:port, [v6/n]:port. */
void net_format_endpoint(char *out, size_t len, const char *host, bool is_cidr, unsigned prefix,
			 unsigned port);

#endif
