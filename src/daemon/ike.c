/* SPDX-License-Identifier: MIT */
/* IKE SAs: the table, datagrams in, the state machine's callbacks, timers
 * and the end of an SA (ike.h). */
#include "ike_int.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "control.h"
#include "daemon.h"
#include "dpthread.h"
#include "ike_choose.h"
#include "ike_creds.h"
#include "ike_msg.h"
#include "log.h"
#include "pairs.h"
#include "privclient.h"

#define IKE_DGRAM_MAX IKE_MSG_MAX

static const char *addr_str(const struct uipsec_addr *a, char *buf, size_t len)
{
    inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->bytes, buf, (socklen_t)len);
    return buf;
}

void ike_rt_log(const struct ike_rt *rt, enum log_level level, const char *fmt, ...)
{
    char line[300];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    log_msg(level, "%s[%u]: %s", rt->conn.name, rt->id, line);
}

/* ---- the state machine's callbacks ---- */

static void cb_random(void *arg, uint8_t *buf, size_t len)
{
    (void)arg;
    if (RAND_bytes(buf, (int)len) != 1)
        abort(); /* no keys from a broken generator */
}

static void cb_send(void *arg, const uint8_t *buf, size_t len)
{
    struct ike_rt *rt = arg;

    ike_io_send(rt->d, rt->sa ? &rt->sa->path : &rt->path, buf, len);
}

static void cb_log(void *arg, const char *msg)
{
    ike_rt_log(arg, LOG_INFO, "%s", msg);
}

static void cb_log_peer(void *arg, const char *msg)
{
    const struct ike_rt *rt = arg;

    log_peer("%s[%u]: %s", rt->conn.name, rt->id, msg);
}

static void cb_log_drop(void *arg, const char *msg)
{
    const struct ike_rt *rt = arg;

    /* An unusable answer to our own IKE_SA_INIT says why the tunnel is not
     * coming up (anyone who saw our SPI can forge one: rate-limited) */
    if (rt->sa && rt->sa->state == IKE_SA_INIT_SENT)
        log_peer("%s[%u]: %s", rt->conn.name, rt->id, msg);
    else
        log_net("%s[%u]: %s", rt->conn.name, rt->id, msg); /* counted ike-dropped */
}

