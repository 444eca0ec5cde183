// SPDX-License-Identifier: MIT
/*
 * The validator's rule catalog and its one report model: findings, their
 * order, JSON and text, the cache form, and the exposure score.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "validate_int.h"

#define R(id, sev, title, fix) { id, sev, title, fix }
const struct validate_rule validate_rules[] = {
	R("manifest-invalid", SEV_CRITICAL, "plugin.toml does not parse",
	  "Fix the error named in the message; docs/manifest.md has the format."),
	R("entry-missing", SEV_CRITICAL, "the entry point does not exist",
	  "Ship the file named in [plugin] entry, or correct the entry."),
	R("entry-outside", SEV_CRITICAL, "the entry point leaves the plugin directory",
	  "Point entry at a file inside the plugin directory (a relative path without \"..\")."),
	R("entry-not-executable", SEV_HIGH, "the entry program is not executable",
	  "chmod +x the file, or start it through its interpreter (entry = [\"python3\", \"main.py\"])."),
	R("entry-inline-code", SEV_HIGH, "the entry runs code given on the command line",
	  "Put the code in a file of the plugin and name that file in entry."),
	R("fs-symlink-escape", SEV_CRITICAL, "a symlink points out of the plugin directory",
	  "Remove the link; ship the file itself, or ask for the permission that covers its target."),
	R("fs-world-writable", SEV_HIGH, "a file or directory is writable by every user",
	  "chmod o-w it: anyone on the machine could change what the plugin runs."),
	R("fs-setuid", SEV_CRITICAL, "a file has the setuid or setgid bit",
	  "chmod u-s,g-s it: plugins never need to change identity."),
	R("fs-special-file", SEV_HIGH, "a device, FIFO or socket is in the plugin directory",
	  "Remove it: a plugin ships regular files and directories only."),
	R("fs-hardlink", SEV_MEDIUM, "a file has more than one hard link",
	  "Copy the file instead of linking it: a hard link may alias a file outside the plugin."),
	R("fs-limit", SEV_HIGH, "part of the plugin was not analysed (size, count or depth cap)",
	  "Keep the plugin small: move data and models out of the plugin directory."),
	R("fs-unreadable", SEV_HIGH, "a file could not be read for analysis",
	  "Make every file of the plugin readable by its owner."),
	R("py-eval-exec", SEV_HIGH, "eval/exec/compile runs code built at run time",
	  "Parse data with json or ast.literal_eval; call functions directly instead of building code."),
	R("py-obfuscated-exec", SEV_CRITICAL, "code decoded from base64/zlib/hex/... is executed",
	  "Ship readable source: code hidden in encoded strings cannot be reviewed."),
	R("py-encoded-payload", SEV_MEDIUM, "a long encoded literal is decoded at run time",
	  "Ship data as a file in a readable format, not as an encoded literal in code."),
	R("py-shell", SEV_HIGH, "the plugin starts programs (os.system, subprocess, pty, ...)",
	  "Do the work in Python; if a program is unavoidable, call it with a fixed argv list, never a shell string."),
	R("py-native-code", SEV_HIGH, "ctypes/cffi call native code directly",
	  "Use a maintained Python package instead of calling C functions by hand."),
	R("py-dynamic-import", SEV_HIGH, "a module name is computed at run time",
	  "Import modules with a plain import statement."),
	R("py-getattr-builtins", SEV_CRITICAL, "a builtin is looked up by a computed name",
	  "Call the function by name; never fetch builtins with getattr or subscripts."),
	R("py-introspection", SEV_HIGH, "interpreter internals used to reach hidden objects",
	  "Remove uses of __subclasses__/__globals__/__builtins__ internals: they serve sandbox escapes."),
	R("py-unsafe-deserialization", SEV_HIGH, "pickle/marshal-style loading runs code from data",
	  "Load data with json (or safetensors for tensors); pass weights_only=True to torch.load."),
	R("py-raw-socket", SEV_HIGH, "raw, packet or netlink sockets",
	  "Use TCP through a network:* permission; raw sockets are always denied."),
	R("py-secret-path", SEV_CRITICAL, "a literal path to credentials or a browser profile",
	  "Remove it: plugins never read SSH keys, /etc/shadow, cloud credentials or browser data."),
	R("py-unicode-identifier", SEV_HIGH, "an identifier disguised with look-alike Unicode",
	  "Write identifiers in ASCII: Python folds these characters, so they hide what is called."),
	R("py-bytecode", SEV_HIGH, "compiled Python bytecode (.pyc/.pyo) ships with the plugin",
	  "Ship source only: bytecode runs instead of the source that was reviewed."),
	R("py-source-encoding", SEV_CRITICAL, "the file declares a source encoding other than UTF-8",
	  "Save the file as UTF-8 and remove the coding declaration (or declare utf-8)."),
	R("py-unparsable", SEV_MEDIUM, "the file does not tokenize: analysis may be incomplete",
	  "Fix the syntax error (unterminated string or stray character)."),
	R("sh-pipe-to-shell", SEV_CRITICAL, "a download is piped into an interpreter",
	  "Ship the script with the plugin; never run code fetched at run time."),
	R("sh-dev-tcp", SEV_CRITICAL, "/dev/tcp or /dev/udp redirection (a raw network channel)",
	  "Remove it: this is the classic reverse-shell channel."),
	R("sh-netcat", SEV_HIGH, "nc/ncat/netcat/socat",
	  "Use a normal client for a declared endpoint; nc with -e/-c is a remote shell."),
	R("sh-secret-path", SEV_CRITICAL, "a path to credentials or a browser profile in a script",
	  "Remove it: plugins never read SSH keys, /etc/shadow, cloud credentials or browser data."),
	R("elf-dangerous-import", SEV_CRITICAL, "a binary imports a kernel-level system call wrapper",
	  "Remove the binary or the call: ptrace, mount, bpf, module loading and namespaces are denied."),
	R("elf-static", SEV_MEDIUM, "a statically linked binary: its imports cannot be listed",
	  "Ship dynamically linked binaries, or source."),
	R("elf-malformed", SEV_HIGH, "a file looks like ELF but does not parse",
	  "Remove the damaged file."),
	R("elf-binary", SEV_INFO, "a native binary ships with the plugin",
	  "Prefer source: a binary is reviewed only by its imports."),
	R("perm-undeclared-network", SEV_HIGH, "the code uses the network without a permission for it",
	  "Declare network:api (with [network] endpoints), network:download, or the system:* permission of the local service."),
	R("perm-undeclared-write", SEV_MEDIUM, "the code writes files without a write permission",
	  "Declare write:documents or write:config, or write only under $TMPDIR (the run's scratch dir)."),
	R("perm-endpoint-undeclared", SEV_MEDIUM, "a URL's host is not among the declared endpoints",
	  "Add host:port to [network] endpoints, or remove the URL."),
	R("perm-endpoint-local", SEV_HIGH, "a network endpoint names this host, its link or a private network",
	  "Name the remote host the plugin needs: loopback, link-local and private addresses reach the user's own services."),
	R("perm-unused", SEV_INFO, "a declared permission is never used by the code",
	  "Remove it from the manifest (least privilege)."),
	R("dep-vulnerable", SEV_HIGH, "a pinned dependency has a known vulnerability",
	  "Pin a fixed version (named in the message)."),
	R("dep-unpinned", SEV_LOW, "a dependency is not pinned with ==: it cannot be checked",
	  "Pin every dependency with name==version."),
	R("dep-invalid", SEV_MEDIUM, "a dependency specification does not parse",
	  "Write dependencies as PEP 508 requirements, e.g. \"requests==2.32.4\"."),
	R("dep-db-unavailable", SEV_INFO, "no advisory database: dependencies were not checked",
	  "Install an OSV database and point the validator at it (--osv-db)."),
	R("dep-db-stale", SEV_LOW, "the advisory data is older than advisories.max_age_days",
	  "Run raggedctl advisories update (the ragged-advisories timer does it daily)."),
	{ NULL, 0, NULL, NULL },
};
#undef R

const struct validate_rule *validate_rule_find(const char *id)
{
	for (const struct validate_rule *r = validate_rules; id && r->id; r++)
		if (strcmp(r->id, id) == 0)
			return r;
	return NULL;
}

static const char *const sev_names[] = { "info", "low", "medium", "high", "critical" };

const char *severity_name(enum severity s)
{
	return (unsigned)s <= SEV_CRITICAL ? sev_names[s] : "?";
}

int severity_parse(const char *s, enum severity *out)
{
	for (int i = 0; s && i <= SEV_CRITICAL; i++)
		if (strcmp(s, sev_names[i]) == 0) {
			*out = (enum severity)i;
			return 0;
		}
	return -1;
}

const char *validate_use_name(uint32_t use)
{
	static const char *const names[VUSE_COUNT] = { "network", "file-read", "file-write",
						       "process", "native", "dynamic-code" };

	for (int i = 0; i < VUSE_COUNT; i++)
		if (use == (1u << i))
			return names[i];
	return NULL;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

int report_add(struct validate_report *r, const struct validate_rule *rule, enum severity sev,
	       const char *file, unsigned line, const char *msg)
{
	unsigned same = 0;
	struct validate_finding *f;

	for (size_t i = 0; i < r->n; i++) {
		f = &r->findings[i];
		if (f->rule != rule || !str_eq(f->file, file))
			continue;
		if (f->line == line && f->severity == sev && strcmp(f->message, msg) == 0)
			return 0;	/* the same finding twice (f-string fields, nested code) */
		same++;
	}
	if (same >= VALIDATE_MAX_REPEAT || r->n >= VALIDATE_MAX_FINDINGS) {
		r->dropped++;
		return 0;
	}
	if (ARRAY_RESERVE(r->findings, r->n, r->cap, 16) < 0)
		return -1;
	f = &r->findings[r->n];
	f->rule = rule;
	f->severity = sev;
	f->line = line;
	f->file = file ? strdup(file) : NULL;
	f->message = strdup(msg);
	if (!f->message || (file && !f->file)) {
		free(f->file);
		free(f->message);
		return -1;
	}
	r->n++;
	return 0;
}

