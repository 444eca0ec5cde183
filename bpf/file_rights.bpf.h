/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A file's rights under a run's rules (file_rules.bpf.h) at a path built
 * by pathwalk.bpf.h: the lookup file_open makes with bpf_d_path's path.
 * Used by file_open for overlayfs backing files (file.bpf.c) and the plain
 * LSM hooks (lsm_path.bpf.h).
 */
#ifndef RAGGED_FILE_RIGHTS_BPF_H
#define RAGGED_FILE_RIGHTS_BPF_H

#include "file_rules.bpf.h"
#include "pathwalk.bpf.h"

/* The access a run's rules grant at s->buf[pos..], 0 if none or no path. */
static __always_inline __u32 rights_at(struct ragged_run_slot *run, struct esc_scratch *s,
				       int pos)
{
	struct ragged_file_rule *rule;
	long len;

	if (!run || !s || pos < 0 || pos >= PBUF)
		return 0;
	len = PBUF - pos;	/* counts the NUL, as bpf_d_path's length does */
	/* Keep the bound on len itself (not folded into pos) for the verifier. */
	asm volatile("" : "+r"(len));
	if (len <= 0 || len > RAGGED_RULE_PATH_MAX)
		return 0;
	s->key.policy_id = bpf_htonl(policy_of(run));
	s->key.prefixlen = 32 + len * 8;
	bpf_probe_read_kernel(s->key.path, len, &s->buf[in_buf(pos)]);
	rule = bpf_map_lookup_elem(&file_rules, &s->key);
	/* File rights only: RAGGED_ACC_SOCK is not a right a file carries. */
	return rule ? rule->access & (RAGGED_ACC_READ | RAGGED_ACC_WRITE | RAGGED_ACC_EXEC) : 0;
}

#endif