static uint64_t cb_now(void *arg)
{
    struct timespec ts;

    (void)arg;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool any_pending(const struct ike_rt *rt)
{
    for (size_t k = 0; k < CFG_MAX_CHILDREN; k++)
        if (rt->child_pending[k])
            return true;
    return false;
}

static void cb_child_failed(void *arg, unsigned k, uint16_t notify)
{
    struct ike_rt *rt = arg;

    const char *name = k < rt->conn.n_children ? rt->conn.children[k].name : "?";
    char why[200];

    if (k < CFG_MAX_CHILDREN)
        rt->child_pending[k] = false;
    snprintf(why, sizeof(why), "%s: CHILD_SA %s not made: %s", rt->conn.name, name,
             notify ? ike_notify_name(notify) : "local failure");
    log_warn("%s", why);
    ike_traps_release(rt->d, rt->conn.name, k);
    control_child_done(rt->d, name, NULL, why);
    if (rt->sa && rt->sa->state == IKE_SA_ESTABLISHED && !rt->sa->nchildren && !any_pending(rt)) {
        /* an IKE SA we hold only for CHILD_SAs that cannot be made is
         * closed (strongSwan's close_ike_on_child_failure) */
        ike_rt_log(rt, LOG_INFO, "no CHILD_SA left: deleting the IKE SA");
        if (ike_sa_queue(rt->sa, IKE_TASK_DELETE_IKE, 0) != UIPSEC_OK)
            rt->sa->state = IKE_SA_DELETED;
    }
}

time_t ike_jitter(time_t now, uint64_t secs, uint64_t rand)
{
    uint32_t r = 0;

    if (!secs)
        return 0;
    if (rand && RAND_bytes((uint8_t *)&r, sizeof(r)) == 1)
        secs -= r % (rand + 1);
    return now + (time_t)(secs ? secs : 1);
}

static const struct ike_env *cb_rekeyed(void *arg, struct ike_sa *new_sa);

/* An IKE SA is up (made or rekeyed): its lifetime starts. */
static void set_up(struct ike_rt *rt)
{
    rt->established = time(NULL);
    rt->rekey_at = ike_jitter(rt->established, rt->conn.rekey_time, rt->conn.rand_time);
    rt->expire_at = rt->conn.rekey_time
                        ? rt->established + (time_t)(rt->conn.rekey_time + rt->conn.over_time)
                        : 0;
}

/* ---- building an SA ---- */

static int cb_psk_mac(void *arg, enum ike_prf_alg prf, const uint8_t *octets, size_t len,
                      uint8_t *out, size_t out_len)
{
    struct ike_rt *rt = arg;

    return priv_psk_mac(rt->d, rt->conn.psk_id, (unsigned)prf, octets, len, out, out_len) == 0 ? 0
                                                                                               : -1;
}

static int build_cfg(struct ike_rt *rt, char *err, size_t err_len);

/* Responder, IKE_AUTH: the connection that fits the peer's identities and
 * method best takes over the SA (ike_choose.h); its configuration is
 * rebuilt in place, where the SA's cfg points. */
static const struct ike_cfg *cb_auth_cfg(void *arg, const struct ike_id *idi,
                                         const struct ike_id *idr, uint8_t method)
{
    struct ike_rt *rt = arg;
    const struct cfg_conn *c =
        rt->sa ? ike_choose_auth(&rt->d->cfg, rt->sa, &rt->path, idi, idr, method) : NULL;
    struct cfg_conn was = rt->conn;
    struct ike_cfg old = rt->icfg;
    char err[512]; /* the connection's place in the file and why */

    if (!c || !strcmp(c->name, rt->conn.name))
        return NULL;
    rt->conn = *c;
    memset(&rt->icfg, 0, sizeof(rt->icfg));
    if (build_cfg(rt, err, sizeof(err)) < 0) {
        ike_rt_log(rt, LOG_WARN, "cannot switch to connection %s: %s", c->name, err);
        rt->conn = was;
        rt->icfg = old;
        return NULL;
    }
    ike_creds_free(&old);
    ike_rt_log(rt, LOG_INFO, "switching from connection %s to %s, which fits the peer better",
               was.name, c->name);
    OPENSSL_cleanse(&was, sizeof(was));
    return &rt->icfg;
}

static int cb_sign(void *arg, uint32_t key_id, int scheme, uint8_t method, const uint8_t *octets,
                   size_t len, uint8_t *out, size_t *out_len)
{
    struct ike_rt *rt = arg;

    return priv_sign(rt->d, key_id, (unsigned)scheme, method, octets, len, out, out_len) == 0 ? 0
                                                                                              : -1;
}

static struct ike_rt *rt_new(struct daemon *d, const struct cfg_conn *conn,
                             const struct ike_path *path)
{
    struct ike_rt *rt = calloc(1, sizeof(*rt));

    if (!rt)
        return NULL;
    rt->d = d;
    rt->conn = *conn;
    rt->path = *path;
    rt->id = ++d->ike->ids;
    rt->created = time(NULL);
    rt->env = (struct ike_env){.arg = rt,
                               .random = cb_random,
                               .send = cb_send,
                               .child_sa_up = ike_child_up_cb,
                               .child_sa_down = ike_child_down_cb,
                               .log = cb_log,
                               .log_drop = cb_log_drop,
                               .now_ms = cb_now,
                               .child_failed = cb_child_failed,
                               .ike_sa_rekeyed = cb_rekeyed,
                               .auth_allowed = ike_policy_auth_allowed,
                               .auth_result = ike_policy_auth_result,
                               .child_allowed = ike_policy_child_allowed,
                               /* the PSK and the keys are the parent's: it makes
                                * the MAC and the signature */
                               .psk_mac = conn->psk_len ? NULL : cb_psk_mac,
                               .sign = cb_sign,
                               .auth_cfg = cb_auth_cfg,
                               .revoc = d->ike->revoc};
    return rt;
}

/* The state machine's view of the connection, "dynamic" selectors made
 * concrete with the addresses of this SA. */
static int build_cfg(struct ike_rt *rt, char *err, size_t err_len)
{
    const struct cfg_conn *c = &rt->conn;
    struct ike_cfg *ic = &rt->icfg;
    char why[200];

    ic->local_id = c->local_id;
    ic->remote_id = c->remote_id;
    ic->remote_id_any = c->remote_id_any;
    ic->psk = c->psk;
    ic->psk_len = c->psk_len;
    ic->ike = c->ike;
    ic->force_encap = c->encap;
    ic->fragmentation = c->fragmentation;
    ic->fragment_size = cfg_fragment_size(&rt->d->cfg, rt->path.remote.family);
    if (!rt->d->ike->creds)
        rt->d->ike->creds = ike_creds_cache_new();
    if (ike_creds_get(rt->d->ike->creds, &rt->d->cfg, c, ic, err, err_len) < 0)
        return -1;
    if (!ic->local_id.type && /* local.id defaults to our address */
        ike_id_set(&ic->local_id, rt->path.local.family == 6 ? IKE_ID_IPV6_ADDR : IKE_ID_IPV4_ADDR,
                   addr_str(&rt->path.local, why, sizeof(why))) != UIPSEC_OK) {
        snprintf(err, err_len, "%s: no local address for local.id", c->where);
        return -1;
    }
    ic->nchildren = c->n_children;
    for (size_t k = 0; k < c->n_children; k++) {
        const struct cfg_child *ch = &c->children[k];
        struct ike_child_cfg *icc = &ic->child[k];

        icc->esp = ch->esp;
        icc->mode = ch->mode;
        if (pairs_selectors(ch->local_ts, ch->n_local_ts, ch->remote_ts, ch->n_remote_ts,
                            &rt->path.local, &rt->path.remote, icc->ts, IKE_CFG_MAX_TS, &icc->nts,
                            why, sizeof(why)) < 0) {
            snprintf(err, err_len, "%s: child %s: %s", ch->where, ch->name, why);
            return -1;
        }
    }
    return 0;
}

/* Removes every CHILD_SA of rt from the data plane. */
static void drop_children(struct ike_rt *rt)
{
    struct daemon *d = rt->d;
    bool any = false;

    for (size_t i = pairs_slots(d); i-- > 0;) {
        struct sa_pair *c = pairs_at(d, i);

        if (c && c->ike == rt) {
            pairs_del(d, c);
            any = true;
        }
    }
    if (any)
        daemon_refresh(d);
}

static void rt_free(struct ike_rt *rt)
{
    ike_half_open_del(rt);
    ike_pace_end(rt, false);
    ike_table_unlink(rt);
    drop_children(rt);
    ike_sa_free(rt->sa);
    ike_creds_free(&rt->icfg);
    OPENSSL_cleanse(rt, sizeof(*rt));
    free(rt);
}

/* Unlinks and frees the SAs that ended. */
void ike_reap(struct daemon *d)
{
    for (struct ike_rt **pp = &d->ike->list; *pp;) {
        struct ike_rt *rt = *pp;
        enum ike_sa_state st = rt->sa ? rt->sa->state : IKE_SA_FAILED;

        char why[300];

        if (st != IKE_SA_FAILED && st != IKE_SA_DELETED) {
            pp = &rt->next;
            continue;
        }
        snprintf(why, sizeof(why), "%s[%u]: IKE SA %s%s%s%s", rt->conn.name, rt->id,
                 st == IKE_SA_FAILED ? "failed: " : "deleted",
                 st == IKE_SA_FAILED && rt->sa ? rt->sa->fail_reason : "",
                 st == IKE_SA_FAILED && rt->sa && rt->sa->fail_notify ? ", notify " : "",
                 st == IKE_SA_FAILED && rt->sa && rt->sa->fail_notify
                     ? ike_notify_name(rt->sa->fail_notify)
                     : "");
        if (rt->quiet || (rt->sa && rt->sa->role == IKE_ROLE_RESPONDER && !rt->established &&
                          !rt->sa->fail_notify))
            log_net("%s", why); /* one of many in a flood, or logged rate-limited */
        else
            log_msg(st == IKE_SA_FAILED ? LOG_WARN : LOG_INFO, "%s", why);
        for (size_t k = 0; k < rt->conn.n_children; k++)
            if (rt->child_pending[k]) {
                ike_traps_release(d, rt->conn.name, (unsigned)k);
                control_child_done(d, rt->conn.children[k].name, NULL, why);
            }
        rt_free(rt); /* unlinks it: *pp is the next one */
    }
    ike_pace_run(d); /* initiations that waited for those */
}

/* After every event: keys to log, the news to tell. */
void ike_rt_after(struct ike_rt *rt)
{
    struct ike_sa *sa = rt->sa;

    if (!sa)
        return;
    if (sa->keys && !rt->keys_logged) {
        priv_keylog_ike(rt->d, sa);
        rt->keys_logged = true;
    }
    if (rt->half_open && sa->state != IKE_SA_INIT_DONE)
        ike_half_open_del(rt);
    if (rt->paced && sa->state != IKE_SA_INIT_SENT && sa->state != IKE_SA_AUTH_SENT)
        ike_pace_end(rt, sa->state == IKE_SA_ESTABLISHED);
    if (sa->state == IKE_SA_ESTABLISHED && !rt->established) {
        char id[2 * IKE_ID_MAX + 2];

        set_up(rt);
        ike_id_format(&sa->peer_id, id, sizeof(id));
        ike_rt_log(rt, LOG_INFO, "IKE SA established with %s (%s)", id,
                   sa->role == IKE_ROLE_INITIATOR ? "initiator" : "responder");
        ike_policy_established(rt);
    }
}

/* The IKE SA was rekeyed: a new ike_rt takes the new SA and the
 * CHILD_SAs; the old one waits for its DELETE. */
static const struct ike_env *cb_rekeyed(void *arg, struct ike_sa *new_sa)
{
    struct ike_rt *old = arg, *rt = rt_new(old->d, &old->conn, &old->sa->path);
    struct daemon *d = old->d;

    if (!rt)
        return NULL;
    rt->icfg = old->icfg;
    rt->rekey_of = old->id;
    rt->icfg.psk = rt->conn.psk;        /* its own copy: the old rt goes first */
    if (ike_creds_ref(&rt->icfg) < 0) { /* the certificates too */
        rt_free(rt);
        return NULL;
    }
    rt->sa = new_sa;
    new_sa->cfg = &rt->icfg;
    memcpy(rt->child_pending, old->child_pending, sizeof(rt->child_pending));
    memset(old->child_pending, 0, sizeof(old->child_pending));
    set_up(rt);
    old->rekey_at = old->expire_at = 0;
    for (size_t i = 0; i < pairs_slots(d); i++)
        if (pairs_at(d, i) && pairs_at(d, i)->ike == old)
            pairs_at(d, i)->ike = rt;
    ike_table_link(d, rt);
    ike_rt_log(old, LOG_INFO, "IKE SA rekeyed, now %s[%u]", rt->conn.name, rt->id);
    return &rt->env;
}

/* ---- datagrams in ---- */

/* Under load a request must echo our cookie before it costs a key
 * exchange and memory (RFC 7296 2.6); the answer asking for it is
 * stateless.  Secrets change every IKE_COOKIE_ROTATE_S. */
static bool cookie_ok(struct daemon *d, const uint8_t *buf, size_t len, const struct ike_path *from)
{
    uint8_t reply[IKE_COOKIE_REPLY_MAX];
    size_t rlen = 0;
    int r = ike_cookie_check((const uint8_t(*)[IKE_COOKIE_SECRET_LEN])d->ike->cookie_secret,
                             d->ike->cookie_gen, from, buf, len, reply, &rlen);

    if (r == 1)
        return true;
    if (r == 0) {
        d->drops[DD_IKE_COOKIE]++;
        ike_io_send(d, from, reply, rlen);
    } else {
        d->drops[DD_IKE_MALFORMED]++;
    }
    return false;
}

void ike_cookie_rotate(struct daemon *d)
{
    d->ike->cookie_gen++;
    if (RAND_bytes(d->ike->cookie_secret[d->ike->cookie_gen & 1], IKE_COOKIE_SECRET_LEN) != 1)
        abort();
    d->ike->cookie_rotated = time(NULL);
}

/* Whether a new IKE_SA_INIT may cost us a key exchange and memory (and
 * *cookie: whether it echoed our cookie).  Under load (by request rate
 * or half-open SAs), when its prefix already holds
 * ADMIT_HALF_OPEN_PER_PREFIX, or has had its ADMIT_RESPONSE_RATE full
 * answers, it must echo a cookie: spoofing a peer's address then cannot
 * lock the peer out, for the peer itself proves its address and may hold
 * more, the more of its SAs complete (admit.h); our answers cannot be
 * reflected at a victim whose address the requests carry (a COOKIE answer
 * is smaller than the request).  With the table of half-open SAs full,
 * one goes for it only if its prefix holds more unearned ones (*victim). */
static bool admit(struct daemon *d, const uint8_t *buf, size_t len, const struct ike_path *from,
                  bool *cookie, struct ike_rt **victim)
{
    uint64_t now = cb_now(NULL);
    struct admit *a = d->ike->admit;
    size_t mine = admit_half_open(a, &from->remote);
    bool busy = admit_init_busy(a, now) || d->ike->n_half_open >= IKE_COOKIE_THRESHOLD;

    *cookie = false;
    *victim = NULL;
    if (busy || mine >= ADMIT_HALF_OPEN_PER_PREFIX ||
        !admit_response_ok(a, &from->remote, false, now)) {
        if (!cookie_ok(d, buf, len, from))
            return false;
        *cookie = true;
    }
    if (mine >= admit_window(a, &from->remote, *cookie, now) ||
        (d->ike->n_half_open >= IKE_HALF_OPEN_MAX &&
         !(*victim = ike_half_open_victim(d, &from->remote)))) {
        d->drops[DD_IKE_HALF_OPEN]++;
        return false;
    }
    if (*cookie && !admit_response_ok(a, &from->remote, true, now)) {
        d->drops[DD_IKE_INIT_RATE]++;
        return false;
    }
    return true;
}

/* The table of half-open SAs is full: one of the prefix holding most
 * that it has not earned goes for the newcomer (admit.h). */
static void evict(struct daemon *d, struct ike_rt *victim)
{
    log_net("%s[%u]: half-open IKE SA evicted for a newer one", victim->conn.name, victim->id);
    d->drops[DD_IKE_EVICTED]++;
    rt_free(victim);
}

static void respond(struct daemon *d, const uint8_t *buf, size_t len, const struct ike_path *from)
{
    const struct cfg_conn *conn = ike_choose_init(&d->cfg, from, buf, len);
    struct ike_rt *rt;
    char err[300];
    enum ike_init_drop why = IKE_INIT_DROP_NONE;
    enum ike_rx rx;
    bool cookie;
    struct ike_rt *victim;

    if (!conn) {
        d->drops[DD_IKE_NO_CONN]++;
        log_net("IKE_SA_INIT from %s: no connection for these addresses",
                addr_str(&from->remote, err, sizeof(err)));
        return;
    }
    if (!admit(d, buf, len, from, &cookie, &victim))
        return;
    if (!(rt = rt_new(d, conn, from)))
        return;
    if (build_cfg(rt, err, sizeof(err)) < 0) {
        log_peer("%s", err); /* anyone's IKE_SA_INIT can lead here */
        rt_free(rt);
        return;
    }
    rt->env.log = cb_log_peer; /* anyone can send IKE_SA_INIT: rate-limited */
    /* The key exchange touches no SA of the data path: it goes on (dpthread.h) */
    sa_write_unlock(d);
    rx = ike_sa_respond_why(&rt->sa, &rt->icfg, &rt->env, from, buf, len, &why);
    sa_write_lock(d);
    rt->env.log = cb_log;
    if (!rt->sa) {
        if (why == IKE_INIT_DROP_BAD_KE)
            d->drops[DD_IKE_BAD_KE]++;
        else if (rx == IKE_RX_DROPPED)
            d->drops[DD_IKE_DROPPED]++;
        d->ike->ids--;
        rt_free(rt);
        return;
    }
    ike_table_link(d, rt);
    if (rt->sa->state == IKE_SA_INIT_DONE) {
        ike_half_open_add(rt, cookie);
        if (victim && victim->half_open)
            evict(d, victim);
    }
    ike_rt_after(rt);
}

void ike_input(struct daemon *d, const uint8_t *buf, size_t len, const struct ike_path *from)
{
    static const uint8_t zero[IKE_SPI_LEN];
    struct ike_hdr h;
    struct ike_rt *rt;

    if (len > IKE_DGRAM_MAX || ike_decode_header(buf, len, &h) != IKE_DEC_OK) {
        d->drops[DD_IKE_MALFORMED]++;
        return;
    }
    rt = ike_table_find(d, &h);
    if (!rt && h.exchange == IKE_EXCH_IKE_SA_INIT && !(h.flags & IKE_FLAG_R) &&
        memcmp(h.spi_r, zero, IKE_SPI_LEN) == 0 && h.msg_id == 0) {
        respond(d, buf, len, from);
        return;
    }
    if (!rt) {
        d->drops[DD_IKE_UNKNOWN_SPI]++;
        return;
    }
    if (ike_sa_receive(rt->sa, buf, len, from) == IKE_RX_DROPPED)
        d->drops[DD_IKE_DROPPED]++;
    ike_rt_after(rt);
    ike_reap(d);
}

void ike_readable(struct daemon *d, enum ike_sock which)
{
    static uint8_t buf[IKE_DGRAM_MAX];
    struct ike_path from;
    size_t len;

    for (int i = 0; i < 64; i++) {
        int rc = ike_io_recv(d, which, buf, sizeof(buf), &len, &from);

        if (rc <= 0)
            break;
        sa_write_yield(d);
        ike_input(d, buf, len, &from);
    }
}

void ike_input_encap(struct daemon *d, const uint8_t *pkt, size_t len)
{
    struct ike_path from = {0};
    bool v6 = len >= 1 && pkt[0] >> 4 == 6;
    size_t alen = v6 ? 16 : 4, hdr = v6 ? 48 : 28; /* IP, UDP */

    if (len < hdr + 4 || (!v6 && pkt[0] != 0x45) || memcmp(pkt + hdr, "\0\0\0\0", 4) != 0) {
        d->drops[DD_IKE_MALFORMED]++;
        return;
    }
    from.remote.family = from.local.family = v6 ? 6 : 4;
    memcpy(from.remote.bytes, pkt + (v6 ? 8 : 12), alen);
    memcpy(from.local.bytes, pkt + (v6 ? 24 : 16), alen);
    from.remote_port = (uint16_t)(pkt[hdr - 8] << 8 | pkt[hdr - 7]);
    from.local_port = IKE_NATT_PORT;
    ike_input(d, pkt + hdr + 4, len - hdr - 4, &from);
}

/* Dead peer detection: a liveness check after dpd_delay of silence. */
static void dpd(struct ike_rt *rt)
{
    struct daemon *d = rt->d;
    uint64_t seen = rt->sa->msg_id_expect + rt->sa->msg_id_send;
    time_t now = time(NULL);

    for (size_t i = 0; i < pairs_slots(d); i++)
        if (pairs_at(d, i) && pairs_at(d, i)->ike == rt) {
            struct uipsec_sa_stats st;

            uipsec_sa_get_stats(pairs_at(d, i)->in, &st);
            seen += st.packets;
        }
    if (seen != rt->seen || !rt->last_heard) {
        rt->seen = seen;
        rt->last_heard = now;
        return;
    }
    if (now - rt->last_heard < (time_t)rt->conn.dpd_delay || rt->sa->req_pending)
        return;
    rt->last_heard = now;
    if (ike_sa_queue(rt->sa, IKE_TASK_LIVENESS, 0) != UIPSEC_OK)
        ike_rt_log(rt, LOG_WARN, "cannot queue a liveness check");
}

void ike_tick(struct daemon *d)
{
    admit_tick(d->ike->admit, cb_now(NULL));
    ike_lifetimes(d);
    if (time(NULL) - d->ike->cookie_rotated >= IKE_COOKIE_ROTATE_S)
        ike_cookie_rotate(d);
    ike_fetch_tick(d);
    for (struct ike_rt *rt = d->ike->list; rt; rt = rt->next)
        if (rt->sa) {
            if (rt->conn.dpd_delay && rt->sa->state == IKE_SA_ESTABLISHED)
                dpd(rt);
            ike_sa_tick(rt->sa);
            ike_rt_after(rt);
        }
    ike_reap(d);
}

/* ---- initiating ---- */

bool ike_view_of(const struct ike_rt *rt, struct ike_view *v)
{
    if (!rt || !rt->sa)
        return false;
    *v = (struct ike_view){.rt = rt,
                           .sa = rt->sa,
                           .conn = rt->conn.name,
                           .id = rt->id,
                           .established = rt->established,
                           .rekey_at = rt->rekey_at,
                           .rekey_of = rt->rekey_of};
    return true;
}

const struct ike_rt *ike_view_next(const struct daemon *d, const struct ike_rt *after,
                                   struct ike_view *v)
{
    const struct ike_rt *rt = after ? after->next : d->ike ? d->ike->list : NULL;

    while (rt && !ike_view_of(rt, v))
        rt = rt->next;
    return rt;
}

bool ike_rt_usable(const struct ike_rt *rt, const char *conn)
{
    const struct ike_sa *sa = rt->sa;

    /* not a responder's half-open SA: anyone can make one of those */
    return sa && !strcmp(rt->conn.name, conn) && !sa->rekeyed &&
           (sa->state == IKE_SA_ESTABLISHED ||
            (sa->role == IKE_ROLE_INITIATOR && sa->state < IKE_SA_ESTABLISHED));
}

static bool peer_known(const struct daemon *d, const struct uipsec_addr *remote)
{
    for (const struct ike_rt *rt = d->ike->list; rt; rt = rt->next)
        if (rt->sa && ike_addr_eq(&rt->sa->path.remote, remote))
            return true;
    return false;
}

int ike_initiate_conn(struct daemon *d, const struct cfg_conn *conn, unsigned k, char *err,
                      size_t err_len)
{
    struct ike_path path = {.remote = conn->remote,
                            .local = conn->local,
                            .local_port = IKE_PORT,
                            .remote_port = IKE_PORT};
    struct ike_rt *rt;
    int r;

    for (rt = d->ike->list; rt; rt = rt->next)
        if (ike_rt_usable(rt, conn->name))
            break;
    if (rt) { /* an IKE SA exists (or is being made): a CHILD_SA over it */
        if (rt->child_pending[k]) {
            snprintf(err, err_len, "%s: CHILD_SA %s is already being negotiated", conn->name,
                     conn->children[k].name);
            return -1;
        }
        rt->child_pending[k] = true; /* before: the request may fail at once */
        if (ike_sa_queue(rt->sa, IKE_TASK_CHILD, k) != UIPSEC_OK) {
            rt->child_pending[k] = false;
            snprintf(err, err_len, "%s: too many requests waiting", conn->name);
            return -1;
        }
        if (!rt->child_pending[k]) {
            snprintf(err, err_len, "%s: cannot send the CREATE_CHILD_SA request", conn->name);
            return -1;
        }
        ike_rt_after(rt);
        return 0;
    }
    if (!conn->remote.family) {
        snprintf(err, err_len,
                 "%s: remote_addrs is %%any, so it can only respond; set remote_addrs", conn->name);
        return -1;
    }
    if (ike_pace_queue(d, conn, k)) { /* starts as ours to that peer complete */
        err[0] = '\0';
        return 0;
    }
    if (!path.local.family)
        path.local = ike_io_source_for(&conn->remote);
    if (!path.local.family || !(rt = rt_new(d, conn, &path))) {
        snprintf(err, err_len, "%s: no route to %s", conn->name,
                 addr_str(&conn->remote, (char[INET6_ADDRSTRLEN]){0}, INET6_ADDRSTRLEN));
        return -1;
    }
    if (build_cfg(rt, err, err_len) < 0) {
        rt_free(rt);
        return -1;
    }
    /* strongSwan: unless unique = never, INITIAL_CONTACT when we know no
     * IKE SA with the peer */
    rt->icfg.initial_contact = conn->unique != CFG_UNIQUE_NEVER && !peer_known(d, &conn->remote);
    r = ike_sa_initiate(&rt->sa, &rt->icfg, &rt->env, &path, k);
    if (r != UIPSEC_OK) {
        snprintf(err, err_len, "%s: cannot start IKE_SA_INIT: %s", conn->name,
                 uipsec_result_name(r));
        rt_free(rt);
        return -1;
    }
    rt->child_pending[k] = true;
    ike_table_link(d, rt);
    ike_pace_start(rt);
    ike_rt_log(rt, LOG_INFO, "initiating to %s for CHILD_SA %s",
               addr_str(&conn->remote, err, err_len), conn->children[k].name);
    err[0] = '\0';
    return 0;
}

void ike_stop(struct daemon *d)
{
    while (d->ike && d->ike->list) {
        struct ike_rt *rt = d->ike->list;

        if (rt->sa && rt->sa->state == IKE_SA_ESTABLISHED) {
            /* tell the peer; no time to wait for its answer */
            rt->sa->ntasks = 0;
            if (ike_sa_queue(rt->sa, IKE_TASK_DELETE_IKE, 0) != UIPSEC_OK)
                ike_rt_log(rt, LOG_WARN, "cannot send DELETE");
        }
        rt_free(rt); /* unlinks it */
    }
    ike_traps_clear(d);
    ike_fetch_stop(d);
    ike_creds_cache_free(d->ike ? d->ike->creds : NULL);
    if (d->ike)
        d->ike->creds = NULL;
    ike_io_close(d);
}
