/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for uipsecd's IKE runtime (src/daemon/ike*.c, admit.c,
 * pairs.c): a daemon with a fixed configuration, fed a sequence of events
 * by the input.  Honest peers (src/ike's state machine on the fuzzer's
 * side, over IPv4, IPv4 behind a NAT and IPv6, and the gateway the
 * daemon initiates to) negotiate real IKE SAs and CHILD_SAs with it, so
 * the input reaches established SAs, CHILD_SA install, rekeys and deletes;
 * between their datagrams come raw and mutated ones from spoofed sources
 * (admission, cookies, half-open limits), lost, repeated and reflected
 * datagrams, time passing (retransmissions, lifetimes, DPD), control
 * commands and nftables failures.  Nothing reaches the kernel: see
 * fuzz_ike_rt_sys.c.
 *
 * The input is a list of records, each an op byte and its arguments
 * (bytes past the end read as 0):
 *   0 DELIVER i        the i-th datagram in flight reaches its receiver
 *   1 RUN n            the first n+1 datagrams in flight, one by one
 *   2 DROP i           the i-th datagram in flight is lost
 *   3 MUTATE i k {off:2 xor:1}*k   a changed copy of it arrives (xor 0:
 *                      cut at off); the original stays in flight
 *   4 RAW src port len:2 bytes     a datagram from a source of the table
 *                      (port & 8: through the data path's UDP 4500)
 *   5 TICK step        time passes in daemon ticks (steps[] below); with
 *                      step & 8 what is in flight arrives after each tick
 *   6 PEER_INIT p variant child    peer p starts an IKE SA
 *   7 PEER_TASK p slot kind arg    peer p's SA queues work, or forgets
 *                      it; kind 7: how p answers the daemon's IKE_SA_INIT
 *   8 DAEMON sub arg   initiate, terminate, a trap's packet, nftables
 *                      failing, a cookie secret rotation, a reload
 *   9 SPOOF i src      a copy of a datagram for the daemon, from elsewhere
 * After each record the harness checks the runtime's invariants: the
 * half-open list and count agree, no prefix holds more half-open SAs than
 * admit.h allows, every CHILD_SA points at a live IKE SA, and every
 * installed CHILD_SA has its cleartext-drop elements (fail closed); after
 * the input, shutdown leaves no SA or policy behind and nothing leaks.
 * Every input starts from the same clock and random bytes, so it always
 * takes the same path.  FUZZ_IKE_RT_LOG=1 shows the daemon's log; the
 * counts of what the run reached are printed at exit.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admit.h"
#include "daemon.h"
#include "fuzz_ike_rt.h"
#include "ike_int.h"
#include "ike_msg.h"
#include "log.h"
#include "pairs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* ---- the daemon's configuration ---- */

static const char conf_text[] =
    "uipsec {\n"
    "    interface = uipsecfz0\n"
    "    path_mtu = 1400\n"
    "}\n"
    "connections {\n"
    "    site {\n" /* first: the gateway's requests are site's */
    "        local_addrs = 192.0.2.1\n"
    "        remote_addrs = 192.0.2.9\n"
    "        proposals = aes128gcm16-prfsha256-x25519\n"
    "        dpd_delay = 30s\n"
    "        rekey_time = 20m\n"
    "        local {\n            auth = psk\n            id = gw.example\n        }\n"
    "        remote {\n            auth = psk\n            id = site.example\n        }\n"
    "        children {\n"
    "            site-net {\n"
    "                local_ts = 10.3.0.0/16\n"
    "                remote_ts = 10.9.0.0/16\n"
    "                esp_proposals = aes128gcm16\n"
    "                start_action = trap\n"
    "                rekey_time = 10m\n"
    "            }\n"
    "            site-pfs {\n"
    "                local_ts = 10.4.0.0/16\n"
    "                remote_ts = 10.8.0.0/16\n"
    "                esp_proposals = aes128gcm16-x25519\n"
    "            }\n"
    "        }\n"
    "    }\n"
    "    rw6 {\n" /* IPv6 road warriors, one IKE SA from one place */
    "        local_addrs = 2001:db8::1\n"
    "        proposals = aes128gcm16-prfsha256-x25519\n"
    "        unique = keep\n"
    "        max_ike_sas = 2\n"
    "        max_child_sas = 3\n"
    "        local {\n            auth = psk\n            id = gw.example\n        }\n"
    "        remote {\n            auth = psk\n        }\n"
    "        children {\n"
    "            rw6-net {\n"
    "                local_ts = fd00:1::/48\n"
    "                esp_proposals = aes128gcm16\n"
    "            }\n"
    "            rw6-pfs {\n"
    "                local_ts = fd00:2::/48\n"
    "                esp_proposals = aes128gcm16-x25519\n"
    "            }\n"
    "        }\n"
    "    }\n"
    "    rw {\n" /* road warriors: anyone with the PSK */
    "        proposals = aes128gcm16-prfsha256-x25519-ecp256, aes128-sha256-prfsha256-ecp256\n"
    "        unique = replace\n"
    "        max_ike_sas = 2\n"
    "        max_child_sas = 4\n"
    "        dpd_delay = 60s\n"
    "        rekey_time = 30m\n"
    "        local {\n            auth = psk\n            id = gw.example\n        }\n"
    "        remote {\n            auth = psk\n        }\n"
    "        children {\n"
    "            rw-net {\n"
    "                local_ts = 10.1.0.0/16, fd00:1::/48\n"
    "                esp_proposals = aes128gcm16, aes128-sha256\n"
    "                rekey_time = 10m\n"
    "                life_time = 15m\n"
    "            }\n"
    "            rw-pfs {\n"
    "                local_ts = 10.2.0.0/16, fd00:2::/48\n"
    "                esp_proposals = aes128gcm16-x25519\n"
    "            }\n"
    "        }\n"
    "    }\n"
    "}\n"
    "secrets {\n"
    "    ike-site {\n        id-1 = site.example\n        secret = \"site-psk-0123456789abcdef\"\n"
    "    }\n"
    "    ike-rw {\n        secret = \"roadwarrior-psk-0123456789abcdef\"\n    }\n"
    "}\n";

static struct cfg conf;
static char conf_dir[] = "/tmp/uipsec-fuzz-ike-rt-XXXXXX";
static char conf_name[64];

static const char *const children[] = {"site-net", "site-pfs", "rw-net", "rw6-net",
                                       "site-net", "site-pfs", "rw-pfs", "nosuch"};
static const char *const conns[] = {"site", "rw", "rw6", "nosuch"};

/* ---- peers ---- */

#define PEERS      5
#define PEER_SLOTS 6 /* IKE SAs a peer holds at once (rekeys need a second) */

struct slot {
    struct peer *p;
    struct ike_sa *sa;
    struct ike_env env;
    struct ike_path path; /* before sa exists */
    struct ike_cfg cfg;
    uint8_t psk[CFG_PSK_MAX];
};

struct peer {
    const char *id, *addr, *pub, *gw; /* its address, as the daemon sees it, the daemon's */
    uint16_t nat;                     /* a NAT adds this to its ports */
    struct uipsec_addr a, pub_a, gw_a;
    struct ike_cfg cfg;    /* variant 0 */
    unsigned resp_variant; /* its answers to the daemon's IKE_SA_INIT */
    struct slot slots[PEER_SLOTS];
};

static struct peer peers[PEERS] = {
    {.id = "alice.example", .addr = "198.51.100.10", .pub = "198.51.100.10", .gw = "192.0.2.1"},
    {.id = "bob.example",
     .addr = "10.0.0.11",
     .pub = "203.0.113.50",
     .gw = "192.0.2.1",
     .nat = 1000},
    {.id = "carol.example", .addr = "2001:db8:1::10", .pub = "2001:db8:1::10", .gw = "2001:db8::1"},
    {.id = "site.example", .addr = "192.0.2.9", .pub = "192.0.2.9", .gw = "192.0.2.1"},
    {.id = "dave.example", .addr = "2001:db8:1::11", .pub = "2001:db8:1::11", .gw = "2001:db8::1"},
};

/* Sources of raw and spoofed datagrams: the peers, strangers, and one
 * more address of carol's and dave's /64. */
static const char *const sources[] = {"198.51.100.10",  "203.0.113.50",  "2001:db8:1::10",
                                      "192.0.2.9",      "198.51.100.77", "198.51.100.78",
                                      "2001:db8:1::99", "2001:db8:2::5"};
static struct uipsec_addr source_a[8], gw4, gw6;

static struct daemon d;
static struct uipsec_spd *spd;
static struct uipsec_sad *sad;

/* ---- the network: datagrams in flight ---- */

#define FLIGHT 24

struct dgram {
    bool to_daemon;
    int peer;             /* the sender or receiver */
    struct ike_path path; /* as its receiver sees it */
    size_t len;
    uint8_t buf[IKE_MSG_MAX];
};

static struct dgram pool[FLIGHT];
static struct dgram *flight[FLIGHT];
static size_t nflight;

static bool addr_eq(const struct uipsec_addr *a, const struct uipsec_addr *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, a->family == 6 ? 16 : 4) == 0;
}