static int cmp_finding(const void *pa, const void *pb)
{
	const struct validate_finding *a = pa, *b = pb;
	int c;

	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	if (!a->file != !b->file)
		return a->file ? 1 : -1;	/* whole-plugin findings first */
	if (a->file && (c = strcmp(a->file, b->file)) != 0)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if ((c = strcmp(a->rule->id, b->rule->id)) != 0)
		return c;
	return strcmp(a->message, b->message);
}

void report_sort(struct validate_report *r)
{
	if (r->n > 1)
		qsort(r->findings, r->n, sizeof(r->findings[0]), cmp_finding);
}

bool validate_blocks(const struct validate_report *r, enum severity threshold)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->findings[i].severity >= threshold)
			return true;
	return false;
}

void validate_counts(const struct validate_report *r, unsigned counts[5])
{
	memset(counts, 0, 5 * sizeof(counts[0]));
	for (size_t i = 0; i < r->n; i++)
		counts[r->findings[i].severity]++;
}

int validate_add_manifest_error(struct validate_report *r, const char *err)
{
	int rc = report_add(r, validate_rule_find("manifest-invalid"), SEV_CRITICAL, "plugin.toml", 0,
			    err && *err ? err : "plugin.toml: invalid");

	report_sort(r);
	return rc;
}

