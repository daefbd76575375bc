/* SPDX-License-Identifier: MIT */
/*
 * VICI's commands (docs/CONTROL.md, "VICI"): each request is answered in
 * the layout charon answers it, from the state control shows (ike.h,
 * pairs.h, the configuration).  initiate and terminate wait, as charon's
 * do, without blocking the loop: the client is parked until its CHILD_SA
 * is up or refused, or its SAs are gone, or its timeout passes; meanwhile
 * the log lines of its connection go to it as control-log events.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "ike.h"
#include "log.h"
#include "pairs.h"
#include "vici.h"
#include "vici_int.h"
#include "vici_sas.h"

/* The longest a command may wait when the client gives no timeout (0:
 * charon waits for ever; an IKE SA's retransmissions end after about 62
 * seconds, so every initiation ends before this). */
#define VICI_WAIT_MAX_MS (180u * 1000)

void vici_fail(struct vici *v, struct vici_client *c, const char *fmt, ...)
{
    char msg[600];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    vici_begin(&v->out, VICI_CMD_RESPONSE, "");
    vici_kv(&v->out, "success", "no");
    vici_kv(&v->out, "errmsg", "%s", msg);
    vici_send(v, c);
}

void vici_ok(struct vici *v, struct vici_client *c)
{
    vici_begin(&v->out, VICI_CMD_RESPONSE, "");
    vici_kv(&v->out, "success", "yes");
    vici_send(v, c);
}

/* ---- the log, as log and control-log events ---- */

static struct vici *log_vici; /* the IKE thread's, while it serves */
static bool in_tap;

static const char *conn_of_line(const char *line, size_t *len)
{
    const char *b = strchr(line, '[');

    *len = b ? (size_t)(b - line) : 0;
    return b && b[1] >= '0' && b[1] <= '9' ? line : NULL;
}

/* log.c's tap: a line the daemon logs, on the IKE thread (the workers'
 * lines are not for VICI). */
static void tap(enum log_level level, const char *line)
{
    struct vici *v = log_vici;
    size_t clen = 0;
    const char *conn = conn_of_line(line, &clen);

    struct vici_buf saved;

    if (!v || in_tap)
        return;
    in_tap = true;
    saved = v->out; /* what was being built stays as it was */
    v->out = v->log;
    /* VICI's levels: 0 errors and warnings, 1 information, 2 debug */
    unsigned vlevel = level <= LOG_WARN ? 0 : level == LOG_INFO ? 1 : 2;

    for (size_t i = 0; i < VICI_MAX_CLIENTS; i++) {
        struct vici_client *c = &v->cl[i];
        bool ctl = c->wait != VW_NONE && vici_registered(c, VE_CONTROL_LOG) && conn &&
                   strlen(c->conn) == clen && !strncmp(c->conn, conn, clen) && vlevel <= c->level;
        bool all = vici_registered(c, VE_LOG) && vlevel <= 1;

        if (!ctl && !all)
            continue;
        vici_begin(&v->out, VICI_EVENT, ctl ? "control-log" : "log");
        vici_kv(&v->out, "group", "IKE");
        vici_kv(&v->out, "level", "%u", vlevel);
        if (!ctl)
            vici_kv(&v->out, "thread", "0");
        if (conn)
            vici_kv(&v->out, "ikesa-name", "%.*s", (int)clen, conn);
        vici_kv(&v->out, "msg", "%s", line);
        vici_raise(v, ctl ? VE_CONTROL_LOG : VE_LOG, c);
    }
    v->log = v->out;
    v->out = saved;
    in_tap = false;
}

void vici_untap(const struct vici *v)
{
    if (log_vici == v) {
        log_set_tap(NULL);
        log_vici = NULL;
    }
}

/* ---- simple commands ---- */