static int addr_parse(struct uipsec_addr *a, const char *text)
{
    memset(a, 0, sizeof(*a));
    a->family = strchr(text, ':') ? 6 : 4;
    return inet_pton(a->family == 6 ? AF_INET6 : AF_INET, text, a->bytes) == 1 ? UIPSEC_OK
                                                                               : UIPSEC_E_PARAM;
}

static void push(bool to_daemon, int peer, const struct ike_path *path, const uint8_t *buf,
                 size_t len)
{
    struct dgram *g = NULL;

    if (nflight == FLIGHT || len > IKE_MSG_MAX)
        return; /* lost */
    for (size_t i = 0; i < FLIGHT && !g; i++) {
        g = &pool[i];
        for (size_t j = 0; j < nflight && g; j++)
            if (flight[j] == g)
                g = NULL;
    }
    g->to_daemon = to_daemon;
    g->peer = peer;
    g->path = *path;
    g->len = len;
    memcpy(g->buf, buf, len);
    flight[nflight++] = g;
}

static void take(size_t i)
{
    memmove(&flight[i], &flight[i + 1], (nflight - i - 1) * sizeof(flight[0]));
    nflight--;
}

void fz_net_from_daemon(const struct ike_path *path, const uint8_t *buf, size_t len)
{
    for (int i = 0; i < PEERS; i++) {
        struct peer *p = &peers[i];

        if (addr_eq(&path->remote, &p->pub_a) && path->remote_port >= p->nat) {
            struct ike_path to = {.local = p->a,
                                  .remote = path->local,
                                  .local_port = (uint16_t)(path->remote_port - p->nat),
                                  .remote_port = path->local_port};

            push(false, i, &to, buf, len);
            return;
        }
    }
    fz_stats.sent_nowhere++; /* to a spoofed source */
}

