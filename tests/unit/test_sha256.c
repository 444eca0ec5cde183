// SPDX-License-Identifier: MIT
/*
 * The client's SHA-256 (agent/ctl/sha256_nettle.c) against the
 * standard vectors and against the agent's (OpenSSL) implementation on
 * every length around the block boundaries and split updates: the two must
 * give the same digests, or the client and the agent would disagree about
 * a plugin's content.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/util.h"

/* The client's (Nettle) under other names, beside the archive's OpenSSL one. */
#include <nettle/sha2.h>
#undef sha256_init
#undef sha256_update
#undef sha256_digest
#define RAGGED_SHA256_RENAMED
#define sha256_init builtin_sha256_init
#define sha256_update builtin_sha256_update
#define sha256_final builtin_sha256_final
#define sha256_digest builtin_sha256_digest
#include "../../agent/ctl/sha256_nettle.c"
#undef sha256_init
#undef sha256_update
#undef sha256_final
#undef sha256_digest
/* Nettle is loaded at the first hash, by the client's loader. */
#include "../../agent/ctl/dl.c"

/* The client's error path (client.c), reduced to what the loader's tests read. */
static char last_err[512];

void ctl_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_err, sizeof(last_err), fmt, ap);
	va_end(ap);
}

int ctl_finish(int status)
{
	return status;
}

static void hex_of(const void *p, size_t n, char out[65])
{
	unsigned char md[32];

	builtin_sha256_digest(p, n, md);
	sha256_hex(md, out);
}

/* A library that is not there, or lacks a symbol: the reason, and io_error. */
static void loader_errors(void **state)
{
	static const char *const names[] = { "nettle_sha256_init", "ragged_no_such_symbol" };
	void *slots[2];
	char err[512] = "";
	int status;
	pid_t pid;

	(void)state;
	assert_int_equal(ctl_dl_load("libragged-none.so.0", names, slots, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "libragged-none.so.0"));
	assert_int_equal(ctl_dl_load(RAGGED_NETTLE_SONAME, names, slots, 2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no ragged_no_such_symbol"));
	assert_int_equal(ctl_dl_load(RAGGED_NETTLE_SONAME, names, slots, 1, err, sizeof(err)), 0);
	assert_non_null(slots[0]);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		ctl_dl_need("libragged-none.so.0", names, slots, 1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == EXIT_IO);
}

static void standard_vectors(void **state)
{
	char hex[65];
	char *million = malloc(1000000);

	(void)state;
	hex_of("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hex_of("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	assert_non_null(million);
	memset(million, 'a', 1000000);
	hex_of(million, 1000000, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

static void same_as_the_agents(void **state)
{
	unsigned char data[300], a[32], b[32];
	struct sha256 c;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 131 + 7);
	for (size_t n = 0; n <= sizeof(data); n++) {
		sha256_digest(data, n, a);
		builtin_sha256_digest(data, n, b);
		assert_memory_equal(a, b, 32);
		/* the same bytes in two updates, split anywhere */
		for (size_t cut = 0; cut <= n; cut += 17) {
			builtin_sha256_init(&c);
			builtin_sha256_update(&c, data, cut);
			builtin_sha256_update(&c, data + cut, n - cut);
			builtin_sha256_final(&c, b);
			assert_memory_equal(a, b, 32);
			sha256_init(&c);
			sha256_update(&c, data, cut);
			sha256_update(&c, data + cut, n - cut);
			sha256_final(&c, b);
			assert_memory_equal(a, b, 32);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loader_errors),
		cmocka_unit_test(standard_vectors),
		cmocka_unit_test(same_as_the_agents),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