static void version(struct vici *v, struct vici_client *c)
{
    vici_begin(&v->out, VICI_CMD_RESPONSE, "");
    vici_kv(&v->out, "daemon", "uipsecd");
    vici_kv(&v->out, "version", "%s", UIPSEC_VERSION);
    vici_kv(&v->out, "sysname", "%s", v->sysname);
    vici_kv(&v->out, "release", "%s", v->release);
    vici_kv(&v->out, "machine", "%s", v->machine);
    vici_send(v, c);
}

/* charon's human form of a duration: the largest unit that gives at
 * least 2 (seconds, minutes, hours, days). */
static void add_duration(struct vici_buf *b, const char *key, long long s)
{
    static const struct {
        long long secs;
        const char *unit;
    } units[] = {{86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}};
    size_t u = 0;

    while (u + 1 < sizeof units / sizeof units[0] && s < 2 * units[u].secs)
        u++;
    s /= units[u].secs;
    vici_kv(b, key, "%lld %s%s", s, units[u].unit, s == 1 ? "" : "s");
}

/* uipsecd's own, after charon's keys: VICI's clients and why some were
 * dropped (docs/CONTROL.md, "VICI"). */
static void add_vici_counters(struct vici_buf *b, const struct vici_counters *n)
{
    vici_section(b, "uipsecd-vici");
    vici_kv(b, "accepted", "%llu", (unsigned long long)n->accepted);
    vici_kv(b, "refused-busy", "%llu", (unsigned long long)n->busy);
    vici_kv(b, "malformed", "%llu", (unsigned long long)n->malformed);
    vici_kv(b, "too-large", "%llu", (unsigned long long)n->too_large);
    vici_kv(b, "too-slow", "%llu", (unsigned long long)n->slow);
    vici_kv(b, "queue-full", "%llu", (unsigned long long)n->overflow);
    vici_kv(b, "unknown-command", "%llu", (unsigned long long)n->unknown_cmd);
    vici_section_end(b);
}

static void stats(struct vici *v, struct vici_client *c)
{
    struct vici_buf *b = &v->out;
    unsigned total = 0, half = 0;
    struct ike_view iv;
    char since[64];
    struct tm tm;

    for (const struct ike_rt *rt = NULL; (rt = ike_view_next(v->d, rt, &iv));) {
        total++;
        half += iv.sa->state < IKE_SA_ESTABLISHED;
    }
    localtime_r(&v->d->started, &tm);
    strftime(since, sizeof since, "%b %d %H:%M:%S %Y", &tm);
    vici_begin(b, VICI_CMD_RESPONSE, "");
    vici_section(b, "uptime");
    add_duration(b, "running", (long long)(time(NULL) - v->d->started));
    vici_kv(b, "since", "%s", since);
    vici_section_end(b);
    /* uipsecd has no job queues: one IKE thread and the data-path workers */
    vici_section(b, "workers");
    vici_kv(b, "total", "%u", v->d->n_workers + 1);
    vici_kv(b, "idle", "%u", v->d->n_workers);
    vici_section(b, "active");
    vici_kv(b, "critical", "0");
    vici_kv(b, "high", "1");
    vici_kv(b, "medium", "0");
    vici_kv(b, "low", "0");
    vici_section_end(b);
    vici_section_end(b);
    vici_section(b, "queues");
    vici_kv(b, "critical", "0");
    vici_kv(b, "high", "0");
    vici_kv(b, "medium", "0");
    vici_kv(b, "low", "0");
    vici_section_end(b);
    vici_kv(b, "scheduled", "0");
    vici_section(b, "ikesas");
    vici_kv(b, "total", "%u", total);
    vici_kv(b, "half-open", "%u", half);
    vici_section_end(b);
    vici_list(b, "plugins");
    vici_list_end(b);
    add_vici_counters(b, &v->n);
    vici_send(v, c);
}

static void reload_settings(struct vici *v, struct vici_client *c)
{
    unsigned added, removed, kept;
    char err[600];

    if (daemon_reload(v->d, &added, &removed, &kept, err, sizeof err) < 0)
        vici_fail(v, c, "%s", err);
    else
        vici_ok(v, c);
}

