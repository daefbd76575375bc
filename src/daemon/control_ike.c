/* SPDX-License-Identifier: MIT */
/* The IKE side of the control protocol (docs/CONTROL.md): IKE SAs with
 * their CHILD_SAs, the configured connections, initiate and terminate. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "control_json.h"
#include "daemon.h"
#include "ike.h"
#include "pairs.h"

static void add_addr(cJSON *o, const char *name, const struct uipsec_addr *a)
{
    char s[INET6_ADDRSTRLEN] = "%any";

    if (a->family)
        inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->bytes, s, sizeof(s));
    cJSON_AddStringToObject(o, name, s);
}

static void add_hex(cJSON *o, const char *name, const uint8_t *p, size_t n)
{
    char s[2 * 8 + 1];

    for (size_t i = 0; i < n && i < 8; i++)
        snprintf(s + 2 * i, 3, "%02x", p[i]);
    cJSON_AddStringToObject(o, name, s);
}

static void add_id(cJSON *o, const char *name, const struct ike_id *id, bool any)
{
    char s[2 * IKE_ID_MAX + 2];

    if (any)
        snprintf(s, sizeof(s), "%%any");
    else
        ike_id_format(id, s, sizeof(s));
    cJSON_AddStringToObject(o, name, s);
}

static cJSON *selectors(const struct uipsec_selector *sel, size_t n, enum uipsec_ts_side side)
{
    cJSON *a = cJSON_CreateArray();
    char ts[160];

    for (size_t i = 0; i < n; i++) {
        uipsec_selector_format(&sel[i], side, ts, sizeof(ts));
        cJSON_AddItemToArray(a, cJSON_CreateString(ts));
    }
    return a;
}

static cJSON *one_child(const struct sa_pair *c)
{
    struct uipsec_sa_stats in, out;
    cJSON *o = cJSON_CreateObject();
    char spi[9];

    uipsec_sa_get_stats(c->in, &in);
    uipsec_sa_get_stats(c->out, &out);
    cJSON_AddStringToObject(o, "name", c->cfg.name);
    cJSON_AddStringToObject(o, "state", "INSTALLED");
    cJSON_AddStringToObject(o, "mode", c->cfg.mode == UIPSEC_MODE_TUNNEL ? "tunnel" : "transport");
    cJSON_AddBoolToObject(o, "encap", c->cfg.encap);
    snprintf(spi, sizeof(spi), "%08x", c->cfg.in.spi);
    cJSON_AddStringToObject(o, "spi_in", spi);
    snprintf(spi, sizeof(spi), "%08x", c->cfg.out.spi);
    cJSON_AddStringToObject(o, "spi_out", spi);
    cJSON_AddStringToObject(o, "proposal", c->cfg.proposal);
    cJSON_AddNumberToObject(o, "installed", (double)(time(NULL) - c->installed));
    cJSON_AddNumberToObject(o, "packets_in", (double)in.packets);
    cJSON_AddNumberToObject(o, "bytes_in", (double)in.bytes);
    cJSON_AddNumberToObject(o, "packets_out", (double)out.packets);
    cJSON_AddNumberToObject(o, "bytes_out", (double)out.bytes);
    cJSON_AddItemToObject(o, "local_ts", selectors(c->sel, c->nsel, UIPSEC_TS_LOCAL));
    cJSON_AddItemToObject(o, "remote_ts", selectors(c->sel, c->nsel, UIPSEC_TS_REMOTE));
    return o;
}

static cJSON *one_ike(const struct daemon *d, const struct ike_view *v)
{
    const struct ike_sa *sa = v->sa;
    cJSON *o = cJSON_CreateObject(), *children;
    char prop[128];

    cJSON_AddStringToObject(o, "name", v->conn);
    cJSON_AddNumberToObject(o, "id", v->id);
    cJSON_AddStringToObject(o, "state", ike_sa_state_name(sa->state));
    cJSON_AddStringToObject(o, "role", sa->role == IKE_ROLE_INITIATOR ? "initiator" : "responder");
    add_addr(o, "local", &sa->path.local);
    cJSON_AddNumberToObject(o, "local_port", sa->path.local_port);
    add_addr(o, "remote", &sa->path.remote);
    cJSON_AddNumberToObject(o, "remote_port", sa->path.remote_port);
    add_id(o, "local_id", &sa->cfg->local_id, false);
    add_id(o, "remote_id", sa->peer_id.type ? &sa->peer_id : &sa->cfg->remote_id,
           !sa->peer_id.type && sa->cfg->remote_id_any);
    add_hex(o, "spi_i", sa->spi_i, IKE_SPI_LEN);
    add_hex(o, "spi_r", sa->spi_r, IKE_SPI_LEN);
    prop[0] = '\0';
    if (sa->keys)
        ike_prop_format(&sa->prop, prop, sizeof(prop));
    cJSON_AddStringToObject(o, "proposal", prop);
    cJSON_AddBoolToObject(o, "nat", ike_sa_behind_nat(sa));
    if (v->established)
        cJSON_AddNumberToObject(o, "established", (double)(time(NULL) - v->established));
    else
        cJSON_AddNullToObject(o, "established");
    children = cJSON_AddArrayToObject(o, "children");
    for (size_t i = 0; i < pairs_slots(d); i++)
        if (pairs_at(d, i) && pairs_at(d, i)->ike == v->rt)
            cJSON_AddItemToArray(children, one_child(pairs_at(d, i)));
    return o;
}

cJSON *control_ike_sas(const struct daemon *d)
{
    cJSON *a = cJSON_CreateArray();
    struct ike_view v;

    for (const struct ike_rt *rt = NULL; (rt = ike_view_next(d, rt, &v));)
        cJSON_AddItemToArray(a, one_ike(d, &v));
    return a;
}

static const char *start_name(enum cfg_start s)
{
    return s == CFG_START_START ? "start" : s == CFG_START_TRAP ? "trap" : "none";
}

static cJSON *ts_texts(const char (*ts)[CFG_TS_LEN], size_t n)
{
    cJSON *a = cJSON_CreateArray();

    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(ts[i]));
    if (!n)
        cJSON_AddItemToArray(a, cJSON_CreateString("dynamic"));
    return a;
}

static cJSON *one_conn(const struct cfg_conn *c)
{
    cJSON *o = cJSON_CreateObject(), *children;

    cJSON_AddStringToObject(o, "name", c->name);
    add_addr(o, "local_addrs", &c->local);
    add_addr(o, "remote_addrs", &c->remote);
    cJSON_AddStringToObject(o, "proposals", c->ike_text);
    cJSON_AddBoolToObject(o, "encap", c->encap);
    add_id(o, "local_id", &c->local_id, false);
    if (!c->local_id.type)
        cJSON_ReplaceItemInObject(o, "local_id", cJSON_CreateString("(local address)"));
    add_id(o, "remote_id", &c->remote_id, c->remote_id_any);
    cJSON_AddStringToObject(o, "auth", "psk");
    children = cJSON_AddArrayToObject(o, "children");
    for (size_t k = 0; k < c->n_children; k++) {
        const struct cfg_child *ch = &c->children[k];
        cJSON *co = cJSON_CreateObject();

        cJSON_AddStringToObject(co, "name", ch->name);
        cJSON_AddStringToObject(co, "mode",
                                ch->mode == UIPSEC_MODE_TUNNEL ? "tunnel" : "transport");
        cJSON_AddStringToObject(co, "esp_proposals", ch->esp_text);
        cJSON_AddItemToObject(co, "local_ts", ts_texts(ch->local_ts, ch->n_local_ts));
        cJSON_AddItemToObject(co, "remote_ts", ts_texts(ch->remote_ts, ch->n_remote_ts));
        cJSON_AddStringToObject(co, "start_action", start_name(ch->start_action));
        cJSON_AddItemToArray(children, co);
    }
    return o;
}

cJSON *control_list_conns(const struct daemon *d)
{
    cJSON *r = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(r, "conns");

    for (size_t i = 0; i < d->cfg.n_ike_conns; i++)
        cJSON_AddItemToArray(a, one_conn(&d->cfg.ike_conns[i]));
    return r;
}

/* {"command":"initiate","child":NAME} */
cJSON *control_initiate(struct daemon *d, const cJSON *req, char *err, size_t err_len)
{
    const cJSON *child = cJSON_GetObjectItemCaseSensitive(req, "child");
    const cJSON *timeout = cJSON_GetObjectItemCaseSensitive(req, "timeout");

    if (!cJSON_IsString(child) ||
        (timeout &&
         (!cJSON_IsNumber(timeout) || timeout->valuedouble < 1 || timeout->valuedouble >= 3600 ||
          timeout->valuedouble != (double)(int)timeout->valuedouble)) ||
        cJSON_GetArraySize(req) != 2 + (timeout != NULL)) {
        snprintf(err, err_len,
                 "initiate takes \"child\": NAME and optionally \"timeout\": SECONDS (a "
                 "whole number from 1 to 3599)");
        return NULL;
    }
    cJSON *r;

    if (ike_initiate(d, child->valuestring, err, err_len) < 0)
        return NULL;
    r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "child", child->valuestring);
    cJSON_AddStringToObject(r, "status", "negotiating");
    return r;
}

/* {"command":"terminate","ike":NAME} or {"command":"terminate","child":NAME} */
cJSON *control_terminate(struct daemon *d, const cJSON *req, char *err, size_t err_len)
{
    const cJSON *ike = cJSON_GetObjectItemCaseSensitive(req, "ike"),
                *child = cJSON_GetObjectItemCaseSensitive(req, "child");
    cJSON *r;

    if (cJSON_GetArraySize(req) != 2 || (!cJSON_IsString(ike) && !cJSON_IsString(child))) {
        snprintf(err, err_len, "terminate takes one argument: \"ike\": NAME or \"child\": NAME");
        return NULL;
    }
    if (ike_terminate(d, cJSON_IsString(ike) ? ike->valuestring : NULL,
                      cJSON_IsString(child) ? child->valuestring : NULL, err, err_len) < 0)
        return NULL;
    r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "status", "deleting");
    return r;
}
