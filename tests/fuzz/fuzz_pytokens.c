// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the Python tokenizer and the rules on top of it
 * (and the shell rules, which get the same bytes). Beyond "no crash, no
 * leak", it checks what pytokens.h promises: tokens in order and inside
 * the input, line numbers that only grow, string bodies and f-string
 * fields inside their token, non-ASCII names checked as CPython checks
 * identifiers, and findings that name a catalog rule.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "validate/pyident.h"
#include "validate/pytokens.h"
#include "validate/validate.h"

static void check_tokens(const char *src, size_t size, const struct pyt_stream *s)
{
	uint32_t prev_end = 0, prev_line = 1, cp;
	size_t at;
	char buf[256];

	for (size_t i = 0; i < s->n; i++) {
		const struct pyt_token *t = &s->t[i];

		if (t->off < prev_end || (size_t)t->off + t->len > size || t->line < prev_line ||
		    t->line > (s->lines ? s->lines : 1) || t->kind > PYT_ERROR)
			abort();
		if (t->kind == PYT_STRING || (t->flags & PYT_STR_UNTERM)) {
			if (t->body_off < t->off || t->body_off + t->body_len > t->off + t->len)
				abort();
			if ((size_t)t->field0 + t->nfields > s->nfields)
				abort();
			for (uint32_t k = 0; k < t->nfields; k++) {
				const struct pyt_field *f = &s->fields[t->field0 + k];

				if (f->off < t->body_off || f->off + f->len > t->body_off + t->body_len ||
				    f->line < t->line)
					abort();
			}
			if (pyt_string_value(src, t, buf, sizeof(buf)) < strlen(buf))
				abort();
		}
		if (t->kind == PYT_NAME) {
			pyt_name_fold(src, t, buf, sizeof(buf));
			if (strlen(buf) >= sizeof(buf))
				abort();
		}
		/* Non-ASCII names are what CPython accepts; what it rejects is an error. */
		if ((t->flags & PYT_NAME_NONASCII) && t->kind == PYT_NAME &&
		    pyid_check(src + t->off, t->len, &cp, &at) !=
		    ((t->flags & PYT_NAME_UNKNOWN) ? PYID_UNKNOWN : PYID_OK))
			abort();
		if (t->kind == PYT_ERROR && (t->flags & PYT_NAME_INVALID) &&
		    (pyid_check(src + t->off, t->len, &cp, &at) != PYID_INVALID || at >= t->len))
			abort();
		if (t->kind != PYT_NEWLINE)	/* a NEWLINE may sit at the very end */
			prev_end = t->off + t->len;
		prev_line = t->line;
	}
}

static void check_report(const struct validate_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct validate_finding *f = &r->findings[i];

		if (validate_rule_find(f->rule->id) != f->rule || f->severity > SEV_CRITICAL ||
		    !f->message || (i > 0 && f->severity > r->findings[i - 1].severity))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *src = (const char *)data;
	struct validate_report r;
	struct pyt_stream s;

	if (pyt_tokenize(src, size, 1, &s) == 0)
		check_tokens(src, size, &s);
	pyt_free(&s);
	validate_python_buffer("fuzz.py", src, size, &r);
	check_report(&r);
	validate_report_free(&r);
	validate_shell_buffer("fuzz.sh", src, size, &r);
	check_report(&r);
	validate_report_free(&r);
	return 0;
}