/* A streamed listing ends with an empty response. */
static void empty_response(struct vici *v, struct vici_client *c)
{
    vici_begin(&v->out, VICI_CMD_RESPONSE, "");
    vici_send(v, c);
}

static void list_conns(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len)
{
    char ike[256];
    bool filter = vici_find(msg, len, "ike", ike, sizeof ike);

    for (size_t i = 0; i < v->d->cfg.n_ike_conns; i++) {
        const struct cfg_conn *cc = &v->d->cfg.ike_conns[i];

        if (filter && strcmp(cc->name, ike))
            continue;
        vici_begin(&v->out, VICI_EVENT, "list-conn");
        vici_conn(&v->out, &v->d->cfg, cc);
        vici_raise(v, VE_LIST_CONN, c);
    }
    empty_response(v, c);
}

static unsigned find_uint(uint8_t *msg, size_t len, const char *key)
{
    char s[16], *end;
    unsigned long n;

    if (!vici_find(msg, len, key, s, sizeof s))
        return 0;
    n = strtoul(s, &end, 10);
    return *end || n > UINT32_MAX ? 0 : (unsigned)n;
}

static void list_sas(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len)
{
    char ike[256], child[256];
    bool by_ike = vici_find(msg, len, "ike", ike, sizeof ike);
    bool by_child = vici_find(msg, len, "child", child, sizeof child);
    unsigned ike_id = find_uint(msg, len, "ike-id"), child_id = find_uint(msg, len, "child-id");
    struct ike_view iv;

    for (const struct ike_rt *rt = NULL; (rt = ike_view_next(v->d, rt, &iv));) {
        if ((by_ike && strcmp(iv.conn, ike)) || (ike_id && iv.id != ike_id))
            continue;
        vici_begin(&v->out, VICI_EVENT, "list-sa");
        vici_ike_sa(&v->out, v->d, &iv, by_child ? child : NULL, child_id, true);
        vici_raise(v, VE_LIST_SA, c);
    }
    empty_response(v, c);
}

/* Trap policies (uipsecd has no drop or bypass policies of connections). */
static void list_policies(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len)
{
    char child[256], ike[256], yes[8];
    bool by_child = vici_find(msg, len, "child", child, sizeof child);
    bool by_ike = vici_find(msg, len, "ike", ike, sizeof ike);
    bool traps = vici_find(msg, len, "trap", yes, sizeof yes) && !strcmp(yes, "yes");

    for (size_t i = 0; traps && i < pairs_slots(v->d); i++) {
        const struct sa_pair *p = pairs_at(v->d, i);

        if (!p || !p->trap || (by_child && strcmp(p->cfg.name, child)) ||
            (by_ike && strcmp(p->conn_name, ike)))
            continue;
        vici_begin(&v->out, VICI_EVENT, "list-policy");
        vici_policy(&v->out, p);
        vici_raise(v, VE_LIST_POLICY, c);
    }
    empty_response(v, c);
}

/* The configuration's authorities sections (name filters). */
static void list_authorities(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len)
{
    const struct cfg *cfg = &v->d->cfg;
    char name[256];
    bool by_name = vici_find(msg, len, "name", name, sizeof name);

    for (size_t i = 0; i < cfg->n_authorities; i++) {
        if (by_name && strcmp(cfg->authorities[i].name, name))
            continue;
        vici_begin(&v->out, VICI_EVENT, "list-authority");
        vici_authority(&v->out, cfg, &cfg->authorities[i]);
        vici_raise(v, VE_LIST_AUTHORITY, c);
    }
    empty_response(v, c);
}

static void list_certs(struct vici *v, struct vici_client *c)
{
    const struct cfg *cfg = &v->d->cfg;

    for (size_t i = 0; i < cfg->n_certs; i++) {
        const struct cfg_cert *ct = &cfg->certs[i];

        vici_begin(&v->out, VICI_EVENT, "list-cert");
        vici_kv(&v->out, "type", "%s", ct->crl ? "X509_CRL" : ct->pubkey ? "PUBKEY" : "X509");
        vici_kv(&v->out, "flag", "%s", ct->ca && !ct->crl ? "CA" : "NONE");
        vici_kv_raw(&v->out, "data", cfg->cert_der + ct->off, ct->len);
        vici_raise(v, VE_LIST_CERT, c);
    }
    empty_response(v, c);
}