cJSON *validate_finding_json(const struct validate_finding *f)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "rule", f->rule->id);
	cJSON_AddStringToObject(o, "severity", severity_name(f->severity));
	if (f->file)
		cJSON_AddStringToObject(o, "file", f->file);
	else
		cJSON_AddNullToObject(o, "file");
	cJSON_AddNumberToObject(o, "line", f->line);
	cJSON_AddStringToObject(o, "message", f->message);
	cJSON_AddStringToObject(o, "remediation", f->rule->remediation);
	return o;
}

cJSON *validate_report_json(const struct validate_report *r)
{
	cJSON *o = cJSON_CreateObject(), *uses, *counts, *arr;
	unsigned c[5];

	cJSON_AddStringToObject(o, "digest", r->digest);
	cJSON_AddStringToObject(o, "ruleset", VALIDATE_RULESET_VERSION);
	cJSON_AddBoolToObject(o, "complete", r->complete);
	cJSON_AddBoolToObject(o, "cached", r->cached);
	cJSON_AddNumberToObject(o, "files", r->files);
	cJSON_AddNumberToObject(o, "lines", r->lines);
	cJSON_AddNumberToObject(o, "bytes", (double)r->bytes);
	uses = cJSON_AddArrayToObject(o, "uses");
	for (int i = 0; i < VUSE_COUNT; i++)
		if (r->uses & (1u << i))
			cJSON_AddItemToArray(uses, cJSON_CreateString(validate_use_name(1u << i)));
	validate_counts(r, c);
	counts = cJSON_AddObjectToObject(o, "counts");
	for (int s = SEV_CRITICAL; s >= SEV_INFO; s--)
		cJSON_AddNumberToObject(counts, severity_name((enum severity)s), c[s]);
	cJSON_AddNumberToObject(o, "dropped", (double)r->dropped);
	arr = cJSON_AddArrayToObject(o, "findings");
	for (size_t i = 0; i < r->n; i++)
		cJSON_AddItemToArray(arr, validate_finding_json(&r->findings[i]));
	return o;
}

