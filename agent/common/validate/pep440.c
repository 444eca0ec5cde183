// SPDX-License-Identifier: MIT
/* PEP 440 versions and PEP 503 names (osv.h). */
#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osv.h"

/* Digits at *p into *out; false on none or overflow. */
static bool number(const char **p, unsigned long long *out)
{
	unsigned long long v = 0;

	if (!isdigit((unsigned char)**p))
		return false;
	while (isdigit((unsigned char)**p)) {
		unsigned d = (unsigned)(**p - '0');

		if (v > (ULLONG_MAX - d) / 10)
			return false;
		v = v * 10 + d;
		(*p)++;
	}
	*out = v;
	return true;
}

static bool word(const char **p, const char *w)
{
	size_t n = strlen(w);

	if (strncmp(*p, w, n) != 0)
		return false;
	*p += n;
	return true;
}

static void skip_sep(const char **p)
{
	if (**p == '-' || **p == '_' || **p == '.')
		(*p)++;
}

int pep440_parse(const char *s, struct pep440 *v)
{
	char buf[128], *q;
	const char *p, *save;

	memset(v, 0, sizeof(*v));
	v->pre = -1;
	while (*s == ' ' || *s == '\t')
		s++;
	if (strlen(s) >= sizeof(buf))
		return -1;
	for (q = buf; *s; s++)
		*q++ = (char)tolower((unsigned char)*s);
	while (q > buf && (q[-1] == ' ' || q[-1] == '\t'))
		q--;
	*q = '\0';
	p = buf;
	if (*p == 'v')
		p++;
	save = p;
	if (number(&p, &v->epoch) && *p == '!')
		p++;
	else
		p = save, v->epoch = 0;
	do {
		if (v->nrelease == PEP440_MAX_RELEASE || !number(&p, &v->release[v->nrelease++]))
			return -1;
	} while (*p == '.' && isdigit((unsigned char)p[1]) && p++);
	while (v->nrelease > 0 && v->release[v->nrelease - 1] == 0)
		v->nrelease--;
	/* Pre-release: a, alpha, b, beta, c, rc, pre, preview. */
	save = p;
	skip_sep(&p);
	if (word(&p, "alpha") || word(&p, "a"))
		v->pre = 0;
	else if (word(&p, "beta") || word(&p, "b"))
		v->pre = 1;
	else if (word(&p, "rc") || word(&p, "c") || word(&p, "preview") || word(&p, "pre"))
		v->pre = 2;
	if (v->pre >= 0) {
		const char *n = p;

		skip_sep(&n);
		if (number(&n, &v->pre_n))
			p = n;
	} else {
		p = save;
	}
	/* Post-release: post, rev, r, or the implicit "-N". */
	save = p;
	if (*p == '-' && isdigit((unsigned char)p[1])) {
		p++;
		v->has_post = number(&p, &v->post);
	} else {
		skip_sep(&p);
		if (word(&p, "post") || word(&p, "rev") || word(&p, "r")) {
			const char *n = p;

			v->has_post = true;
			skip_sep(&n);
			if (number(&n, &v->post))
				p = n;
		} else {
			p = save;
		}
	}
	save = p;
	skip_sep(&p);
	if (word(&p, "dev")) {
		const char *n = p;

		v->has_dev = true;
		skip_sep(&n);
		if (number(&n, &v->dev))
			p = n;
	} else {
		p = save;
	}
	if (*p == '+') {
		size_t n = 0;

		for (p++; *p; p++) {
			char c = *p == '-' || *p == '_' ? '.' : *p;

			if (!(isalnum((unsigned char)c) || c == '.') || n + 1 >= sizeof(v->local) ||
			    (c == '.' && (n == 0 || v->local[n - 1] == '.')))
				return -1;
			v->local[n++] = c;
		}
		if (n == 0 || v->local[n - 1] == '.')
			return -1;
		v->local[n] = '\0';
	}
	return *p == '\0' ? 0 : -1;
}

static int ucmp(unsigned long long a, unsigned long long b)
{
	return a < b ? -1 : a > b;
}

/* Local segments: numbers above strings, numbers numerically, shorter first. */
static int local_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		size_t na = strcspn(a, "."), nb = strcspn(b, ".");
		bool da = strspn(a, "0123456789") == na, db = strspn(b, "0123456789") == nb;
		int c;

		if (da != db)
			return da ? 1 : -1;
		if (da) {
			unsigned long long x = strtoull(a, NULL, 10), y = strtoull(b, NULL, 10);

			c = ucmp(x, y);
		} else {
			c = strncmp(a, b, na < nb ? na : nb);
			if (c == 0)
				c = ucmp(na, nb);
		}
		if (c)
			return c;
		a += na + (a[na] == '.');
		b += nb + (b[nb] == '.');
	}
	return *a ? 1 : *b ? -1 : 0;
}

int pep440_cmp(const struct pep440 *a, const struct pep440 *b)
{
	int c, n = a->nrelease > b->nrelease ? a->nrelease : b->nrelease;
	/* Phase: 0 dev-only (before every pre-release), 1 pre-release, 2 final. */
	int pa = a->pre >= 0 ? 1 : (!a->has_post && a->has_dev) ? 0 : 2;
	int pb = b->pre >= 0 ? 1 : (!b->has_post && b->has_dev) ? 0 : 2;

	if ((c = ucmp(a->epoch, b->epoch)))
		return c;
	for (int i = 0; i < n; i++)
		if ((c = ucmp(i < a->nrelease ? a->release[i] : 0, i < b->nrelease ? b->release[i] : 0)))
			return c;
	if (pa != pb)
		return pa < pb ? -1 : 1;
	if (pa == 1 && ((c = a->pre - b->pre) || (c = ucmp(a->pre_n, b->pre_n))))
		return c < 0 ? -1 : 1;
	if (a->has_post != b->has_post)
		return a->has_post ? 1 : -1;
	if (a->has_post && (c = ucmp(a->post, b->post)))
		return c;
	if (a->has_dev != b->has_dev)
		return a->has_dev ? -1 : 1;
	if (a->has_dev && (c = ucmp(a->dev, b->dev)))
		return c;
	if (!a->local[0] != !b->local[0])
		return a->local[0] ? 1 : -1;
	return local_cmp(a->local, b->local);
}

int pep440_cmp_str(const char *a, const char *b, int *cmp)
{
	struct pep440 x, y;

	if (pep440_parse(a, &x) < 0 || pep440_parse(b, &y) < 0)
		return -1;
	*cmp = pep440_cmp(&x, &y);
	return 0;
}

void pypi_normalize(const char *in, char *out, size_t outlen)
{
	size_t n = 0;
	bool sep = false;

	if (outlen == 0)
		return;
	for (; *in && n + 1 < outlen; in++) {
		if (*in == '-' || *in == '_' || *in == '.') {
			sep = true;
			continue;
		}
		if (sep && n > 0) {
			if (n + 2 >= outlen)
				break;	/* truncated to a prefix of the normal form */
			out[n++] = '-';
		}
		sep = false;
		out[n++] = (char)tolower((unsigned char)*in);
	}
	out[n] = '\0';
}
