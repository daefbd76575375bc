/* SPDX-License-Identifier: MIT */
/*
 * VICI's load-conn (what swanctl --load-conns and --load-all send), read
 * with uipsecd's own configuration code: the message's sections become a
 * settings tree (a connections section holding them; a list becomes the
 * comma-separated value the file would hold), and cfg_ike_connections
 * gives it meaning, so a key uipsecd does not support is refused naming
 * the key, as at startup.
 *
 * uipsecd's connections and their secrets come from its configuration
 * file: the secrets live in the privileged process only, which this one
 * cannot hand new ones.  So a connection that is exactly one configured
 * already is accepted (swanctl --load-all with the file uipsecd reads
 * succeeds), and any other valid one is refused, saying where it belongs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_ike.h"
#include "daemon.h"
#include "settings.h"
#include "value.h"
#include "vici_int.h"

#define LOAD_FILE "load-conn" /* the "file" of the messages: element numbers as lines */

struct level {
    struct settings_node *sec, *last;
};

static bool printable(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7e)
            return false;
    return true;
}

static bool add(struct settings_node *root, struct level *at, const struct vici_elem *e,
                const char *value, size_t value_len, unsigned line)
{
    struct settings_node *n = settings_add(root, at->sec, at->last, (const char *)e->name,
                                           e->name_len, value, value_len, line, 1);

    if (n)
        at->last = n;
    return n != NULL;
}

/* A list's items joined as the file would write them: "a, b". */
static bool join(char *list, size_t cap, size_t *len, const struct vici_elem *e)
{
    if (*len + 2 + e->value_len >= cap)
        return false;
    if (*len)
        memcpy(list + *len, ", ", 2), *len += 2;
    memcpy(list + *len, e->value, e->value_len);
    *len += e->value_len;
    return true;
}

/* One element into the tree; -1 with err. */
static int take(struct settings_node *root, struct level *lv, unsigned *depth,
                const struct vici_elem *e, unsigned line, char *list, size_t *list_len,
                struct vici_elem *list_start, char *err, size_t err_len)
{
    if (e->name && !printable(e->name, e->name_len)) {
        snprintf(err, err_len, "%s:%u:1: a name holds a byte that is not printable", LOAD_FILE,
                 line);
        return -1;
    }
    if ((e->type == VICI_KEY_VALUE || e->type == VICI_LIST_ITEM) &&
        !printable(e->value, e->value_len)) {
        snprintf(
            err, err_len,
            "%s:%u:1: %.*s: the value is not text (certificate or key data?); uipsecd "
            "takes certificates and keys by file name in its configuration file",
            LOAD_FILE, line, (int)(e->type == VICI_LIST_ITEM ? list_start->name_len : e->name_len),
            e->type == VICI_LIST_ITEM ? (const char *)list_start->name : (const char *)e->name);
        return -1;
    }
    switch (e->type) {
    case VICI_SECTION_START:
        if (!add(root, &lv[*depth], e, NULL, 0, line))
            return -1;
        lv[*depth + 1] = (struct level){lv[*depth].last, NULL};
        ++*depth;
        return 0;
    case VICI_SECTION_END:
        --*depth;
        return 0;
    case VICI_KEY_VALUE:
        if (*depth == 0) {
            snprintf(err, err_len, "%s:%u:1: %.*s: load-conn takes one section per connection",
                     LOAD_FILE, line, (int)e->name_len, (const char *)e->name);
            return -1;
        }
        return add(root, &lv[*depth], e, (const char *)e->value, e->value_len, line) ? 0 : -1;
    case VICI_LIST_START:
        if (*depth == 0) {
            snprintf(err, err_len, "%s:%u:1: %.*s: load-conn takes one section per connection",
                     LOAD_FILE, line, (int)e->name_len, (const char *)e->name);
            return -1;
        }
        *list_start = *e;
        *list_len = 0;
        return 0;
    case VICI_LIST_ITEM:
        return join(list, VICI_MAX_REQUEST, list_len, e) ? 0 : -1;
    default: /* the list's end: its key */
        return add(root, &lv[*depth], list_start, list, *list_len, line) ? 0 : -1;
    }
}

/* The message (well formed: vici_msg_check) as connections { ... } of a
 * new settings tree; NULL with err. */