static void peer_send(void *arg, const uint8_t *buf, size_t len)
{
    struct slot *s = arg;
    const struct ike_path *from = s->sa ? &s->sa->path : &s->path;
    struct ike_path to = {.local = from->remote,
                          .remote = s->p->pub_a,
                          .local_port = from->remote_port,
                          .remote_port = (uint16_t)(from->local_port + s->p->nat)};

    push(true, (int)(s->p - peers), &to, buf, len);
}

/* ---- a peer's side ---- */

static void peer_random(void *arg, uint8_t *buf, size_t len)
{
    (void)arg;
    fz_random(buf, len);
}

static uint64_t peer_now(void *arg)
{
    (void)arg;
    return fz_now_ms();
}

static void peer_child_up(void *arg, const struct ike_child_result *res)
{
    (void)arg, (void)res;
    fz_stats.peer_child_up++;
}

static void peer_child_down(void *arg, uint32_t spi_in, uint32_t spi_out)
{
    (void)arg, (void)spi_in, (void)spi_out;
}

static struct slot *free_slot(struct peer *p)
{
    for (size_t i = 0; i < PEER_SLOTS; i++)
        if (!p->slots[i].sa)
            return &p->slots[i];
    return NULL;
}

static const struct ike_env *peer_rekeyed(void *arg, struct ike_sa *new_sa)
{
    struct slot *old = arg, *s = free_slot(old->p);

    if (!s)
        return NULL; /* the old SA stays */
    s->cfg = old->cfg;
    memcpy(s->psk, old->psk, sizeof(s->psk));
    s->cfg.psk = s->psk;
    s->sa = new_sa;
    new_sa->cfg = &s->cfg;
    return &s->env;
}

static int child_cfg(struct ike_child_cfg *c, const char *esp, const char *l, const char *r)
{
    c->nts = 1;
    c->mode = UIPSEC_MODE_TUNNEL;
    return ike_prop_parse(esp, IKE_PROTO_ESP, &c->esp, NULL, 0) != UIPSEC_OK ||
                   uipsec_selector_parse(&c->ts[0], l, r, NULL, 0) != UIPSEC_OK
               ? -1
               : 0;
}

