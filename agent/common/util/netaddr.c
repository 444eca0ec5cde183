// SPDX-License-Identifier: MIT
/*
 * Endpoint and IP literal parsing shared by manifest network.endpoints and
 * the agent config (see netaddr.h for the accepted forms).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "netaddr.h"
#include "ragged/netclass.h"

int
net_parse_ip(const char *s, char *out, size_t outlen)
{
	unsigned char a[16];
	int af = AF_INET;

	if (inet_pton(af, s, a) != 1 && inet_pton(af = AF_INET6, s, a) != 1)
		return -1;
	return inet_ntop(af, a, out, outlen) ? af : -1;
}

bool
net_valid_dns_name(const char *s)
{
	size_t len = strlen(s), lab = 0, i;
	bool digits = true;

	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (lab == 0 || s[i - 1] == '-')
				return false;
			lab = 0;
			digits = true;
		} else if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-') {
			if ((lab == 0 && s[i] == '-') || ++lab > 63)
				return false;
			digits &= s[i] >= '0' && s[i] <= '9';
		} else {
			return false;
		}
	}
	/* An all-numeric last label is a mistyped IP address, not a name. */
	return lab > 0 && s[len - 1] != '-' && !digits;
}

/* Decimal without sign or leading zero, at most max. */
static int
parse_dec(const char *s, unsigned max, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		if ((i == 1 && s[0] == '0') || (v = v * 10 + (s[i] - '0')) > max)
			return -1;
	}
	*out = v;
	return i > 0 && s[i] == '\0' ? 0 : -1;
}

/* Host bits below the prefix must be zero: 10.1.2.3/8 is ambiguous. */
static bool
cidr_clean(const unsigned char *a, unsigned prefix, unsigned bits)
{
	unsigned i;

	for (i = prefix; i < bits; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

static int
cidr_host(char *host, struct net_endpoint *ep, bool v6, const char **why)
{
	char *slash = strchr(host, '/');
	unsigned char a[16];
	unsigned prefix, bits = v6 ? 128 : 32;

	*slash = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, a) != 1) {
		*why = v6 ? "CIDR base is not an IPv6 address" :
		    "CIDR base is not an IPv4 address";
		return -1;
	}
	if (parse_dec(slash + 1, bits, &prefix) < 0) {
		*why = v6 ? "CIDR prefix must be 0-128" : "CIDR prefix must be 0-32";
		return -1;
	}
	if (!cidr_clean(a, prefix, bits)) {
		*why = "address has bits set beyond the CIDR prefix";
		return -1;
	}
	inet_ntop(v6 ? AF_INET6 : AF_INET, a, ep->host, sizeof(ep->host));
	ep->is_cidr = ep->is_ip = true;
	ep->prefix = prefix;
	return 0;
}

static int
plain_host(char *host, struct net_endpoint *ep, bool v6, const char **why)
{
	size_t i;

	if (net_parse_ip(host, ep->host, sizeof(ep->host)) ==
	    (v6 ? AF_INET6 : AF_INET)) {
		ep->is_ip = true;
		return 0;
	}
	if (v6 || !net_valid_dns_name(host)) {
		*why = v6 ? "not an IPv6 address" :
		    "host must be a DNS name or an IP address";
		return -1;
	}
	/* DNS is case-insensitive; one spelling keeps matching simple. */
	for (i = 0; host[i] != '\0'; i++)
		ep->host[i] = host[i] >= 'A' && host[i] <= 'Z' ? host[i] + 32 :
		    host[i];
	ep->host[i] = '\0';
	return 0;
}

int
net_parse_endpoint(const char *s, bool allow_cidr, struct net_endpoint *ep,
		   const char **why)
{
	const char *sep, *port;
	char host[256];
	unsigned p;
	bool v6 = s[0] == '[';

	memset(ep, 0, sizeof(*ep));
	if (v6) {
		if ((sep = strchr(s, ']')) == NULL || sep[1] != ':') {
			*why = "expected [IPv6]:port";
			return -1;
		}
		port = sep + 2;
		s++;
	} else if ((sep = strrchr(s, ':')) == NULL) {
		*why = "expected host:port";
		return -1;
	} else {
		port = sep + 1;
	}
	if ((size_t)(sep - s) >= sizeof(host) || sep == s) {
		*why = sep == s ? "missing host" : "host too long";
		return -1;
	}
	snprintf(host, sizeof(host), "%.*s", (int)(sep - s), s);
	if (!v6 && strchr(host, ':')) {
		*why = "IPv6 addresses must be in brackets, e.g. [2001:db8::1]:443";
		return -1;
	}
	if (parse_dec(port, 65535, &p) < 0 || p == 0) {
		*why = "port must be 1-65535";
		return -1;
	}
	ep->port = p;
	if (strchr(host, '/') == NULL)
		return plain_host(host, ep, v6, why);
	if (!allow_cidr) {
		*why = "a CIDR range is not allowed here";
		return -1;
	}
	return cidr_host(host, ep, v6, why);
}

