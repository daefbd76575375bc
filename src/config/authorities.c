/* SPDX-License-Identifier: MIT */
#include "authorities.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "creds.h"
#include "settings.h"
#include "value.h"

#define FAIL(c, node, ...) (settings_node_error(node, (c)->err, (c)->err_len, __VA_ARGS__), -1)

/* A comma-separated list of URIs into uris. */
static int uri_list(struct value_err *c, const struct settings_node *n, char (*uris)[CFG_URI_LEN],
                    uint8_t *count)
{
    char list[CFG_AUTHORITY_URIS * CFG_URI_LEN + 64];
    char *save = NULL;

    if (value_str(c, n, list, sizeof(list)) < 0)
        return -1;
    for (char *u = strtok_r(list, ", ", &save); u; u = strtok_r(NULL, ", ", &save)) {
        if (*count == CFG_AUTHORITY_URIS)
            return FAIL(c, n, "%s: at most %u URIs", n->name, CFG_AUTHORITY_URIS);
        if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
            return FAIL(c, n, "%s = %s: only http:// and https:// URIs can be fetched", n->name, u);
        if (strlen(u) >= CFG_URI_LEN)
            return FAIL(c, n, "%s: a URI longer than %u bytes", n->name, CFG_URI_LEN - 1);
        snprintf(uris[(*count)++], CFG_URI_LEN, "%s", u);
    }
    return 0;
}

static int authority(struct value_err *c, const struct settings_node *sec, struct cfg_authority *a,
                     struct cfg *cfg)
{
    uint8_t n_ca = 0;

    if (sec->value)
        return FAIL(c, sec, "authorities.%s must be a section: %s { cacert = ... }", sec->name,
                    sec->name);
    snprintf(a->name, sizeof(a->name), "%s", sec->name);
    a->cert = -1;
    for (const struct settings_node *n = sec->children; n; n = n->next) {
        int r;

        if (!strcmp(n->name, "cacert"))
            r = creds_cert_key(c, n, cfg, true, &a->cert, &n_ca, 1);
        else if (!strcmp(n->name, "crl_uris"))
            r = uri_list(c, n, a->crl, &a->n_crl);
        else if (!strcmp(n->name, "ocsp_uris"))
            r = uri_list(c, n, a->ocsp, &a->n_ocsp);
        else if (!strcmp(n->name, "file") || !strcmp(n->name, "handle") ||
                 !strcmp(n->name, "slot") || !strcmp(n->name, "module") ||
                 !strcmp(n->name, "cert_uri_base"))
            r = FAIL(c, n, "authorities.%s.%s is not supported; use cacert = FILE (in x509ca/)",
                     sec->name, n->name);
        else
            r = FAIL(c, n,
                     "unknown key \"%s\" in authorities.%s; known: cacert, crl_uris, "
                     "ocsp_uris",
                     n->name, sec->name);
        if (r < 0)
            return -1;
    }
    if (a->cert < 0)
        return FAIL(c, sec, "authorities.%s: needs cacert = FILE (in x509ca/)", sec->name);
    return 0;
}

int cfg_authorities(struct value_err *c, const struct settings_node *sec, struct cfg *cfg)
{
    for (const struct settings_node *n = sec->children; n; n = n->next) {
        struct cfg_authority *all;

        if (cfg->n_authorities == CFG_MAX_AUTHORITIES)
            return FAIL(c, n, "at most %u authorities", CFG_MAX_AUTHORITIES);
        if (!(all = realloc(cfg->authorities, (cfg->n_authorities + 1) * sizeof(*all))))
            return FAIL(c, n, "out of memory");
        cfg->authorities = all;
        memset(&all[cfg->n_authorities], 0, sizeof(*all));
        if (authority(c, n, &all[cfg->n_authorities++], cfg) < 0)
            return -1;
    }
    return 0;
}