static struct settings_node *to_tree(uint8_t *msg, size_t len, char *err, size_t err_len)
{
    struct settings_node *root = settings_new(LOAD_FILE), *conns;
    struct level lv[VICI_MAX_DEPTH + 2];
    struct vici_elem e, start = {0};
    struct vici_reader r;
    unsigned depth = 0, line = 0;
    char *list = malloc(VICI_MAX_REQUEST);
    size_t list_len = 0;
    int rc = 0;

    snprintf(err, err_len, "%s: out of memory", LOAD_FILE);
    conns = root && list ? settings_add(root, root, NULL, "connections", 11, NULL, 0, 0, 0) : NULL;
    if (!conns) {
        free(list);
        settings_free(root);
        return NULL;
    }
    lv[0] = (struct level){conns, NULL};
    vici_reader_init(&r, msg, len);
    while (rc == 0 && vici_next(&r, &e, err, err_len) > 0)
        rc = take(root, lv, &depth, &e, ++line, list, &list_len, &start, err, err_len);
    free(list);
    if (rc < 0) {
        settings_free(root);
        return NULL;
    }
    return root;
}

/* The configured connection called name, or NULL. */
static const struct cfg_conn *configured(const struct daemon *d, const char *name)
{
    for (size_t i = 0; i < d->cfg.n_ike_conns; i++)
        if (!strcmp(d->cfg.ike_conns[i].name, name))
            return &d->cfg.ike_conns[i];
    return NULL;
}

/* Whether c is cur but for what the configuration file adds beyond the
 * connection's own section (its secret and key, which load-shared and
 * load-key would carry) and the proposals' text (swanctl sends the list
 * items, not the spacing the file has: the parsed proposals compare). */
static bool same_as_configured(struct cfg_conn *c, const struct cfg_conn *cur)
{
    memcpy(c->ike_text, cur->ike_text, sizeof c->ike_text);
    for (size_t k = 0; k < CFG_MAX_CHILDREN; k++)
        memcpy(c->children[k].esp_text, cur->children[k].esp_text, sizeof c->children[k].esp_text);
    memcpy(c->psk, cur->psk, sizeof c->psk);
    c->psk_len = cur->psk_len;
    c->psk_id = cur->psk_id;
    c->key = cur->key;
    return cfg_conn_equal(c, cur);
}

void vici_load_conn(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len)
{
    struct cfg tmp = {0};
    struct value_err ve;
    struct settings_node *root;
    char err[600];

    snprintf(tmp.conf_dir, sizeof tmp.conf_dir, "%s", v->d->cfg.conf_dir);
    ve = (struct value_err){err, sizeof err};
    if (!(root = to_tree(msg, len, err, sizeof err)) ||
        cfg_ike_connections(&ve, settings_child(root, "connections"), &tmp) < 0) {
        settings_free(root);
        cfg_free(&tmp);
        vici_fail(v, c, "%s", err);
        return;
    }
    settings_free(root);
    for (size_t i = 0; i < tmp.n_ike_conns; i++) {
        const struct cfg_conn *cur = configured(v->d, tmp.ike_conns[i].name);

        if (!cur || !same_as_configured(&tmp.ike_conns[i], cur)) {
            vici_fail(v, c,
                      "connection '%s' is valid, but uipsecd takes %s connections only from its "
                      "configuration file (%s): put it there, then swanctl --reload-settings",
                      tmp.ike_conns[i].name, cur ? "changed" : "new", v->d->config_path);
            cfg_free(&tmp);
            return;
        }
    }
    cfg_free(&tmp);
    vici_begin(&v->out, VICI_CMD_RESPONSE, "");
    vici_kv(&v->out, "success", "yes");
    vici_send(v, c);
}

void vici_unload_conn(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len)
{
    char name[256];

    if (!vici_find(msg, len, "name", name, sizeof name))
        vici_fail(v, c, "unload-conn needs name = NAME");
    else if (!configured(v->d, name))
        vici_fail(v, c, "unload: connection '%s' not found", name);
    else
        vici_fail(v, c,
                  "connection '%s' comes from uipsecd's configuration file (%s): remove it "
                  "there, then swanctl --reload-settings",
                  name, v->d->config_path);
}