/* What uipsecd implements, by transform type, and who provides it. */
static void get_algorithms(struct vici *v, struct vici_client *c)
{
    static const char *const encr[] = {"AES_CBC", "AES_GCM_16", "CHACHA20_POLY1305", NULL};
    static const char *const integ[] = {"HMAC_SHA1_96", "HMAC_SHA2_256_128", "HMAC_SHA2_384_192",
                                        "HMAC_SHA2_512_256", NULL};
    static const char *const prf[] = {"PRF_HMAC_SHA1", "PRF_HMAC_SHA2_256", "PRF_HMAC_SHA2_384",
                                      "PRF_HMAC_SHA2_512", NULL};
    static const char *const ke[] = {"MODP_2048", "MODP_3072",   "MODP_4096", "ECP_256", "ECP_384",
                                     "ECP_521",   "CURVE_25519", "CURVE_448", NULL};
    static const struct {
        const char *type;
        const char *const *names;
    } types[] = {{"encryption", encr}, {"integrity", integ}, {"prf", prf}, {"ke", ke}};

    vici_begin(&v->out, VICI_CMD_RESPONSE, "");
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        vici_section(&v->out, types[t].type);
        for (const char *const *n = types[t].names; *n; n++)
            vici_kv(&v->out, *n, "openssl");
        vici_section_end(&v->out);
    }
    vici_send(v, c);
}

/* ---- counters ---- */

/* The IKE thread's drop counters since reset-counters: charon's "invalid"
 * (undecodable, or refused by its IKE SA) and "invalid-spi", then each of
 * uipsecd's under its own name (docs/CONTROL.md).  uipsecd counts for the
 * whole daemon, not per connection. */
static bool counters_args(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len)
{
    char name[256], all[8];

    if (vici_find(msg, len, "name", name, sizeof name) &&
        !(vici_find(msg, len, "all", all, sizeof all) && !strcmp(all, "yes"))) {
        vici_fail(v, c,
                  "uipsecd counts IKE events for the whole daemon, not per connection; "
                  "leave out the name");
        return false;
    }
    return true;
}

static uint64_t since_reset(const struct vici *v, enum dd_drop r)
{
    return v->d->drops[r] - v->counters_reset[r];
}

static void get_counters(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len)
{
    struct vici_buf *b = &v->out;

    if (!counters_args(v, c, msg, len))
        return;
    vici_begin(b, VICI_CMD_RESPONSE, "");
    vici_section(b, "counters");
    vici_section(b, "");
    vici_kv(
        b, "invalid", "%llu",
        (unsigned long long)(since_reset(v, DD_IKE_MALFORMED) + since_reset(v, DD_IKE_DROPPED)));
    vici_kv(b, "invalid-spi", "%llu", (unsigned long long)since_reset(v, DD_IKE_UNKNOWN_SPI));
    for (int r = DD_IKE_MALFORMED; r <= DD_IKE_AUTH_BACKOFF; r++)
        vici_kv(b, dd_drop_name((enum dd_drop)r), "%llu",
                (unsigned long long)since_reset(v, (enum dd_drop)r));
    vici_section_end(b);
    vici_section_end(b);
    vici_kv(b, "success", "yes");
    vici_send(v, c);
}

static void reset_counters(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len)
{
    if (!counters_args(v, c, msg, len))
        return;
    memcpy(v->counters_reset, v->d->drops, sizeof v->counters_reset);
    vici_ok(v, c);
}

/* ---- initiate and terminate ---- */

/* timeout (ms): 0 waits (up to VICI_WAIT_MAX_MS), -1 answers at once;
 * false: not a number. */
