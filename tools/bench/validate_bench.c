// SPDX-License-Identifier: MIT
/*
 * Validation-scan benchmark (docs/contract.md §8 "validation scan": <= 50 ms for a
 * 10k-line plugin; docs/PERFORMANCE.md "Validation scan").
 *
 * Generates a plugin of N lines of realistic Python (default 10 000, in
 * modules of 1 000 lines: imports, classes, docstrings, f-strings, dict and
 * list literals, comments, HTTP calls to the embedding service, file reads)
 * plus its plugin.toml, then measures, interleaved in one run:
 *   A  read:      open + read + close of every file of the plugin (the floor)
 *   B  validate:  manifest_load + validate_dir, no cache (install, changed plugin)
 *   C  cached:    the same with a warm cache (before each run of an unchanged plugin)
 * and prints min / median / p90 per method, B/A, and the verdict.
 *
 *   cc -O2 -D_GNU_SOURCE -Iinclude -Iagent/common tools/bench/validate_bench.c $(find agent/common -name '*.c') \
 *      -o build/bench/validate_bench -lbpf -lelf -lz -lcjson -lseccomp -lcrypto -lutf8proc
 *   build/bench/validate_bench [-n ITER] [--lines N] [--keep DIR] [--unicode]
 * --unicode writes the generated code's local names in non-ASCII letters.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "util/stamp.h"
#include "validate/validate.h"
#include "validate/validate_int.h"

#define TARGET_MS 50.0
#define SEED_MS 500.0

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * Local names of the generated code: ASCII, or with --unicode non-ASCII ones
 * (precomposed, decomposed, Greek) that take the identifier check and NFKC
 * path instead of the ASCII fast path; they fold to nothing the rules know.
 */
static const char *ascii_names[] = { "head", "body", "scored" };
static const char *unicode_names[] = { "h\xc3\xa9" "ad", "bo\xcc\x81" "dy", "\xcf\x83" "cored" };
static const char **local_names = ascii_names;

static void emit_module(FILE *f, int mod, int lines)
{
	int n = 0, k = 0;

	n += fprintf(f, "\"\"\"Module %d of the generated benchmark plugin.\n\nIt embeds, ranks and "
		     "formats passages; none of it runs.\n\"\"\"\n", mod) > 0 ? 4 : 0;
	fprintf(f, "import json\nimport os\nimport sys\nimport urllib.request\nfrom dataclasses import "
		"dataclass, field\nfrom typing import Dict, List, Optional\n\n");
	n += 7;
	fprintf(f, "OLLAMA_URL = os.environ.get(\"OLLAMA_URL\", \"http://127.0.0.1:11434\")\n"
		"MODEL = \"nomic-embed-text\"  # the embedding model\n\n");
	n += 3;
	while (n < lines - 30) {
		fprintf(f,
			"\n@dataclass\nclass Passage%1$d_%2$d:\n"
			"    \"\"\"A passage with its score; compared by score, then by id.\"\"\"\n"
			"    ident: str\n    text: str\n    score: float = 0.0\n"
			"    meta: Dict[str, str] = field(default_factory=dict)\n\n"
			"    def render(self, width: int = 80) -> str:\n"
			"        # Short form for logs: id, score, the first words.\n"
			"        %3$s = self.text[: width - 20].replace(\"\\n\", \" \")\n"
			"        return f\"{self.ident:>8} {self.score:6.3f} {%3$s!r}\"\n\n"
			"    def to_json(self) -> str:\n"
			"        return json.dumps({\"id\": self.ident, \"text\": self.text, "
			"\"score\": self.score, \"meta\": self.meta})\n\n"
			"\ndef embed_%1$d_%2$d(text: str, timeout: float = 30.0) -> List[float]:\n"
			"    %4$s = json.dumps({\"model\": MODEL, \"prompt\": text}).encode(\"utf-8\")\n"
			"    req = urllib.request.Request(OLLAMA_URL + \"/api/embeddings\", data=%4$s,\n"
			"                                 headers={\"Content-Type\": \"application/json\"})\n"
			"    with urllib.request.urlopen(req, timeout=timeout) as resp:\n"
			"        return json.load(resp)[\"embedding\"]\n\n"
			"\ndef rank_%1$d_%2$d(query: List[float], items: List[Passage%1$d_%2$d], k: int = 5) -> List[Passage%1$d_%2$d]:\n"
			"    def dot(a, b):\n        return sum(x * y for x, y in zip(a, b))\n"
			"    %5$s = [(dot(query, [float(len(p.text) %% 7)] * len(query)), p) for p in items]\n"
			"    %5$s.sort(key=lambda t: (-t[0], t[1].ident))\n"
			"    return [p for _, p in %5$s[:k]]\n\n"
			"\ndef load_%1$d_%2$d(path: str) -> Optional[str]:\n"
			"    try:\n        with open(path, encoding=\"utf-8\") as fh:\n"
			"            return fh.read()\n"
			"    except OSError as e:\n"
			"        print(f\"{path}: {e.strerror} (skipped)\", file=sys.stderr)\n"
			"        return None\n",
			mod, k, local_names[0], local_names[1], local_names[2]);
		n += 41;
		k++;
	}
	for (; n < lines; n++)
		fprintf(f, "# padding line %d: the generator fills the module to its exact size\n", n);
}

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void stats(const char *name, double *v, int n, double *median)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	*median = v[n / 2];
	printf("  %-10s min %8.3f ms   median %8.3f ms   p90 %8.3f ms\n", name, v[0], v[n / 2],
	       v[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1]);
}

