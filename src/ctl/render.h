/* SPDX-License-Identifier: MIT */
/*
 * Output of uipsecctl: the daemon's result as people read it, or as JSON.
 * Renderers read a result object whose schema is in docs/CONTROL.md; a
 * field that is missing or of the wrong type is shown as "?", never trusted.
 */
#ifndef UIPSECCTL_RENDER_H
#define UIPSECCTL_RENDER_H

#include <cjson/cJSON.h>
#include <stdio.h>

/* Writes result (borrowed) for people.  Returns NULL, or a message saying
 * why the result cannot be shown ("daemon sent a malformed answer (...)"). */
typedef const char *ctl_render_fn(const cJSON *result, FILE *out);

ctl_render_fn render_status;   /* status */
ctl_render_fn render_sas;      /* list-sas: manual SAs by name, then IKE SAs, as swanctl */
ctl_render_fn render_conns;    /* list-conns: as swanctl --list-conns */
ctl_render_fn render_policies; /* list-pols: an aligned table */
ctl_render_fn render_certs;    /* list-certs: as swanctl --list-certs (render_certs.c) */
ctl_render_fn render_initiate; /* initiate: the CHILD_SA installed */
ctl_render_fn render_fields;   /* any result: one "key: value" line per member */

/* Writes item as indented JSON (two spaces, members in the order received)
 * and a final newline. */
void render_json(const cJSON *item, FILE *out);

/* Replaces control characters in every string and key of item with '?',
 * so that names from a configuration cannot drive the terminal. */
void render_sanitize(cJSON *item);
/* The same for one string (NULL allowed). */
void render_sanitize_text(char *s);

#endif