static bool wait_until(uint8_t *msg, size_t len, uint64_t *deadline, bool *at_once)
{
    char s[16], *end;
    long ms;

    *deadline = vici_now_ms() + VICI_WAIT_MAX_MS;
    *at_once = false;
    if (!vici_find(msg, len, "timeout", s, sizeof s))
        return true;
    ms = strtol(s, &end, 10);
    if (*end || ms < -1 || ms > 24L * 3600 * 1000)
        return false;
    *at_once = ms == -1;
    if (ms > 0)
        *deadline = vici_now_ms() + (uint64_t)ms;
    return true;
}

static void park(struct vici *v, struct vici_client *c, enum vici_wait w, uint64_t deadline,
                 uint8_t *msg, size_t len)
{
    char level[8];

    c->wait = w;
    c->wait_deadline = deadline;
    c->level = vici_find(msg, len, "loglevel", level, sizeof level) ? (unsigned)atoi(level) : 1;
    vici_watch_fd(v, c); /* its end and its queue only, until answered */
}

static void unpark(struct vici *v, struct vici_client *c)
{
    c->wait = VW_NONE;
    vici_watch_fd(v, c);
}

static const struct cfg_conn *conn_of_child(const struct daemon *d, const char *child)
{
    for (size_t i = 0; i < d->cfg.n_ike_conns; i++)
        for (size_t k = 0; k < d->cfg.ike_conns[i].n_children; k++)
            if (!strcmp(d->cfg.ike_conns[i].children[k].name, child))
                return &d->cfg.ike_conns[i];
    return NULL;
}

static void initiate(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len)
{
    char child[256], ike[256], err[600];
    const struct cfg_conn *cc;
    uint64_t deadline;
    bool at_once;

    if (!vici_find(msg, len, "child", child, sizeof child)) {
        vici_fail(v, c,
                  "initiate needs child = NAME (uipsecd initiates CHILD_SAs, each with "
                  "the IKE SA it needs)");
        return;
    }
    if (!wait_until(msg, len, &deadline, &at_once)) {
        vici_fail(v, c, "timeout: expected milliseconds, -1 or more");
        return;
    }
    if (!(cc = conn_of_child(v->d, child))) {
        vici_fail(v, c, "CHILD_SA config '%s' not found", child);
        return;
    }
    if (vici_find(msg, len, "ike", ike, sizeof ike) && strcmp(ike, cc->name)) {
        vici_fail(v, c, "CHILD_SA config '%s' not found in connection '%s'", child, ike);
        return;
    }
    snprintf(c->child, sizeof c->child, "%s", child);
    snprintf(c->conn, sizeof c->conn, "%s", cc->name);
    /* parked first: what is logged while it starts goes to the client */
    park(v, c, VW_INITIATE, deadline, msg, len);
    if (ike_initiate(v->d, child, err, sizeof err) < 0) {
        unpark(v, c);
        vici_fail(v, c, "%s", err);
        return;
    }
    if (at_once) {
        unpark(v, c);
        vici_ok(v, c);
    }
}

/* The SAs a terminate waits for: how many still match. */
static unsigned terminate_matches(const struct daemon *d, const struct vici_client *c)
{
    struct ike_view iv;
    unsigned n = 0;

    for (const struct ike_rt *rt = NULL; (rt = ike_view_next(d, rt, &iv));) {
        if (c->ike_id ? iv.id != c->ike_id : c->conn[0] && strcmp(iv.conn, c->conn))
            continue;
        if (c->child[0]) {
            for (size_t i = 0; i < pairs_slots(d); i++) {
                const struct sa_pair *p = pairs_at(d, i);

                n += p && !p->trap && p->ike == iv.rt && !strcmp(p->cfg.name, c->child);
            }
        } else if (iv.sa->state != IKE_SA_DELETED && iv.sa->state != IKE_SA_FAILED) {
            n++;
        }
    }
    return n;
}