void validate_report_text(const struct validate_report *r, FILE *out)
{
	unsigned c[5];
	char where[TEXT_ESCAPE_MAX(256) + 16], file[TEXT_ESCAPE_MAX(256)];
	char msg[TEXT_ESCAPE_MAX(512)];

	/* File names and messages quote the plugin's own text: escaped (textesc.h). */
	if (r->n == 0)
		fprintf(out, "no findings\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct validate_finding *f = &r->findings[i];

		text_escape_to(file, sizeof(file), f->file);
		text_escape_to(msg, sizeof(msg), f->message);
		if (!f->file)
			snprintf(where, sizeof(where), "(plugin)");
		else if (f->line)
			snprintf(where, sizeof(where), "%s:%u", file, f->line);
		else
			snprintf(where, sizeof(where), "%s", file);
		fprintf(out, "%-8s %-26s %s\n         %s\n         fix: %s\n",
			severity_name(f->severity), f->rule->id, where, msg,
			f->rule->remediation);
	}
	validate_counts(r, c);
	fprintf(out, "%zu finding(s): %u critical, %u high, %u medium, %u low, %u info",
		r->n, c[SEV_CRITICAL], c[SEV_HIGH], c[SEV_MEDIUM], c[SEV_LOW], c[SEV_INFO]);
	if (r->dropped)
		fprintf(out, " (%zu repeats not listed)", r->dropped);
	fprintf(out, "%s\n", r->complete ? "" : "; analysis incomplete (see fs-limit)");
}

void validate_report_free(struct validate_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->findings[i].file);
		free(r->findings[i].message);
	}
	free(r->findings);
	memset(r, 0, sizeof(*r));
}

/* The cache form is validate_report_json's; anything unexpected is a miss. */
int report_from_json(struct validate_report *r, const cJSON *j)
{
	const cJSON *f, *it;
	double v;

	memset(r, 0, sizeof(*r));
	if (!cJSON_IsObject(j) || !cJSON_IsArray(f = cJSON_GetObjectItemCaseSensitive(j, "findings")))
		return -1;
	it = cJSON_GetObjectItemCaseSensitive(j, "ruleset");
	if (!cJSON_IsString(it) || strcmp(it->valuestring, VALIDATE_RULESET_VERSION) != 0)
		return -1;
	cJSON_ArrayForEach(it, f) {
		const char *rule = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "rule"));
		const char *sev = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "severity"));
		const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "message"));
		const cJSON *file = cJSON_GetObjectItemCaseSensitive(it, "file");
		const cJSON *line = cJSON_GetObjectItemCaseSensitive(it, "line");
		const struct validate_rule *ru = validate_rule_find(rule);
		enum severity s;

		if (!ru || severity_parse(sev, &s) < 0 || !msg || !cJSON_IsNumber(line) ||
		    line->valuedouble < 0 || line->valuedouble > 1e9 ||
		    !(cJSON_IsNull(file) || cJSON_IsString(file)) ||
		    report_add(r, ru, s, cJSON_IsString(file) ? file->valuestring : NULL,
			       (unsigned)line->valuedouble, msg) < 0) {
			validate_report_free(r);
			return -1;
		}
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(j, "uses"))
		for (int i = 0; cJSON_IsString(it) && i < VUSE_COUNT; i++)
			if (strcmp(it->valuestring, validate_use_name(1u << i)) == 0)
				r->uses |= 1u << i;
	v = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "dropped"));
	r->dropped = v > 0 && v < 1e9 ? (size_t)v : 0;
	v = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "lines"));
	r->lines = v > 0 && v < 4e9 ? (unsigned)v : 0;
	r->complete = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "complete"));
	report_sort(r);
	return 0;
}

static void reason(cJSON *arr, int *score, int points, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void reason(cJSON *arr, int *score, int points, const char *fmt, ...)
{
	cJSON *o = cJSON_CreateObject();
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cJSON_AddNumberToObject(o, "points", points);
	cJSON_AddStringToObject(o, "reason", buf);
	cJSON_AddItemToArray(arr, o);
	*score += points;
}

#define NET_PERMS (RAGGED_PERM_BIT(RAGGED_PERM_NETWORK_API) | RAGGED_PERM_BIT(RAGGED_PERM_NETWORK_DOWNLOAD))
#define DATA_PERMS (RAGGED_PERM_BIT(RAGGED_PERM_READ_DOCUMENTS) | \
		    RAGGED_PERM_BIT(RAGGED_PERM_READ_CONFIG) | RAGGED_PERM_BIT(RAGGED_PERM_SYSTEM_MEMORY))