/*
 * Where an endpoint leads beyond "a host out there". The classes are the
 * network program's (ragged/netclass.h) plus private ranges, which a grant
 * reaches like any other but which a user should see named.
 */
static const char *const scope_names[RAGGED_DEST_COUNT] = {
	[RAGGED_DEST_UNSPECIFIED] = "the unspecified address, i.e. this host",
	[RAGGED_DEST_LOOPBACK] = "loopback, i.e. this host",
	[RAGGED_DEST_LINK_LOCAL] = "link-local: the local link and cloud metadata",
	[RAGGED_DEST_MULTICAST] = "multicast: every listener on the link",
	[RAGGED_DEST_BROADCAST] = "broadcast: every host on the link",
	[RAGGED_DEST_V4_COMPAT] = "an IPv4-compatible IPv6 address",
	[RAGGED_DEST_HOST] = "this host's own address",
	[RAGGED_DEST_PRIVATE] = "a private network",
};

bool
net_host_means_local(const char *host)
{
	size_t n = strlen(host);

	/* RFC 6761: localhost and every name under it are this host. */
	return strcasecmp(host, "localhost") == 0 || strcasecmp(host, "ip6-localhost") == 0 ||
	    strcasecmp(host, "ip6-loopback") == 0 ||
	    (n > 10 && strcasecmp(host + n - 10, ".localhost") == 0);
}

/* Does the range a/e contain the range b/r (e <= r), bits compared MSB first? */
static bool
range_contains(const unsigned char *a, unsigned e, const unsigned char *b, unsigned r)
{
	if (e > r)
		return false;
	for (unsigned i = 0; i < e; i++)
		if ((a[i / 8] ^ b[i / 8]) & (0x80 >> (i % 8)))
			return false;
	return true;
}

const char *
net_endpoint_scope(const char *host, bool is_cidr, unsigned prefix)
{
	static const unsigned char priv4[3][4] = { { 10 }, { 172, 16 }, { 192, 168 } };
	static const unsigned priv4_bits[3] = { 8, 12, 16 };
	static const unsigned char priv6[16] = { 0xfc };
	unsigned char a[16];
	unsigned e, bits;
	uint32_t cls;
	bool v4 = inet_pton(AF_INET, host, a) == 1;

	if (!v4 && inet_pton(AF_INET6, host, a) != 1)
		return net_host_means_local(host) ? scope_names[RAGGED_DEST_LOOPBACK] : NULL;
	e = is_cidr ? prefix : v4 ? 32 : 128;
	cls = v4 ? ragged_v4_class(a, &bits, 1) : ragged_v6_class(a, &bits, 1);
	/* Inside a special range: the grant names it and reaches it. */
	if (cls != RAGGED_DEST_ORDINARY && e >= bits)
		return scope_names[cls];
	/* Wider than one: only private ranges are reached by a wider grant
	 * (the network program refuses the others to it). */
	if (v4) {
		for (int i = 0; i < 3; i++)
			if (range_contains(a, e, priv4[i], priv4_bits[i]))
				return scope_names[RAGGED_DEST_PRIVATE];
	} else if (range_contains(a, e, priv6, 7)) {
		return scope_names[RAGGED_DEST_PRIVATE];
	}
	return NULL;
}

void
net_format_endpoint(char *out, size_t len, const char *host, bool is_cidr, unsigned prefix,
		    unsigned port)
{
	bool v6 = strchr(host, ':') != NULL;

	if (is_cidr)
		snprintf(out, len, "%s%s/%u%s:%u", v6 ? "[" : "", host, prefix, v6 ? "]" : "", port);
	else
		snprintf(out, len, "%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "", port);
}