static void terminate(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len)
{
    char child[256] = "", ike[256] = "", err[600];
    unsigned ike_id = find_uint(msg, len, "ike-id");
    uint64_t deadline;
    bool at_once;

    vici_find(msg, len, "child", child, sizeof child);
    vici_find(msg, len, "ike", ike, sizeof ike);
    if (vici_find(msg, len, "child-id", err, sizeof err)) {
        vici_fail(v, c, "child-id is not supported by uipsecd; use child = NAME");
        return;
    }
    if (!wait_until(msg, len, &deadline, &at_once)) {
        vici_fail(v, c, "timeout: expected milliseconds, -1 or more");
        return;
    }
    if ((!child[0] && !ike[0] && !ike_id) || (child[0] && (ike[0] || ike_id)) ||
        (ike[0] && ike_id)) {
        vici_fail(v, c, "terminate takes one of ike = NAME, ike-id = N, child = NAME");
        return;
    }
    snprintf(c->child, sizeof c->child, "%s", child);
    snprintf(c->conn, sizeof c->conn, "%s", ike);
    c->ike_id = ike_id;
    c->matches = terminate_matches(v->d, c);
    park(v, c, VW_TERMINATE, deadline, msg, len);
    if ((ike_id ? ike_terminate_id(v->d, ike_id, err, sizeof err)
                : ike_terminate(v->d, ike[0] ? ike : NULL, ike[0] ? NULL : child, err,
                                sizeof err)) < 0) {
        unpark(v, c);
        vici_fail(v, c, "%s", err);
        return;
    }
    if (at_once) {
        unpark(v, c);
        vici_ok(v, c);
    }
}

static void answer_terminate(struct vici *v, struct vici_client *c, bool done)
{
    vici_begin(&v->out, VICI_CMD_RESPONSE, "");
    vici_kv(&v->out, "success", done ? "yes" : "no");
    vici_kv(&v->out, "matches", "%u", c->matches);
    vici_kv(&v->out, "terminated", "%u", done ? c->matches : 0);
    if (!done)
        vici_kv(&v->out, "errmsg",
                "terminate timed out; the SAs may still go (swanctl "
                "--list-sas)");
    vici_send(v, c);
}

bool vici_wait_check(struct vici *v, struct vici_client *c, uint64_t now)
{
    if (c->wait == VW_TERMINATE && terminate_matches(v->d, c) == 0) {
        unpark(v, c);
        answer_terminate(v, c, true);
        return true;
    }
    if (!c->wait_deadline || now < c->wait_deadline)
        return false;
    unpark(v, c);
    if (c->wait == VW_TERMINATE) {
        answer_terminate(v, c, false);
    } else {
        char why[300];

        if (ike_waiting_error(v->d, c->child, why, sizeof why))
            vici_fail(v, c, "initiate timed out: %s", why);
        else
            vici_fail(v, c,
                      "initiate timed out; the CHILD_SA may still come up (swanctl "
                      "--list-sas)");
    }
    return true;
}

void vici_child_done(struct daemon *d, struct vici *v, const char *child, const char *error)
{
    (void)d;
    for (size_t i = 0; v && i < VICI_MAX_CLIENTS; i++) {
        struct vici_client *c = &v->cl[i];

        if (c->fd < 0 || c->wait != VW_INITIATE || strcmp(c->child, child))
            continue;
        unpark(v, c);
        if (error)
            vici_fail(v, c, "%s", error);
        else
            vici_ok(v, c);
    }
}

/* ---- dispatch ---- */

static void not_supported(struct vici *v, struct vici_client *c, const char *name)
{
    vici_fail(v, c, "%s: uipsecd has no virtual IP pools (docs/CONTROL.md, \"VICI\")", name);
}

static void rekey(struct vici *v, struct vici_client *c, const char *name)
{
    (void)name;
    vici_fail(v, c,
              "uipsecd rekeys on the schedule of rekey_time (and the byte and packet limits), "
              "not on request");
}

static void redirect(struct vici *v, struct vici_client *c, const char *name)
{
    (void)name;
    vici_fail(v, c, "uipsecd does not redirect IKE SAs (RFC 5685)");
}