static const struct cfg_conn *conn_named(const char *name)
{
    for (size_t i = 0; i < conf.n_ike_conns; i++)
        if (!strcmp(conf.ike_conns[i].name, name))
            return &conf.ike_conns[i];
    abort();
}

static int peer_setup(struct peer *p)
{
    bool site = !strcmp(p->id, "site.example"), v6 = strchr(p->addr, ':') != NULL;
    const struct cfg_conn *c = conn_named(site ? "site" : v6 ? "rw6" : "rw");
    const char *any = v6 ? "::/0" : "0.0.0.0/0";
    struct ike_cfg *ic = &p->cfg;
    int rc = 0;

    rc |= addr_parse(&p->a, p->addr) != UIPSEC_OK;
    rc |= addr_parse(&p->pub_a, p->pub) != UIPSEC_OK;
    rc |= addr_parse(&p->gw_a, p->gw) != UIPSEC_OK;
    rc |= ike_id_set(&ic->local_id, IKE_ID_FQDN, p->id) != UIPSEC_OK;
    rc |= ike_id_set(&ic->remote_id, IKE_ID_FQDN, "gw.example") != UIPSEC_OK;
    rc |= ike_prop_parse("aes128gcm16-prfsha256-x25519", IKE_PROTO_IKE, &ic->ike, NULL, 0) !=
          UIPSEC_OK;
    ic->psk = c->psk; /* the daemon's, as it resolved it */
    ic->psk_len = c->psk_len;
    ic->nchildren = 3;
    if (site) {
        rc |= child_cfg(&ic->child[0], "aes128gcm16", "10.9.0.0/16", "10.3.0.0/16");
        rc |= child_cfg(&ic->child[1], "aes128gcm16-x25519", "10.8.0.0/16", "10.4.0.0/16");
        rc |= child_cfg(&ic->child[2], "aes128gcm16", "10.7.0.0/16", "10.3.0.0/16");
    } else {
        rc |= child_cfg(&ic->child[0], "aes128gcm16", any, v6 ? "fd00:1::/48" : "10.1.0.0/16");
        rc |=
            child_cfg(&ic->child[1], "aes128gcm16-x25519", any, v6 ? "fd00:2::/48" : "10.2.0.0/16");
        rc |= child_cfg(&ic->child[2], "aes128gcm16", any, v6 ? "fd00:9::/48" : "172.16.0.0/12");
    }
    for (size_t i = 0; i < PEER_SLOTS; i++) {
        struct slot *s = &p->slots[i];

        s->p = p;
        s->env = (struct ike_env){.arg = s,
                                  .random = peer_random,
                                  .send = peer_send,
                                  .child_sa_up = peer_child_up,
                                  .child_sa_down = peer_child_down,
                                  .now_ms = peer_now,
                                  .ike_sa_rekeyed = peer_rekeyed};
    }
    return rc ? -1 : 0;
}

/* A slot's configuration: the peer's, changed as the variant says. */
static void slot_cfg(struct slot *s, unsigned variant)
{
    struct ike_cfg *ic = &s->cfg;

    *ic = s->p->cfg;
    memcpy(s->psk, ic->psk, ic->psk_len);
    ic->psk = s->psk;
    switch (variant % 9) {
    case 1: /* a wrong PSK: AUTHENTICATION_FAILED and the back-off */
        s->psk[ic->psk_len - 1] ^= 1;
        break;
    case 2: /* another identity of the same address */
        (void)!ike_id_set(&ic->local_id, IKE_ID_FQDN, "mallory.example");
        break;
    case 3: /* a KE of a group the daemon likes less: INVALID_KE_PAYLOAD */
        (void)!ike_prop_parse("aes128gcm16-prfsha256-ecp256-x25519", IKE_PROTO_IKE, &ic->ike, NULL,
                              0);
        break;
    case 4: /* nothing the daemon takes: NO_PROPOSAL_CHOSEN */
        (void)!ike_prop_parse("aes256gcm16-prfsha384-ecp384", IKE_PROTO_IKE, &ic->ike, NULL, 0);
        break;
    case 5:
        ic->force_encap = true;
        break;
    case 6:
        ic->initial_contact = true;
        break;
    case 7: /* a CHILD_SA without the key exchange the daemon demands */
        (void)!ike_prop_parse("aes128gcm16", IKE_PROTO_ESP, &ic->child[1].esp, NULL, 0);
        break;
    case 8: /* CBC and HMAC, and a KE on a curve: one that can be off it */
        (void)!ike_prop_parse("aes128-sha256-prfsha256-ecp256", IKE_PROTO_IKE, &ic->ike, NULL, 0);
        break;
    }
}

