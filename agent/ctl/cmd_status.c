// SPDX-License-Identifier: MIT
/* raggedctl status: enforcement mode and why, kernel features, counters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdtab.h"
#include "ctl.h"
#include "util/util.h"
#include "proto/proto.h"

int cmd_status(struct ctl *c, const struct ctl_args *a)
{
	cJSON *reply, *data;
	int code;

	code = ctl_call(c, ctl_req("status"), &data, &reply);
	if (data) {
		if (c->format == FMT_PROMETHEUS) {
			char *text = prom_render(cJSON_GetObjectItemCaseSensitive(data, "metrics"));

			if (!text) {
				ctl_err("status: the agent sent no metrics");
				cJSON_Delete(reply);
				return EXIT_FAILED;
			}
			fputs(text, stdout);
			free(text);
		} else if (c->format == FMT_JSON)
			render_json(data);
		else
			render_kv(data, 0);
	}
	cJSON_Delete(reply);
	return data ? 0 : code;
}