static void install(struct vici *v, struct vici_client *c, const char *name)
{
    (void)name;
    vici_fail(v, c,
              "uipsecd installs a trap for each child with start_action = trap, when its "
              "connection is loaded, and only so");
}

/* The commands, by the shape of their handler: with the message, with
 * the command's name, with neither. */
enum shape { MSG, NAMED, NAMED_MSG, BARE };

static const struct command {
    const char *name;
    enum shape shape;
    union {
        void (*msg)(struct vici *, struct vici_client *, uint8_t *, size_t);
        void (*named)(struct vici *, struct vici_client *, const char *);
        void (*named_msg)(struct vici *, struct vici_client *, const char *, uint8_t *, size_t);
        void (*bare)(struct vici *, struct vici_client *);
    } fn;
} commands[] = {
    {"version", BARE, {.bare = version}},
    {"stats", BARE, {.bare = stats}},
    {"reload-settings", BARE, {.bare = reload_settings}},
    {"list-sas", MSG, {.msg = list_sas}},
    {"list-conns", MSG, {.msg = list_conns}},
    {"get-conns", NAMED, {.named = vici_list_loaded}},
    {"list-policies", MSG, {.msg = list_policies}},
    {"list-certs", BARE, {.bare = list_certs}},
    {"list-authorities", MSG, {.msg = list_authorities}},
    {"get-algorithms", BARE, {.bare = get_algorithms}},
    {"get-counters", MSG, {.msg = get_counters}},
    {"reset-counters", MSG, {.msg = reset_counters}},
    {"initiate", MSG, {.msg = initiate}},
    {"terminate", MSG, {.msg = terminate}},
    {"rekey", NAMED, {.named = rekey}},
    {"redirect", NAMED, {.named = redirect}},
    {"install", NAMED, {.named = install}},
    {"uninstall", NAMED, {.named = install}},
    {"load-conn", MSG, {.msg = vici_load_conn}},
    {"unload-conn", MSG, {.msg = vici_unload_conn}},
    {"load-cert", MSG, {.msg = vici_load_cert}},
    {"load-authority", MSG, {.msg = vici_load_authority}},
    {"load-shared", NAMED_MSG, {.named_msg = vici_load_cred}},
    {"load-key", NAMED_MSG, {.named_msg = vici_load_cred}},
    {"load-token", NAMED_MSG, {.named_msg = vici_load_cred}},
    {"unload-shared", NAMED_MSG, {.named_msg = vici_unload_cred}},
    {"unload-key", NAMED_MSG, {.named_msg = vici_unload_cred}},
    {"unload-authority", NAMED_MSG, {.named_msg = vici_unload_cred}},
    {"get-shared", NAMED, {.named = vici_list_loaded}},
    {"get-keys", NAMED, {.named = vici_list_loaded}},
    {"get-authorities", NAMED, {.named = vici_list_loaded}},
    {"flush-certs", BARE, {.bare = vici_ok}}, /* no certificate cache to flush */
    {"clear-creds", BARE, {.bare = vici_clear_creds}},
    {"load-pool", NAMED, {.named = not_supported}},
    {"unload-pool", NAMED, {.named = not_supported}},
    {"get-pools", NAMED, {.named = not_supported}},
};

void vici_command(struct vici *v, struct vici_client *c, const char *name, uint8_t *msg, size_t len)
{
    log_vici = v; /* from here on the IKE thread's log reaches VICI */
    log_set_tap(tap);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        const struct command *k = &commands[i];

        if (strcmp(name, k->name))
            continue;
        if (k->shape == MSG)
            k->fn.msg(v, c, msg, len);
        else if (k->shape == NAMED)
            k->fn.named(v, c, name);
        else if (k->shape == NAMED_MSG)
            k->fn.named_msg(v, c, name, msg, len);
        else
            k->fn.bare(v, c);
        return;
    }
    v->n.unknown_cmd++;
    vici_begin(&v->out, VICI_CMD_UNKNOWN, "");
    vici_send(v, c);
}
