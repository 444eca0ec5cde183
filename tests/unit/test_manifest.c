// SPDX-License-Identifier: MIT
/* plugin.toml: the accepted shape, every rejection with its exact FILE:LINE: KEY. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/config.h"

/* Lines 1-5; whatever a test appends starts at line 6. */
#define HEAD "[plugin]\nname = \"demo\"\nversion = \"1.0.0\"\n" \
	"type = \"command\"\nentry = [\"python3\", \"main.py\"]\n"

static const char example[] =
	"[plugin]\n"
	"name = \"custom-embedder\"          # [a-z0-9][a-z0-9-]{0,63}\n"
	"version = \"1.2.0\"                 # semver\n"
	"type = \"embedder\"\n"
	"description = \"Embeds documents with a remote model.\"\n"
	"author = \"Jane Doe <jane@example.com>\"\n"
	"entry = [\"python3\", \"main.py\"]\n"
	"\n"
	"[permissions]\n"
	"required = [\"read:documents\", \"system:embedding\"]\n"
	"optional = [\"network:api\"]\n"
	"\n"
	"[network]\n"
	"endpoints = [\"API.Example.com:443\", \"192.0.2.0/24:8443\",\n"
	"             \"[2001:DB8::1]:443\", \"[2001:db8::/32]:8080\"]\n"
	"\n"
	"[limits]\n"
	"memory_mb = 256\n"
	"cpu_seconds = 5\n"
	"pids = 32\n"
	"wall_seconds = 60\n"
	"\n"
	"[dependencies]\n"
	"python = [\"requests==2.31.0\", \"numpy>=1.24,<2\", \"rich\"]\n";

/* sha256sum of the example above. */
static const char example_sha256[] =
	"52c0113c08075718bacdde8218b501c2394970445879f80cdf0eba41a323dfa2";

static char err[512];

static int
parse(const char *src, struct manifest *m)
{
	return manifest_parse(src, strlen(src), "plugin.toml", m, err,
	    sizeof(err));
}

static void
reject(const char *src, const char *want)
{
	struct manifest m;

	memset(&m, 0xa5, sizeof(m));
	if (parse(src, &m) == 0)
		fail_msg("accepted:\n%s", src);
	assert_string_equal(err, want);
	/* Fully freed and zeroed on error. */
	assert_null(m.entry);
	assert_null(m.endpoints);
	assert_int_equal(m.required, 0);
	manifest_free(&m);
}

static void
accept(const char *src)
{
	struct manifest m;

	if (parse(src, &m) != 0)
		fail_msg("rejected: %s\n%s", err, src);
	manifest_free(&m);
}

#define REJECT(name, src, want) \
	static void name(void **state) { reject(src, want); }
#define ACCEPT(name, src) \
	static void name(void **state) { accept(src); }

static void
t_example(void **state)
{
	struct manifest m;
	char hex[65];

	assert_int_equal(parse(example, &m), 0);
	assert_string_equal(m.name, "custom-embedder");
	assert_string_equal(m.version, "1.2.0");
	assert_int_equal(m.type, PLUGIN_EMBEDDER);
	assert_string_equal(m.description, "Embeds documents with a remote model.");
	assert_string_equal(m.author, "Jane Doe <jane@example.com>");
	assert_int_equal(m.entry_len, 2);
	assert_string_equal(m.entry[0], "python3");
	assert_string_equal(m.entry[1], "main.py");
	assert_null(m.entry[2]);
	assert_int_equal(m.required, RAGGED_PERM_BIT(RAGGED_PERM_READ_DOCUMENTS) |
	    RAGGED_PERM_BIT(RAGGED_PERM_SYSTEM_EMBEDDING));
	assert_int_equal(m.optional, RAGGED_PERM_BIT(RAGGED_PERM_NETWORK_API));
	assert_int_equal(m.n_endpoints, 4);
	assert_string_equal(m.endpoints[0].host, "api.example.com");
	assert_int_equal(m.endpoints[0].port, 443);
	assert_false(m.endpoints[0].is_cidr);
	assert_int_equal(m.endpoints[0].line, 14);
	assert_string_equal(m.endpoints[1].host, "192.0.2.0");
	assert_true(m.endpoints[1].is_cidr);
	assert_int_equal(m.endpoints[1].prefix, 24);
	assert_int_equal(m.endpoints[1].port, 8443);
	assert_string_equal(m.endpoints[2].host, "2001:db8::1");
	assert_int_equal(m.endpoints[2].line, 15);
	assert_string_equal(m.endpoints[3].host, "2001:db8::");
	assert_int_equal(m.endpoints[3].prefix, 32);
	assert_int_equal(m.limits.memory_mb, 256);
	assert_int_equal(m.limits.cpu_seconds, 5);
	assert_int_equal(m.limits.pids, 32);
	assert_int_equal(m.limits.wall_seconds, 60);
	assert_int_equal(m.n_python_deps, 3);
	assert_string_equal(m.python_deps[1], "numpy>=1.24,<2");
	manifest_digest_hex(&m, hex);
	assert_string_equal(hex, example_sha256);
	manifest_free(&m);
	manifest_free(&m);	/* idempotent */
}