static void peer_reap(struct peer *p)
{
    for (size_t i = 0; i < PEER_SLOTS; i++) {
        struct slot *s = &p->slots[i];

        if (s->sa && (s->sa->state == IKE_SA_FAILED || s->sa->state == IKE_SA_DELETED)) {
            ike_sa_free(s->sa);
            s->sa = NULL;
        }
    }
}

static void peer_init(struct peer *p, unsigned variant, unsigned child)
{
    struct slot *s = free_slot(p);

    if (!s)
        return;
    slot_cfg(s, variant);
    s->path = (struct ike_path){
        .local = p->a, .remote = p->gw_a, .local_port = IKE_PORT, .remote_port = IKE_PORT};
    if (ike_sa_initiate(&s->sa, &s->cfg, &s->env, &s->path, child % 3) != UIPSEC_OK)
        s->sa = NULL;
}

static struct slot *live_slot(struct peer *p, unsigned n)
{
    struct slot *live[PEER_SLOTS];
    size_t k = 0;

    for (size_t i = 0; i < PEER_SLOTS; i++)
        if (p->slots[i].sa)
            live[k++] = &p->slots[i];
    return k ? live[n % k] : NULL;
}

/* kind: the tasks in ike_task_kind's order up to REKEY_IKE, then 6: the
 * peer restarts and forgets the SA, 7: how it answers the daemon's next
 * IKE_SA_INIT (a variant). */
static void peer_task(struct peer *p, unsigned n, unsigned kind, unsigned arg)
{
    struct slot *s = live_slot(p, n);
    struct ike_sa *sa = s ? s->sa : NULL;
    uint32_t spi = sa && sa->nchildren ? sa->children[arg % sa->nchildren].spi_in : arg;
    const uint32_t args[IKE_TASK_REKEY_IKE + 1] = {
        [IKE_TASK_CHILD] = arg % 3, [IKE_TASK_DELETE_CHILD] = spi, [IKE_TASK_REKEY_CHILD] = spi};

    kind %= 8;
    if (kind == 7)
        p->resp_variant = arg;
    else if (sa && kind == 6) {
        ike_sa_free(sa);
        s->sa = NULL;
    } else if (sa) {
        (void)!ike_sa_queue(sa, (enum ike_task_kind)kind, args[kind]);
        peer_reap(p);
    }
}

/* A datagram reaches peer p: to its SA by SPIs, or a new responder SA
 * for an IKE_SA_INIT request (the daemon initiating). */
static void peer_receive(struct peer *p, const struct ike_path *path, const uint8_t *buf,
                         size_t len)
{
    static const uint8_t zero[IKE_SPI_LEN];
    struct ike_hdr h;
    struct slot *s;

    if (ike_decode_header(buf, len, &h) != IKE_DEC_OK)
        return;
    for (size_t i = 0; i < PEER_SLOTS; i++) {
        struct ike_sa *sa = p->slots[i].sa;

        if (sa && !memcmp(sa->spi_i, h.spi_i, IKE_SPI_LEN) &&
            (!memcmp(h.spi_r, zero, IKE_SPI_LEN) || sa->state == IKE_SA_INIT_SENT ||
             !memcmp(sa->spi_r, h.spi_r, IKE_SPI_LEN))) {
            (void)ike_sa_receive(sa, buf, len, path);
            peer_reap(p);
            return;
        }
    }
    if (h.exchange != IKE_EXCH_IKE_SA_INIT || (h.flags & IKE_FLAG_R) ||
        memcmp(h.spi_r, zero, IKE_SPI_LEN) || !(s = free_slot(p)))
        return;
    slot_cfg(s, p->resp_variant);
    s->path = *path;
    (void)ike_sa_respond(&s->sa, &s->cfg, &s->env, path, buf, len);
}

/* ---- the runtime's invariants ---- */

static bool rt_live(const struct ike_rt *rt)
{
    for (const struct ike_rt *r = d.ike->list; r; r = r->next)
        if (r == rt)
            return true;
    return false;
}