/*
 * Points: each permission in force by its catalog risk (high 12, medium 6),
 * one requested but not granted a third of that (it is one "yes" away),
 * 15 more when private data and the open network meet (the exfiltration
 * path), findings by severity (critical 30, high 12, medium 4, low 1, capped
 * at 45), 8 per sandbox escape attempt (capped at 40), 2 per violation
 * (capped at 20), 3 per limit kill (capped at 9), 20 for an enforcement
 * mode that is neither bpf-lsm nor landlock. The score is capped at 100.
 */
cJSON *validate_exposure(const struct exposure_input *in)
{
	static const int sev_points[] = { 0, 1, 4, 12, 30 };
	uint32_t eff = in->granted_known ? in->granted : in->requested;
	cJSON *o = cJSON_CreateObject(), *reasons;
	int score = 0, fpts = 0;
	unsigned c[5] = { 0 };

	reasons = cJSON_CreateArray();
	for (int p = 0; p < RAGGED_PERM_COUNT; p++) {
		const struct perm_info *pi = perm_info((enum ragged_perm)p);

		if (pi->risk == RISK_NONE)
			continue;
		if (eff & RAGGED_PERM_BIT(p))
			reason(reasons, &score, pi->risk == RISK_HIGH ? 12 : 6, "%s %s (%s risk)",
			       pi->name, in->granted_known ? "granted" : "requested, grants unknown",
			       perm_risk_name(pi->risk));
		else if (in->requested & RAGGED_PERM_BIT(p))
			reason(reasons, &score, pi->risk == RISK_HIGH ? 4 : 2,
			       "%s requested, not granted (%s risk if it is)", pi->name,
			       perm_risk_name(pi->risk));
	}
	if ((eff & NET_PERMS) && (eff & DATA_PERMS))
		reason(reasons, &score, 15, "can read private data and reach the network "
		       "(an exfiltration path)");
	if (in->report || in->recorded) {
		bool complete = in->report ? in->report->complete : in->recorded->complete;

		if (in->report)
			validate_counts(in->report, c);
		else
			memcpy(c, in->recorded->counts, sizeof(c));
		for (int s = SEV_CRITICAL; s >= SEV_LOW; s--)
			fpts += sev_points[s] * (int)c[s];
		if (fpts > 45)
			fpts = 45;
		if (fpts)
			reason(reasons, &score, fpts, "validation: %u critical, %u high, %u medium, "
			       "%u low finding(s)", c[SEV_CRITICAL], c[SEV_HIGH], c[SEV_MEDIUM], c[SEV_LOW]);
		/* Accepted risk is still risk: counted above, and said. */
		if (in->recorded && in->recorded->accepted)
			reason(reasons, &score, 0, "%u blocking finding(s) installed anyway: risk "
			       "accepted (--accept-risk)", in->recorded->accepted);
		if (!complete)
			reason(reasons, &score, 5, "validation incomplete: part of the plugin was not analysed");
	} else {
		reason(reasons, &score, 10, "not validated: its code could not be analysed");
	}
	if (in->escapes)
		reason(reasons, &score, 8 * (int)(in->escapes > 5 ? 5 : in->escapes),
		       "%u sandbox escape attempt(s) recorded", in->escapes);
	if (in->violations)
		reason(reasons, &score, in->violations >= 10 ? 20 : 2 * (int)in->violations,
		       "%u permission violation(s) recorded", in->violations);
	if (in->limit_kills)
		reason(reasons, &score, in->limit_kills >= 3 ? 9 : 3 * (int)in->limit_kills,
		       "%u run(s) killed at a resource limit", in->limit_kills);
	if (in->enforcement && strcmp(in->enforcement, "landlock") == 0)
		reason(reasons, &score, 0, "landlock fallback: file grants apply from the next run, "
		       "file revokes end the running instance");
	else if (in->enforcement && strcmp(in->enforcement, "bpf-lsm") != 0)
		reason(reasons, &score, 20, "enforcement mode \"%s\": permissions may not be enforced",
		       in->enforcement);
	if (score > 100)
		score = 100;
	cJSON_AddNumberToObject(o, "score", score);
	cJSON_AddStringToObject(o, "level", score >= 50 ? "high" : score >= 25 ? "medium" : "low");
	cJSON_AddItemToObject(o, "reasons", reasons);
	return o;
}
