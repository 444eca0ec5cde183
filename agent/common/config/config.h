/* SPDX-License-Identifier: MIT */
/* The agent's configuration (/etc/ragged/agent.toml), same TOML subset as manifests. */
#ifndef RAGGED_CONFIG_H
#define RAGGED_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_DEFAULT_PATH "/etc/ragged/agent.toml"

enum enforcement_pref { ENFORCE_AUTO, ENFORCE_BPF_LSM, ENFORCE_LANDLOCK };

struct config_limits {
	uint32_t memory_mb;	/* default 500 */
	uint32_t cpu_seconds;	/* default 10 */
	uint32_t pids;		/* default 64 */
	uint32_t wall_seconds;	/* default 0 = none */
	uint32_t scratch_mb;	/* default 100 */
};

struct config_endpoint {
	char host[256];
	uint16_t port;
};

struct ragged_config {
	/* [paths] */
	char socket_path[PATH_MAX];	/* /run/ragged/agent.sock */
	char state_dir[PATH_MAX];	/* /var/lib/ragged */
	char audit_log[PATH_MAX];	/* /var/log/ragged/audit.jsonl */
	char bpffs_dir[PATH_MAX];	/* /sys/fs/bpf/ragged */
	char cgroup_name[64];		/* "ragged": the agent's subtree for plugin runs */
	char advisory_db[PATH_MAX];	/* OSV directory; "" = none */
	char metrics_textfile[PATH_MAX];	/* Prometheus textfile the agent keeps current; "" = none */
	/* [agent] */
	enum enforcement_pref enforcement;	/* "auto" | "bpf-lsm" | "landlock" */
	char root_run_as[64];		/* account for root callers; "" = refuse */
	/* [limits] are the defaults, [limits.max] the maxima a manifest may not exceed */
	struct config_limits limits;
	struct config_limits limits_max;
	/* [resources]: paths may start with "~/" = the invoking user's home */
	char **documents;  size_t n_documents;	/* ["~/Documents", "~/.ragged/documents"] */
	char **config;     size_t n_config;	/* ["~/.ragged/config.yml", "~/.config/ragged"] */
	char **models;     size_t n_models;	/* ["~/.ollama/models", "~/.ragged/models"] */
	char memory_dir[PATH_MAX];		/* "~/.ragged/memory" */
	char vectorstore_dir[PATH_MAX];		/* "~/.ragged/chroma" */
	char cache_dir[PATH_MAX];		/* "~/.ragged/cache" (per plugin subdir) */
	struct config_endpoint embedding;	/* 127.0.0.1:11434 */
	struct config_endpoint vectorstore;	/* 127.0.0.1:8001 */
	char **dns_resolvers; size_t n_dns_resolvers;	/* [] = from /etc/resolv.conf */
	/* [audit] */
	uint32_t audit_rotate_mb;	/* 64: rotate the log at this size */
	uint32_t audit_keep_files;	/* 10: rotated files kept; 0 = no count limit */
	uint32_t audit_max_age_days;	/* 0: rotated files kept whatever their age */
	char audit_group[33];		/* "": root only; else this group may read the log */
	bool audit_journal;		/* false: also send each record to the journal as fields */
	/* [advisories] */
	uint32_t advisory_max_age_days;	/* 7: older advisory data is reported stale */
};

void config_defaults(struct ragged_config *c);
/*
 * Load path over the defaults. A missing file at the default path means
 * defaults; a missing file given explicitly, or any error, returns -1 with
 * one line "FILE:LINE: KEY: message" in err. Never leaves c half-loaded:
 * on error c holds the defaults.
 */
int config_load(const char *path, int explicit_path, struct ragged_config *c,
		char *err, size_t errlen);
void config_free(struct ragged_config *c);

/*
 * The rest of this subsystem's public interface (the one header other
 * modules include): parsing from a buffer, limit bounds, manifests.
 */
#include "config_parse.h"
#include "manifest.h"

#endif
