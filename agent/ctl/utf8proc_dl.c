// SPDX-License-Identifier: MIT
/*
 * The utf8proc calls of the validator (agent/common/validate/pyident.c),
 * for raggedctl: the same symbols, linked ahead of the common archive, that
 * load libutf8proc at the first call (dl.c). Only `plugin validate` and
 * `plugin install` normalise identifiers; every other start of the client,
 * `raggedctl run` above all, never maps the library. The agent links
 * libutf8proc itself.
 */
#include <stddef.h>
#include <utf8proc.h>

#include "ctl.h"

#define UTF8PROC_CALLS(X)                                                                   \
	X(utf8proc_category)                                                                \
	X(utf8proc_decompose)                                                               \
	X(utf8proc_decompose_char)                                                          \
	X(utf8proc_encode_char)                                                             \
	X(utf8proc_get_property)                                                            \
	X(utf8proc_iterate)                                                                 \
	X(utf8proc_normalize_utf32)                                                         \
	X(utf8proc_unicode_version)

static struct {
#define SLOT(f) __typeof__(f) *f;
	UTF8PROC_CALLS(SLOT)
#undef SLOT
} U;

static void load(void)
{
	static const char *const names[] = {
#define NAME(f) #f,
		UTF8PROC_CALLS(NAME)
#undef NAME
	};
	void *slots[sizeof(names) / sizeof(names[0])];
	size_t i = 0;

	if (U.utf8proc_unicode_version)
		return;
	ctl_dl_need(RAGGED_UTF8PROC_SONAME, names, slots, sizeof(names) / sizeof(names[0]));
#define FILL(f) U.f = (__typeof__(U.f))slots[i++];
	UTF8PROC_CALLS(FILL)
#undef FILL
}

utf8proc_category_t utf8proc_category(utf8proc_int32_t c)
{
	load();
	return U.utf8proc_category(c);
}

utf8proc_ssize_t utf8proc_decompose(const utf8proc_uint8_t *str, utf8proc_ssize_t len,
				    utf8proc_int32_t *buf, utf8proc_ssize_t size,
				    utf8proc_option_t options)
{
	load();
	return U.utf8proc_decompose(str, len, buf, size, options);
}

utf8proc_ssize_t utf8proc_decompose_char(utf8proc_int32_t c, utf8proc_int32_t *dst,
					 utf8proc_ssize_t size, utf8proc_option_t options,
					 int *last_boundclass)
{
	load();
	return U.utf8proc_decompose_char(c, dst, size, options, last_boundclass);
}

utf8proc_ssize_t utf8proc_encode_char(utf8proc_int32_t c, utf8proc_uint8_t *dst)
{
	load();
	return U.utf8proc_encode_char(c, dst);
}

const utf8proc_property_t *utf8proc_get_property(utf8proc_int32_t c)
{
	load();
	return U.utf8proc_get_property(c);
}

utf8proc_ssize_t utf8proc_iterate(const utf8proc_uint8_t *str, utf8proc_ssize_t len,
				  utf8proc_int32_t *c)
{
	load();
	return U.utf8proc_iterate(str, len, c);
}

utf8proc_ssize_t utf8proc_normalize_utf32(utf8proc_int32_t *buf, utf8proc_ssize_t len,
					  utf8proc_option_t options)
{
	load();
	return U.utf8proc_normalize_utf32(buf, len, options);
}

const char *utf8proc_unicode_version(void)
{
	load();
	return U.utf8proc_unicode_version();
}