static void
t_minimal(void **state)
{
	struct manifest m;

	assert_int_equal(parse(HEAD, &m), 0);
	assert_int_equal(m.type, PLUGIN_COMMAND);
	assert_int_equal(m.required, 0);
	assert_int_equal(m.optional, 0);
	assert_null(m.description);
	assert_null(m.endpoints);
	assert_int_equal(m.limits.memory_mb, 0);
	assert_int_equal(m.n_python_deps, 0);
	manifest_free(&m);
}

static void
t_types(void **state)
{
	static const char *names[] = { "embedder", "retriever", "processor",
	    "command" };
	struct manifest m;
	char src[256];
	int i;

	for (i = 0; i < 4; i++) {
		snprintf(src, sizeof(src), "[plugin]\nname = \"x\"\nversion = "
		    "\"0.0.0\"\ntype = \"%s\"\nentry = [\"x\"]\n", names[i]);
		assert_int_equal(parse(src, &m), 0);
		assert_int_equal(m.type, i);
		assert_string_equal(plugin_type_name(m.type), names[i]);
		manifest_free(&m);
	}
}

/* File-level. */

static void
t_empty(void **state)
{
	struct manifest m;

	assert_int_equal(manifest_parse("", 0, "plugin.toml", &m, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "plugin.toml:1: file is empty");
}

static void
t_size_cap(void **state)
{
	size_t n = MANIFEST_MAX_BYTES + 1, head = strlen(HEAD);
	char *buf = malloc(n);
	struct manifest m;

	assert_non_null(buf);
	memcpy(buf, HEAD, head);
	memset(buf + head, '#', n - head);
	buf[n - 2] = '\n';
	/* Exactly at the cap: accepted (a long comment on line 6). */
	assert_int_equal(manifest_parse(buf, n - 1, "plugin.toml", &m, err,
	    sizeof(err)), 0);
	manifest_free(&m);
	assert_int_equal(manifest_parse(buf, n, "plugin.toml", &m, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "plugin.toml:7: file is larger than 65536 bytes");
	free(buf);
}

static void
t_nul(void **state)
{
	struct manifest m;

	assert_int_equal(manifest_parse(HEAD "#\0\n", strlen(HEAD) + 3,
	    "plugin.toml", &m, err, sizeof(err)), -1);
	assert_string_equal(err, "plugin.toml:6: NUL byte in file");
}

REJECT(t_not_utf8, HEAD "description = \"caf\xe9\"\n",
    "plugin.toml:6: invalid UTF-8")
REJECT(t_syntax_error_passthrough, HEAD "[limits]\nmemory_mb = 1.5\n",
    "plugin.toml:7: limits.memory_mb: floats are not supported")
REJECT(t_no_plugin_table, "# nothing\n[permissions]\nrequired = []\n",
    "plugin.toml:1: plugin: missing required table [plugin]")
REJECT(t_root_key, "name = \"x\"\n" HEAD,
    "plugin.toml:1: name: key outside of any table")
REJECT(t_unknown_table, HEAD "[scripts]\n",
    "plugin.toml:6: scripts: unknown table")
REJECT(t_unknown_subtable, HEAD "[plugin.extra]\n",
    "plugin.toml:6: plugin.extra: unknown table")
REJECT(t_unknown_key, HEAD "homepage = \"x\"\n",
    "plugin.toml:6: plugin.homepage: unknown key")
REJECT(t_dup_key, HEAD "name = \"other\"\n",
    "plugin.toml:6: plugin.name: duplicate key (first at line 2)")

/* [plugin] */

REJECT(t_missing_name, "[plugin]\nversion = \"1.0.0\"\ntype = \"command\"\n"
    "entry = [\"x\"]\n", "plugin.toml:1: plugin.name: required key missing")
REJECT(t_missing_version, "[plugin]\nname = \"x\"\ntype = \"command\"\n"
    "entry = [\"x\"]\n", "plugin.toml:1: plugin.version: required key missing")
REJECT(t_missing_type, "\n[plugin]\nname = \"x\"\nversion = \"1.0.0\"\n"
    "entry = [\"x\"]\n", "plugin.toml:2: plugin.type: required key missing")
REJECT(t_missing_entry, "[plugin]\nname = \"x\"\nversion = \"1.0.0\"\n"
    "type = \"command\"\n", "plugin.toml:1: plugin.entry: required key missing")
REJECT(t_name_type, "[plugin]\nname = 5\n",
    "plugin.toml:2: plugin.name: must be a string, not an integer")
REJECT(t_name_upper, "[plugin]\nname = \"Demo\"\n",
    "plugin.toml:2: plugin.name: must be 1-64 characters of a-z, 0-9 and '-', "
    "not starting with '-'")
REJECT(t_name_dash, "[plugin]\nname = \"-demo\"\n",
    "plugin.toml:2: plugin.name: must be 1-64 characters of a-z, 0-9 and '-', "
    "not starting with '-'")
REJECT(t_name_underscore, "[plugin]\nname = \"my_plugin\"\n",
    "plugin.toml:2: plugin.name: must be 1-64 characters of a-z, 0-9 and '-', "
    "not starting with '-'")
REJECT(t_name_empty, "[plugin]\nname = \"\"\n",
    "plugin.toml:2: plugin.name: must be 1-64 characters of a-z, 0-9 and '-', "
    "not starting with '-'")
REJECT(t_name_too_long, "[plugin]\nname = "
    "\"a1234567890123456789012345678901234567890123456789012345678901234\"\n",
    "plugin.toml:2: plugin.name: must be 1-64 characters of a-z, 0-9 and '-', "
    "not starting with '-'")
ACCEPT(t_name_max, "[plugin]\nname = "
    "\"0123456789012345678901234567890123456789012345678901234567890-23\"\n"
    "version = \"1.0.0\"\ntype = \"command\"\nentry = [\"x\"]\n")

static void
t_versions(void **state)
{
	static const char *good[] = { "0.0.0", "1.2.3", "10.20.30",
	    "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-0.3.7", "1.0.0-x.7.z.92",
	    "1.0.0-alpha+001", "1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85",
	    "1.0.0-x-y-z.--", "1.0.0+21AF26D3----117B344092BD" };
	static const char *bad[] = { "1", "1.2", "1.2.3.4", "01.2.3", "1.02.3",
	    "1.2.03", "v1.2.3", "1.2.3-", "1.2.3+", "1.2.3-01", "1.2.3-a..b",
	    "1.2.3-a_b", "1.2.3 ", " 1.2.3", "1.2.-3", "-1.2.3", "1.2.3-+",
	    "1.0.0-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	struct manifest m;
	char src[256];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(src, sizeof(src), "[plugin]\nname = \"x\"\nversion = "
		    "\"%s\"\ntype = \"command\"\nentry = [\"x\"]\n", good[i]);
		if (parse(src, &m) != 0)
			fail_msg("%s rejected: %s", good[i], err);
		assert_string_equal(m.version, good[i]);
		manifest_free(&m);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(src, sizeof(src), "[plugin]\nversion = \"%s\"\n", bad[i]);
		if (parse(src, &m) == 0)
			fail_msg("%s accepted", bad[i]);
		assert_string_equal(err, "plugin.toml:2: plugin.version: must be "
		    "a semantic version such as 1.2.0 (at most 64 characters)");
	}
}

REJECT(t_type_unknown, "[plugin]\nname = \"x\"\nversion = \"1.0.0\"\n"
    "type = \"daemon\"\n",
    "plugin.toml:4: plugin.type: must be one of embedder, retriever, "
    "processor, command")
REJECT(t_type_case, "[plugin]\ntype = \"Embedder\"\n",
    "plugin.toml:2: plugin.type: must be one of embedder, retriever, "
    "processor, command")
REJECT(t_description_escape, HEAD "description = \"\\u001b[2Jpwned\"\n",
    "plugin.toml:6: plugin.description: must not contain control or text "
    "direction characters")
REJECT(t_description_newline, HEAD "description = \"a\\nRequired: none\"\n",
    "plugin.toml:6: plugin.description: must not contain control or text "
    "direction characters")
REJECT(t_description_bidi, HEAD "author = \"evil\\u202Eliam\"\n",
    "plugin.toml:6: plugin.author: must not contain control or text "
    "direction characters")
REJECT(t_description_c1, HEAD "author = \"x\\u009bq\"\n",
    "plugin.toml:6: plugin.author: must not contain control or text "
    "direction characters")
REJECT(t_author_type, HEAD "author = [\"a\"]\n",
    "plugin.toml:6: plugin.author: must be a string, not an array")

static void
t_text_lengths(void **state)
{
	char src[2048];
	struct manifest m;

	snprintf(src, sizeof(src), HEAD "description = \"%01024d\"\n"
	    "author = \"%0256d\"\n", 0, 0);
	assert_int_equal(parse(src, &m), 0);
	assert_int_equal(strlen(m.description), 1024);
	manifest_free(&m);
	snprintf(src, sizeof(src), HEAD "description = \"%01025d\"\n", 0);
	assert_int_equal(parse(src, &m), -1);
	assert_string_equal(err, "plugin.toml:6: plugin.description: longer "
	    "than 1024 bytes");
	snprintf(src, sizeof(src), HEAD "author = \"%0257d\"\n", 0);
	assert_int_equal(parse(src, &m), -1);
	assert_string_equal(err, "plugin.toml:6: plugin.author: longer than "
	    "256 bytes");
}

ACCEPT(t_description_unicode, HEAD "description = \"Caf\xc3\xa9 \xe2\x9c\x93 "
    "\xf0\x9f\x98\x80\"\n")
REJECT(t_entry_empty, "[plugin]\nentry = []\n",
    "plugin.toml:2: plugin.entry: must not be empty")
REJECT(t_entry_string, "[plugin]\nentry = \"python3 main.py\"\n",
    "plugin.toml:2: plugin.entry: must be an array, not a string")
REJECT(t_entry_ints, "[plugin]\nentry = [1, 2]\n",
    "plugin.toml:2: plugin.entry: must be an array of strings")
REJECT(t_entry_control, "[plugin]\nentry = [\"sh\", \"-c\", \"x\\ny\"]\n",
    "plugin.toml:2: plugin.entry[2]: must not contain control or text "
    "direction characters")
REJECT(t_entry_empty_arg, "[plugin]\nentry = [\n\"python3\",\n\"\",\n]\n",
    "plugin.toml:4: plugin.entry[1]: must not be empty")

static void
t_entry_count(void **state)
{
	char src[1024], *p = src;
	struct manifest m;
	int i;

	p += sprintf(p, "[plugin]\nname = \"x\"\nversion = \"1.0.0\"\ntype = "
	    "\"command\"\nentry = [");
	for (i = 0; i < MANIFEST_MAX_ENTRY; i++)
		p += sprintf(p, "\"a\",");
	sprintf(p, "]\n");
	assert_int_equal(parse(src, &m), 0);
	assert_int_equal(m.entry_len, 64);
	assert_null(m.entry[64]);
	manifest_free(&m);
	sprintf(p, "\"a\"]\n");
	assert_int_equal(parse(src, &m), -1);
	assert_string_equal(err, "plugin.toml:5: plugin.entry: more than 64 "
	    "arguments");
}

/* [permissions] */

static void
t_every_permission(void **state)
{
	struct manifest m;

	assert_int_equal(parse(HEAD "[permissions]\nrequired = ["
	    "\"read:documents\", \"write:documents\", \"read:config\",\n"
	    "\"write:config\", \"network:download\", \"system:embedding\"]\n"
	    "optional = [\"system:vectorstore\", \"system:memory\", "
	    "\"network:api\"]\n[network]\nendpoints = [\"a.b:1\"]\n", &m), 0);
	assert_int_equal(m.required | m.optional, RAGGED_PERM_ALL &
	    ~RAGGED_PERM_BIT(RAGGED_PERM_NETWORK_NONE));
	manifest_free(&m);
	assert_int_equal(parse(HEAD "[permissions]\nrequired = "
	    "[\"network:none\"]\noptional = []\n", &m), 0);
	assert_int_equal(m.required, RAGGED_PERM_BIT(RAGGED_PERM_NETWORK_NONE));
	manifest_free(&m);
}

REJECT(t_perm_unknown, HEAD "[permissions]\nrequired = [\"read:documents\", "
    "\"system:embedding\", \"read:everything\"]\n",
    "plugin.toml:7: permissions.required[2]: unknown permission "
    "\"read:everything\"")
REJECT(t_perm_case, HEAD "[permissions]\noptional = [\"Read:Documents\"]\n",
    "plugin.toml:7: permissions.optional[0]: unknown permission "
    "\"Read:Documents\" (did you mean \"read:documents\"?)")
REJECT(t_perm_space, HEAD "[permissions]\noptional = [\"read:documents \"]\n",
    "plugin.toml:7: permissions.optional[0]: unknown permission "
    "\"read:documents \" (did you mean \"read:documents\"?)")
REJECT(t_perm_dup, HEAD "[permissions]\nrequired = [\n\"read:config\",\n"
    "\"read:config\"]\n",
    "plugin.toml:9: permissions.required[1]: duplicate permission "
    "\"read:config\"")
REJECT(t_perm_both, HEAD "[permissions]\nrequired = [\"read:documents\"]\n"
    "optional = [\"system:memory\", \"read:documents\"]\n",
    "plugin.toml:8: permissions.optional[1]: \"read:documents\" is both "
    "required and optional")
REJECT(t_perm_none_api, HEAD "[permissions]\nrequired = [\"network:none\"]\n"
    "optional = [\"network:api\"]\n",
    "plugin.toml:8: permissions.optional[0]: \"network:api\" conflicts: "
    "network:none excludes every other network permission")
REJECT(t_perm_download_none, HEAD "[permissions]\nrequired = ["
    "\"network:download\", \"network:none\"]\n",
    "plugin.toml:7: permissions.required[1]: \"network:none\" conflicts: "
    "network:none excludes every other network permission")
REJECT(t_perm_not_array, HEAD "[permissions]\nrequired = \"read:config\"\n",
    "plugin.toml:7: permissions.required: must be an array, not a string")
REJECT(t_perm_unknown_key, HEAD "[permissions]\ndenied = []\n",
    "plugin.toml:7: permissions.denied: unknown key")

/* [network] */

#define API HEAD "[permissions]\nrequired = [\"network:api\"]\n[network]\n"
#define EP(s) API "endpoints = [\"" s "\"]\n"
#define EPERR(s, msg) "plugin.toml:9: network.endpoints[0]: " msg

REJECT(t_network_without_api, HEAD "[network]\nendpoints = [\"a.b:1\"]\n",
    "plugin.toml:6: network: only allowed with the network:api permission")
REJECT(t_api_without_network, HEAD "[permissions]\nrequired = ["
    "\"read:config\",\n\"network:api\"]\n",
    "plugin.toml:8: network.endpoints: required with network:api")
REJECT(t_api_without_endpoints, API,
    "plugin.toml:8: network.endpoints: required with network:api")
REJECT(t_api_empty_endpoints, API "endpoints = []\n",
    "plugin.toml:9: network.endpoints: must not be empty with network:api")
REJECT(t_ep_no_port, EP("api.example.com"), EPERR("", "expected host:port"))
REJECT(t_ep_port_zero, EP("api.example.com:0"), EPERR("", "port must be 1-65535"))
REJECT(t_ep_port_big, EP("api.example.com:65536"),
    EPERR("", "port must be 1-65535"))
REJECT(t_ep_port_zeros, EP("api.example.com:0443"),
    EPERR("", "port must be 1-65535"))
REJECT(t_ep_port_sign, EP("api.example.com:+443"),
    EPERR("", "port must be 1-65535"))
REJECT(t_ep_no_host, EP(":443"), EPERR("", "missing host"))
REJECT(t_ep_bad_host, EP("exa_mple.com:443"),
    EPERR("", "host must be a DNS name or an IP address"))
REJECT(t_ep_dash_host, EP("-a.example.com:443"),
    EPERR("", "host must be a DNS name or an IP address"))
REJECT(t_ep_empty_label, EP("a..example.com:443"),
    EPERR("", "host must be a DNS name or an IP address"))
REJECT(t_ep_numeric_host, EP("192.0.2:443"),
    EPERR("", "host must be a DNS name or an IP address"))
REJECT(t_ep_bad_ipv4, EP("192.0.2.256:443"),
    EPERR("", "host must be a DNS name or an IP address"))
REJECT(t_ep_long_label, EP("a1234567890123456789012345678901234567890123456789"
    "01234567890123.com:443"),
    EPERR("", "host must be a DNS name or an IP address"))
REJECT(t_ep_bare_v6, EP("2001:db8::1:443"),
    EPERR("", "IPv6 addresses must be in brackets, e.g. [2001:db8::1]:443"))
REJECT(t_ep_bracket_v4, EP("[192.0.2.1]:443"), EPERR("", "not an IPv6 address"))
REJECT(t_ep_bracket_noport, EP("[::1]"), EPERR("", "expected [IPv6]:port"))
REJECT(t_ep_zone, EP("[fe80::1%eth0]:443"), EPERR("", "not an IPv6 address"))
REJECT(t_ep_v4_prefix, EP("10.0.0.0/33:443"),
    EPERR("", "CIDR prefix must be 0-32"))
REJECT(t_ep_v6_prefix, EP("[2001:db8::/129]:443"),
    EPERR("", "CIDR prefix must be 0-128"))
REJECT(t_ep_prefix_junk, EP("10.0.0.0/8x:443"),
    EPERR("", "CIDR prefix must be 0-32"))
REJECT(t_ep_host_bits, EP("10.1.2.3/8:443"),
    EPERR("", "address has bits set beyond the CIDR prefix"))
REJECT(t_ep_cidr_name, EP("example.com/24:443"),
    EPERR("", "CIDR base is not an IPv4 address"))
REJECT(t_ep_dup, API "endpoints = [\"a.example:443\", \"A.EXAMPLE:443\"]\n",
    "plugin.toml:9: network.endpoints[1]: duplicate endpoint")
REJECT(t_ep_not_strings, API "endpoints = [443]\n",
    "plugin.toml:9: network.endpoints: must be an array of strings")

static void
t_ep_forms(void **state)
{
	struct manifest m;

	assert_int_equal(parse(API "endpoints = [\"0.0.0.0/0:443\", "
	    "\"[::/0]:443\", \"[::ffff:192.0.2.1]:80\", \"localhost:65535\", "
	    "\"xn--bcher-kva.example:1\", \"10.0.0.0/8:53\"]\n", &m), 0);
	assert_int_equal(m.n_endpoints, 6);
	assert_int_equal(m.endpoints[0].prefix, 0);
	assert_string_equal(m.endpoints[1].host, "::");
	assert_string_equal(m.endpoints[2].host, "::ffff:192.0.2.1");
	assert_false(m.endpoints[2].is_cidr);
	assert_int_equal(m.endpoints[3].port, 65535);
	assert_int_equal(m.endpoints[5].prefix, 8);
	manifest_free(&m);
}

static void
t_ep_count(void **state)
{
	char src[4096], *p = src;
	struct manifest m;
	int i;

	p += snprintf(p, sizeof(src), API "endpoints = [");
	for (i = 1; i <= MANIFEST_MAX_ENDPOINTS; i++)
		p += snprintf(p, sizeof(src) - (size_t)(p - src), "\"h%d.example:443\",", i);
	snprintf(p, sizeof(src) - (size_t)(p - src), "]\n");
	assert_int_equal(parse(src, &m), 0);
	assert_int_equal(m.n_endpoints, 64);
	manifest_free(&m);
	snprintf(p, sizeof(src) - (size_t)(p - src), "\"one-more.example:1\"]\n");
	assert_int_equal(parse(src, &m), -1);
	assert_string_equal(err, "plugin.toml:9: network.endpoints: more than "
	    "64 endpoints");
}

/* [limits] */

REJECT(t_limit_zero, HEAD "[limits]\nmemory_mb = 0\n",
    "plugin.toml:7: limits.memory_mb: must be between 1 and 1048576")
REJECT(t_limit_negative, HEAD "[limits]\ncpu_seconds = -5\n",
    "plugin.toml:7: limits.cpu_seconds: must be between 1 and 86400")
REJECT(t_limit_huge, HEAD "[limits]\npids = 4294967297\n",
    "plugin.toml:7: limits.pids: must be between 1 and 32768")
REJECT(t_limit_wall, HEAD "[limits]\nwall_seconds = 604801\n",
    "plugin.toml:7: limits.wall_seconds: must be between 1 and 604800")
REJECT(t_limit_string, HEAD "[limits]\nmemory_mb = \"256\"\n",
    "plugin.toml:7: limits.memory_mb: must be an integer, not a string")
REJECT(t_limit_unknown, HEAD "[limits]\nscratch_mb = 5\n",
    "plugin.toml:7: limits.scratch_mb: unknown key")

/* [dependencies] */

static void
t_python_deps(void **state)
{
	static const char *good[] = { "requests", "requests==2.31.0",
	    "Django>=4.2,<5", "numpy ~= 1.26", "a", "zope.interface!=5.*",
	    "requests[socks,security]>=2", "foo===1.0+local", "py_dep-x.y" };
	static const char *bad[] = { "", "==1.0", "requests==", "req uests",
	    "requests; python_version<'3.8'", "pkg @ https://x/y.whl",
	    "-e git+https://x", "requests>=2,", "requests=2", "_bad", "bad-",
	    "requests[socks", "x>=1 <2", "requests[]" };
	char src[512];
	struct manifest m;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(src, sizeof(src), HEAD "[dependencies]\npython = "
		    "[\"%s\"]\n", good[i]);
		if (parse(src, &m) != 0)
			fail_msg("%s rejected: %s", good[i], err);
		assert_string_equal(m.python_deps[0], good[i]);
		manifest_free(&m);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(src, sizeof(src), HEAD "[dependencies]\npython = "
		    "[\"ok\", \"%s\"]\n", bad[i]);
		if (parse(src, &m) == 0)
			fail_msg("%s accepted", bad[i]);
		snprintf(src, sizeof(src), "plugin.toml:7: dependencies.python[1]: "
		    "\"%s\" is not a requirement such as name or name==1.0", bad[i]);
		assert_string_equal(err, src);
	}
}

REJECT(t_deps_unknown, HEAD "[dependencies]\nnpm = [\"left-pad\"]\n",
    "plugin.toml:7: dependencies.npm: unknown key")
REJECT(t_deps_type, HEAD "[dependencies]\npython = \"requests\"\n",
    "plugin.toml:7: dependencies.python: must be an array, not a string")

/* Error text and loading. */

static void
t_error_is_one_line(void **state)
{
	struct manifest m;

	assert_int_equal(manifest_parse("x", 1, "evil\nplugin.toml:1: ok\x1b[0m",
	    &m, err, sizeof(err)), -1);
	assert_null(strchr(err, '\n'));
	assert_null(strchr(err, '\x1b'));
	/* Tiny and absent buffers are fine. */
	assert_int_equal(manifest_parse("x", 1, "f", &m, err, 4), -1);
	assert_string_equal(err, "f:1");
	assert_int_equal(manifest_parse("x", 1, "f", &m, NULL, 0), -1);
}

static char tmpdir[64];

static int
setup_dir(void **state)
{
	strcpy(tmpdir, "/tmp/test_manifest.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown_dir(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
t_load(void **state)
{
	char path[128], want[256], hex[65];
	struct manifest m;

	snprintf(path, sizeof(path), "%s/plugin.toml", tmpdir);
	write_file(path, example, strlen(example));
	assert_int_equal(manifest_load(path, &m, err, sizeof(err)), 0);
	manifest_digest_hex(&m, hex);
	assert_string_equal(hex, example_sha256);
	manifest_free(&m);
	snprintf(path, sizeof(path), "%s/bad.toml", tmpdir);
	write_file(path, HEAD "[limits]\npids = 0\n", strlen(HEAD) + 18);
	assert_int_equal(manifest_load(path, &m, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:7: limits.pids: must be between 1 and "
	    "32768", path);
	assert_string_equal(err, want);
}

static void
t_load_refusals(void **state)
{
	char path[128], link[128], want[256];
	struct manifest m;
	char *big;

	snprintf(path, sizeof(path), "%s/missing.toml", tmpdir);
	assert_int_equal(manifest_load(path, &m, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: %s", path, strerror(ENOENT));
	assert_string_equal(err, want);

	snprintf(path, sizeof(path), "%s/real.toml", tmpdir);
	write_file(path, HEAD, strlen(HEAD));
	snprintf(link, sizeof(link), "%s/link.toml", tmpdir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(manifest_load(link, &m, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: is a symbolic link", link);
	assert_string_equal(err, want);

	assert_int_equal(manifest_load(tmpdir, &m, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: not a regular file", tmpdir);
	assert_string_equal(err, want);

	/* A FIFO must be refused, not block the agent. */
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(manifest_load(path, &m, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: not a regular file", path);
	assert_string_equal(err, want);

	snprintf(path, sizeof(path), "%s/big.toml", tmpdir);
	big = malloc(MANIFEST_MAX_BYTES * 2);
	assert_non_null(big);
	memset(big, '\n', MANIFEST_MAX_BYTES * 2);
	write_file(path, big, MANIFEST_MAX_BYTES * 2);
	free(big);
	assert_int_equal(manifest_load(path, &m, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:65537: file is larger than 65536 bytes",
	    path);
	assert_string_equal(err, want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_example), cmocka_unit_test(t_minimal),
		cmocka_unit_test(t_types), cmocka_unit_test(t_empty),
		cmocka_unit_test(t_size_cap), cmocka_unit_test(t_nul),
		cmocka_unit_test(t_not_utf8),
		cmocka_unit_test(t_syntax_error_passthrough),
		cmocka_unit_test(t_no_plugin_table), cmocka_unit_test(t_root_key),
		cmocka_unit_test(t_unknown_table),
		cmocka_unit_test(t_unknown_subtable),
		cmocka_unit_test(t_unknown_key), cmocka_unit_test(t_dup_key),
		cmocka_unit_test(t_missing_name),
		cmocka_unit_test(t_missing_version),
		cmocka_unit_test(t_missing_type), cmocka_unit_test(t_missing_entry),
		cmocka_unit_test(t_name_type), cmocka_unit_test(t_name_upper),
		cmocka_unit_test(t_name_dash), cmocka_unit_test(t_name_underscore),
		cmocka_unit_test(t_name_empty), cmocka_unit_test(t_name_too_long),
		cmocka_unit_test(t_name_max), cmocka_unit_test(t_versions),
		cmocka_unit_test(t_type_unknown), cmocka_unit_test(t_type_case),
		cmocka_unit_test(t_description_escape),
		cmocka_unit_test(t_description_newline),
		cmocka_unit_test(t_description_bidi),
		cmocka_unit_test(t_description_c1),
		cmocka_unit_test(t_author_type), cmocka_unit_test(t_text_lengths),
		cmocka_unit_test(t_description_unicode),
		cmocka_unit_test(t_entry_empty), cmocka_unit_test(t_entry_string),
		cmocka_unit_test(t_entry_ints),
		cmocka_unit_test(t_entry_empty_arg),
		cmocka_unit_test(t_entry_control),
		cmocka_unit_test(t_entry_count),
		cmocka_unit_test(t_every_permission),
		cmocka_unit_test(t_perm_unknown), cmocka_unit_test(t_perm_case),
		cmocka_unit_test(t_perm_space), cmocka_unit_test(t_perm_dup),
		cmocka_unit_test(t_perm_both), cmocka_unit_test(t_perm_none_api),
		cmocka_unit_test(t_perm_download_none),
		cmocka_unit_test(t_perm_not_array),
		cmocka_unit_test(t_perm_unknown_key),
		cmocka_unit_test(t_network_without_api),
		cmocka_unit_test(t_api_without_network),
		cmocka_unit_test(t_api_without_endpoints),
		cmocka_unit_test(t_api_empty_endpoints),
		cmocka_unit_test(t_ep_no_port), cmocka_unit_test(t_ep_port_zero),
		cmocka_unit_test(t_ep_port_big), cmocka_unit_test(t_ep_port_zeros),
		cmocka_unit_test(t_ep_port_sign), cmocka_unit_test(t_ep_no_host),
		cmocka_unit_test(t_ep_bad_host), cmocka_unit_test(t_ep_dash_host),
		cmocka_unit_test(t_ep_empty_label),
		cmocka_unit_test(t_ep_numeric_host),
		cmocka_unit_test(t_ep_bad_ipv4), cmocka_unit_test(t_ep_long_label),
		cmocka_unit_test(t_ep_bare_v6), cmocka_unit_test(t_ep_bracket_v4),
		cmocka_unit_test(t_ep_bracket_noport), cmocka_unit_test(t_ep_zone),
		cmocka_unit_test(t_ep_v4_prefix), cmocka_unit_test(t_ep_v6_prefix),
		cmocka_unit_test(t_ep_prefix_junk),
		cmocka_unit_test(t_ep_host_bits), cmocka_unit_test(t_ep_cidr_name),
		cmocka_unit_test(t_ep_dup), cmocka_unit_test(t_ep_not_strings),
		cmocka_unit_test(t_ep_forms), cmocka_unit_test(t_ep_count),
		cmocka_unit_test(t_limit_zero), cmocka_unit_test(t_limit_negative),
		cmocka_unit_test(t_limit_huge), cmocka_unit_test(t_limit_wall),
		cmocka_unit_test(t_limit_string),
		cmocka_unit_test(t_limit_unknown),
		cmocka_unit_test(t_python_deps), cmocka_unit_test(t_deps_unknown),
		cmocka_unit_test(t_deps_type),
		cmocka_unit_test(t_error_is_one_line),
		cmocka_unit_test(t_load), cmocka_unit_test(t_load_refusals),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