/* A: read every regular file of the plugin, as a plain reader would. */
static size_t read_all(const char *dir, char **names, int nfiles, char *buf, size_t cap)
{
	size_t total = 0;
	char path[4096];

	for (int i = 0; i < nfiles; i++) {
		ssize_t got;
		int fd;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		while ((got = read(fd, buf, cap)) > 0)
			total += (size_t)got;
		close(fd);
	}
	return total;
}

/* A figure as printed with 4 decimals (the BENCH line's ratio is of the printed figures). */
static const char *buf_of(double v)
{
	static char b[2][32];
	static int k;

	k ^= 1;
	snprintf(b[k], sizeof(b[k]), "%.4f", v);
	return b[k];
}

static int scan(const char *dir, const char *cache, struct validate_report *r)
{
	struct validate_opts o = { .cache_dir = cache };
	struct manifest m;
	char path[4096], err[512];
	int rc;

	snprintf(path, sizeof(path), "%s/plugin.toml", dir);
	if (manifest_load(path, &m, err, sizeof(err)) < 0) {
		fprintf(stderr, "validatebench: %s\n", err);
		return -1;
	}
	rc = validate_dir(dir, &m, &o, r, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "validatebench: %s\n", err);
	manifest_free(&m);
	return rc;
}

int main(int argc, char **argv)
{
	int iter = 50, lines = 10000, per = 1000, nfiles = 0;
	const char *keep = NULL;
	char dir[] = "/tmp/ragged-validatebench-XXXXXX", cache[128], path[4200], *names[64];
	static char buf[1 << 16];
	double *ta, *tb, *tc, *td, ma, mb, mc, md;
	struct validate_report r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			iter = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--lines") && i + 1 < argc)
			lines = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--keep") && i + 1 < argc)
			keep = argv[++i];
		else if (!strcmp(argv[i], "--unicode"))
			local_names = unicode_names;
		else {
			fprintf(stderr, "usage: %s [-n ITER] [--lines N] [--keep DIR] [--unicode]\n", argv[0]);
			return 2;
		}
	}
	if (iter < 3 || lines < 100) {
		fprintf(stderr, "validatebench: need -n >= 3 and --lines >= 100\n");
		return 2;
	}
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(cache, sizeof(cache), "%s.cache", dir);
	snprintf(path, sizeof(path), "%s/plugin.toml", dir);
	{
		FILE *f = fopen(path, "w");

		fprintf(f, "[plugin]\nname = \"bench\"\nversion = \"1.0.0\"\ntype = \"embedder\"\n"
			"entry = [\"python3\", \"mod0.py\"]\n\n[permissions]\n"
			"required = [\"read:documents\", \"system:embedding\"]\n");
		fclose(f);
		names[nfiles++] = strdup("plugin.toml");
	}
	for (int m = 0; m * per < lines && nfiles < 64; m++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/mod%d.py", dir, m);
		f = fopen(path, "w");
		emit_module(f, m, lines - m * per < per ? lines - m * per : per);
		fclose(f);
		snprintf(path, sizeof(path), "mod%d.py", m);
		names[nfiles++] = strdup(path);
	}

	/* One untimed pass: page cache warm, and the result checked. */
	if (scan(dir, NULL, &r) < 0)
		return 1;
	printf("# plugin: %d files, %u lines of Python, %llu bytes; %zu finding(s)%s\n", nfiles, r.lines,
	       (unsigned long long)r.bytes, r.n, r.n ? " (expected none):" : "");
	if (r.n)
		validate_report_text(&r, stdout);
	validate_report_free(&r);
	if (scan(dir, cache, &r) < 0)	/* fills the cache for C */
		return 1;
	validate_report_free(&r);

	ta = calloc((size_t)iter, sizeof(double));
	tb = calloc((size_t)iter, sizeof(double));
	tc = calloc((size_t)iter, sizeof(double));
	td = calloc((size_t)iter, sizeof(double));
	for (int i = 0; i < iter; i++) {
		double t0 = now_ms();
		size_t got = read_all(dir, names, nfiles, buf, sizeof(buf));
		double t1 = now_ms();

		if (got == 0)
			return 1;
		ta[i] = t1 - t0;
		t0 = now_ms();
		scan(dir, NULL, &r);
		tb[i] = now_ms() - t0;
		validate_report_free(&r);
		/* C: re-read and hash every file (no stat fingerprint is trusted). */
		file_stamp_settle_s = 1u << 30;
		t0 = now_ms();
		scan(dir, cache, &r);
		tc[i] = now_ms() - t0;
		if (!r.cached)
			fprintf(stderr, "validatebench: cache miss in run %d\n", i);
		validate_report_free(&r);
		/* D: what a run pays for an unchanged plugin (the files were just written: settle 0). */
		file_stamp_settle_s = 0;
		t0 = now_ms();
		scan(dir, cache, &r);
		td[i] = now_ms() - t0;
		if (!r.cached)
			fprintf(stderr, "validatebench: cache miss in run %d\n", i);
		validate_report_free(&r);
	}
	printf("# %d interleaved rounds (A read, B validate, C validate with a warm cache, hashing every"
	       " file; D the same from the stat fingerprint)\n", iter);
	stats("A read", ta, iter, &ma);
	stats("B validate", tb, iter, &mb);
	stats("C cached", tc, iter, &mc);
	stats("D fingerprint", td, iter, &md);
	printf("BENCH metric=validate_%d_lines_vs_50ms value=%s base=%.4f ratio=%.4f target=1 unit=ms\n",
	       lines, buf_of(mb), TARGET_MS, atof(buf_of(mb)) / TARGET_MS);
	printf("BENCH metric=revet_fingerprint_vs_hash value=%.4f base=%.4f ratio=%.4f target=info unit=ms\n",
	       md, mc, atof(buf_of(md)) / atof(buf_of(mc)));
	printf("validatebench: lines=%d read_ms=%.3f validate_ms=%.3f cached_ms=%.3f ratio=%.1f "
	       "lines_per_s=%.0f target_ms=%.0f seed_ms=%.0f %s\n", lines, ma, mb, mc, mb / ma,
	       lines / (mb / 1e3), TARGET_MS, SEED_MS, mb <= TARGET_MS ? "PASS" : "FAIL");
	if (keep) {
		char cmd[8500];

		snprintf(cmd, sizeof(cmd), "cp -r %s %s", dir, keep);
		if (system(cmd) != 0)
			fprintf(stderr, "validatebench: could not keep the plugin in %s\n", keep);
	}
	nftw(dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	nftw(cache, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	for (int i = 0; i < nfiles; i++)
		free(names[i]);
	free(ta);
	free(tb);
	free(tc);
	free(td);
	return mb <= TARGET_MS ? 0 : 3;
}