static uint8_t seen_up[256 / 8];

static void check(void)
{
    size_t n = 0;

    for (const struct ike_rt *rt = d.ike->list; rt; rt = rt->next)
        if (rt->half_open && (n++, !rt->sa || rt->sa->state != IKE_SA_INIT_DONE))
            abort();
    if (n != d.ike->n_half_open || n > IKE_HALF_OPEN_MAX)
        abort();
    if (n > fz_stats.half_open_max)
        fz_stats.half_open_max = n;
    for (size_t i = 0; i < 8; i++) /* even a prefix with credit is bounded */
        if (admit_half_open(d.ike->admit, &source_a[i]) > ADMIT_HALF_OPEN_PREFIX_MAX)
            abort();
    for (size_t i = 0; i < pairs_slots(&d); i++) {
        const struct sa_pair *c = pairs_at(&d, i);

        if (!c)
            continue;
        if (c->at != i || (c->ike && !rt_live(c->ike)))
            abort();
        if (!c->trap && !c->guarded) /* carries traffic without its drop rules */
            abort();
    }
    for (const struct ike_rt *rt = d.ike->list; rt; rt = rt->next)
        if (rt->established && rt->id < 256 && !(seen_up[rt->id / 8] & 1u << rt->id % 8)) {
            seen_up[rt->id / 8] |= (uint8_t)(1u << rt->id % 8);
            if (rt->sa->role == IKE_ROLE_RESPONDER)
                fz_stats.established_resp++;
            else
                fz_stats.established_init++;
        }
}

/* ---- records ---- */

struct in {
    const uint8_t *p;
    size_t n;
};

static unsigned u8(struct in *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static unsigned u16(struct in *in)
{
    unsigned hi = u8(in);

    return hi << 8 | u8(in);
}

static void deliver(const struct dgram *g, const uint8_t *buf, size_t len)
{
    if (g->to_daemon)
        ike_input(&d, buf, len, &g->path);
    else
        peer_receive(&peers[g->peer], &g->path, buf, len);
}

static void deliver_at(size_t i)
{
    static struct dgram g; /* it leaves the flight before it acts */

    if (i >= nflight)
        return;
    g = *flight[i];
    take(i);
    deliver(&g, g.buf, g.len);
}

static void mutate(struct in *in)
{
    static uint8_t buf[IKE_MSG_MAX];
    unsigned i = u8(in), k = u8(in) % 4 + 1;
    const struct dgram *g = nflight ? flight[i % nflight] : NULL;
    size_t len = g ? g->len : 0;

    if (g)
        memcpy(buf, g->buf, len);
    while (k--) {
        unsigned off = u16(in), x = u8(in);

        if (!len)
            continue;
        if (!x)
            len = off % len;
        else
            buf[off % len] ^= (uint8_t)x;
    }
    if (g)
        deliver(g, buf, len);
}

static struct ike_path from_source(unsigned src, unsigned port)
{
    static const uint16_t ports[] = {IKE_PORT, IKE_NATT_PORT, 1500, 5500};
    struct ike_path from = {.remote = source_a[src % 8], .remote_port = ports[port % 4]};

    from.local = from.remote.family == 6 ? gw6 : gw4;
    from.local_port = port & 4 ? IKE_NATT_PORT : IKE_PORT;
    return from;
}

/* As the data path hands IKE over UDP 4500 to the runtime: with an IPv4
 * or IPv6 and UDP header rebuilt and the non-ESP marker. */
static void encap(const struct ike_path *from, const uint8_t *buf, size_t len)
{
    static uint8_t pkt[52 + IKE_MSG_MAX];
    bool v6 = from->remote.family == 6;
    size_t hdr = v6 ? 48 : 28, alen = v6 ? 16 : 4;

    if (len > IKE_MSG_MAX)
        len = IKE_MSG_MAX;
    memset(pkt, 0, hdr + 4);
    pkt[0] = v6 ? 0x60 : 0x45;
    pkt[v6 ? 6 : 9] = 17;
    memcpy(pkt + (v6 ? 8 : 12), from->remote.bytes, alen);
    memcpy(pkt + (v6 ? 24 : 16), from->local.bytes, alen);
    pkt[hdr - 8] = (uint8_t)(from->remote_port >> 8);
    pkt[hdr - 7] = (uint8_t)from->remote_port;
    pkt[hdr - 6] = IKE_NATT_PORT >> 8;
    pkt[hdr - 5] = IKE_NATT_PORT & 0xff;
    memcpy(pkt + hdr + 4, buf, len);
    ike_input_encap(&d, pkt, hdr + 4 + len);
}

static void raw(struct in *in)
{
    unsigned src = u8(in), port = u8(in);
    size_t len = u16(in);
    struct ike_path from = from_source(src, port);

    if (len > in->n)
        len = in->n;
    if (port & 8)
        encap(&from, in->p, len);
    else
        ike_input(&d, in->p, len, &from);
    in->p += len;
    in->n -= len;
}

static void peers_tick(void)
{
    for (size_t i = 0; i < PEERS; i++) {
        for (size_t k = 0; k < PEER_SLOTS; k++)
            if (peers[i].slots[k].sa)
                ike_sa_tick(peers[i].slots[k].sa);
        peer_reap(&peers[i]);
    }
}

/* Long enough for every lifetime of the configuration to run out a few
 * times; beyond, an input would only repeat rekeys (and cost time). */
#define TIME_MAX_MS (4 * 3600 * 1000u)

static void tick(unsigned step)
{
    static const struct {
        uint32_t ms, n;
    } steps[] = {{IKE_TICK_MS, 1}, {2000, 1},   {IKE_TICK_MS, 10}, {1000, 30},
                 {5000, 24},       {10000, 60}, {60000, 30},       {300000, 12}};

    for (uint32_t i = 0; i < steps[step % 8].n && fz_now_ms() < TIME_MAX_MS; i++) {
        fz_advance_ms(steps[step % 8].ms);
        ike_tick(&d);
        peers_tick();
        for (unsigned k = 0; step & 8 && k < 64 && nflight; k++) /* a network that works */
            deliver_at(0);
    }
}

static void daemon_op(unsigned sub, unsigned arg)
{
    char err[300];

    switch (sub % 8) {
    case 0:
        ike_initiate(&d, children[arg % 8], err, sizeof(err));
        break;
    case 1:
        ike_terminate(&d, conns[arg % 4], NULL, err, sizeof(err));
        break;
    case 2:
        ike_terminate(&d, NULL, children[arg % 8], err, sizeof(err));
        break;
    case 3: /* an inner packet hits site-net's trap */
        for (size_t i = 0; i < pairs_slots(&d); i++)
            if (pairs_at(&d, i) && pairs_at(&d, i)->trap) {
                static const uint8_t pkt[28] = {0x45, 0, 0,  28, 0, 0, 0,  0, 64, 17,
                                                0,    0, 10, 3,  0, 1, 10, 9, 0,  1};

                ike_trap_fire(&d, pairs_at(&d, i), pkt, sizeof(pkt));
                break;
            }
        break;
    case 4:
        fz_cleardrop_fail = arg & 1;
        break;
    case 5:
        ike_cookie_rotate(&d);
        break;
    case 6:
        if (ike_waiting_error(&d, children[arg % 8], err, sizeof(err)) && !memchr(err, 0, 300))
            abort();
        break;
    case 7: /* a reload: the traps are made again */
        ike_reload(&d);
        break;
    }
}

static void spoof(struct in *in)
{
    unsigned i = u8(in), src = u8(in);
    const struct dgram *g = nflight ? flight[i % nflight] : NULL;
    struct ike_path from = from_source(src, src >> 3);

    if (g && g->to_daemon)
        ike_input(&d, g->buf, g->len, &from);
}

static void record(struct in *in)
{
    unsigned op = u8(in) % 10, a;

    switch (op) {
    case 0:
        a = u8(in);
        if (nflight)
            deliver_at(a % nflight);
        break;
    case 1:
        for (a = u8(in) % 32 + 1; a-- && nflight;)
            deliver_at(0);
        break;
    case 2:
        a = u8(in);
        if (nflight)
            take(a % nflight);
        break;
    case 3:
        mutate(in);
        break;
    case 4:
        raw(in);
        break;
    case 5:
        tick(u8(in));
        break;
    case 6: {
        struct peer *p = &peers[u8(in) % PEERS];
        unsigned v = u8(in);

        peer_init(p, v, u8(in));
        break;
    }
    case 7: {
        struct peer *p = &peers[u8(in) % PEERS];
        unsigned n = u8(in), kind = u8(in);

        peer_task(p, n, kind, u8(in));
        break;
    }
    case 8:
        a = u8(in);
        daemon_op(a, u8(in));
        break;
    case 9:
        spoof(in);
        break;
    }
}

/* ---- one input: a fresh daemon ---- */

static void start(void)
{
    unsigned added, removed, kept;
    char err[300];

    fz_sys_reset();
    memset(&d, 0, sizeof(d));
    memset(seen_up, 0, sizeof(seen_up));
    d.cfg = conf;
    d.tun.fd = d.epfd = d.sig_fd = d.timer_fd = d.fetch_fd = -1;
    d.spd = spd; /* empty again: made once, for their tables are large */
    d.sad = sad;
    if (pairs_apply(&d, &d.cfg, &added, &removed, &kept, err, sizeof(err)) ||
        ike_tables_open(&d) < 0 || ike_start(&d) < 0)
        abort();
    nflight = 0;
}

static void stop(void)
{
    ike_stop(&d);
    ike_tables_close(&d);
    pairs_clear(&d);
    /* every SA and policy went with its IKE SA */
    if (uipsec_sad_count(sad) || uipsec_spd_list(spd, UIPSEC_DIR_OUT, NULL, 0) ||
        uipsec_spd_list(spd, UIPSEC_DIR_IN, NULL, 0))
        abort();
    for (size_t i = 0; i < PEERS; i++)
        for (size_t k = 0; k < PEER_SLOTS; k++) {
            ike_sa_free(peers[i].slots[k].sa);
            peers[i].slots[k].sa = NULL;
        }
    fz_stats.cookies += d.drops[DD_IKE_COOKIE];
    nflight = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in in = {data, size};

    fz_stats.inputs++;
    start();
    check();
    while (in.n) {
        record(&in);
        check();
    }
    stop();
    return 0;
}

/* ---- once ---- */

static FILE *report_to;

static void report(void)
{
    const struct fz_stats *s = &fz_stats;

    fprintf(report_to,
            "fuzz_ike_rt: %llu inputs; IKE SAs established: %llu as responder, %llu as initiator; "
            "CHILD_SAs installed: %llu (peers saw %llu); trap packets sent: %llu; datagrams "
            "sent: %llu (%llu to spoofed sources), cookies asked: %llu; most half-open: %llu\n",
            (unsigned long long)s->inputs, (unsigned long long)s->established_resp,
            (unsigned long long)s->established_init, (unsigned long long)s->child_installed,
            (unsigned long long)s->peer_child_up, (unsigned long long)s->held_sent,
            (unsigned long long)s->sent, (unsigned long long)s->sent_nowhere,
            (unsigned long long)s->cookies, (unsigned long long)s->half_open_max);
    unlink(conf_name);
    rmdir(conf_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[600];
    int fd;

    (void)argc, (void)argv;
    /* cfg_load_text takes keys only from a private file of the name */
    if (!mkdtemp(conf_dir))
        abort();
    snprintf(conf_name, sizeof(conf_name), "%s/fuzz.conf", conf_dir);
    if ((fd = open(conf_name, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0)
        abort();
    close(fd);
    report_to = stderr;
    atexit(report);
    if (cfg_load_text(conf_text, sizeof(conf_text) - 1, conf_name, &conf, err, sizeof(err)) < 0) {
        fprintf(stderr, "fuzz_ike_rt: %s\n", err);
        abort();
    }
    fz_sys_init();
    if (!(spd = uipsec_spd_new()) || !(sad = uipsec_sad_new()))
        abort();
    if (addr_parse(&gw4, "192.0.2.1") != UIPSEC_OK || addr_parse(&gw6, "2001:db8::1") != UIPSEC_OK)
        abort();
    for (size_t i = 0; i < 8; i++)
        if (addr_parse(&source_a[i], sources[i]) != UIPSEC_OK)
            abort();
    for (size_t i = 0; i < PEERS; i++)
        if (peer_setup(&peers[i]) < 0)
            abort();
    /* the daemon's log goes nowhere (but is still formatted), libFuzzer's
     * to the real stderr */
    if (!getenv("FUZZ_IKE_RT_LOG")) {
        FILE *null = fopen("/dev/null", "w");

        if (!null)
            abort();
        stderr = null;
    }
    log_set_level(LOG_DEBUG);
    return 0;
}
