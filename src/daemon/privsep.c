/* SPDX-License-Identifier: MIT */
#include "privsep.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleardrop.h"
#include "control.h"
#include "daemon.h"
#include "fetcher.h"
#include "ike.h"
#include "keylog.h"
#include "workers.h"
#include "log.h"
#include "manual_seq.h"
#include "prf.h"
#include "privcfg.h"
#include "privchan.h"
#include "routes.h"
#include "sig.h"
#include "sandbox.h"

/* The PSKs the child may ask MACs with, by number; a reload appends the
 * new ones (numbers stay valid for IKE SAs made before it). */
struct psk {
    uint8_t key[CFG_PSK_MAX];
    size_t len;
};

struct parent {
    struct daemon *d; /* as set up before the split: netlink, TUN index, config */
    struct cleardrop *cd;
    struct psk *psks;
    size_t npsks;
    EVP_PKEY **keys; /* private keys the child may ask signatures with, by number */
    size_t nkeys;
    pid_t child;
    pid_t fetcher; /* fetcher.h, or -1 */
};

static uint32_t psk_id(void *arg, const uint8_t *key, size_t len)
{
    struct parent *p = arg;
    struct psk *grown;

    for (size_t i = 0; i < p->npsks; i++)
        if (p->psks[i].len == len && CRYPTO_memcmp(p->psks[i].key, key, len) == 0)
            return (uint32_t)i;
    if (len > CFG_PSK_MAX || !(grown = realloc(p->psks, (p->npsks + 1) * sizeof(*grown))))
        return UINT32_MAX; /* no MAC for it: its authentications fail */
    p->psks = grown;
    memcpy(p->psks[p->npsks].key, key, len);
    p->psks[p->npsks].len = len;
    return (uint32_t)p->npsks++;
}

static uint32_t key_id(void *arg, EVP_PKEY *key)
{
    struct parent *p = arg;
    EVP_PKEY **grown;

    for (size_t i = 0; i < p->nkeys; i++)
        if (EVP_PKEY_eq(p->keys[i], key) == 1)
            return (uint32_t)i;
    if (!(grown = realloc(p->keys, (p->nkeys + 1) * sizeof(*grown))) || !EVP_PKEY_up_ref(key))
        return UINT32_MAX; /* no signature with it: its authentications fail */
    p->keys = grown;
    p->keys[p->nkeys] = key;
    return (uint32_t)p->nkeys++;
}

static void keys_free(struct parent *p)
{
    for (size_t i = 0; i < p->nkeys; i++)
        EVP_PKEY_free(p->keys[i]); /* OpenSSL wipes the private parts */
    free(p->keys);
    p->keys = NULL;
    p->nkeys = 0;
}

/* ---- the requests ---- */

static int h_route(void *arg, bool add, const struct priv_route *r)
{
    struct parent *p = arg;

    return nl_route(&p->d->nl, add, ROUTE_TABLE, p->d->tun.index, r->family, r->dst, r->plen,
                    NULL) < 0
               ? -errno
               : 0;
}

static int h_mtu(void *arg, uint32_t mtu)
{
    struct parent *p = arg;

    return nl_link_up(&p->d->nl, p->d->tun.index, mtu) < 0 ? -errno : 0;
}

static int h_drop(void *arg, bool add, const struct uipsec_selector *sel)
{
    return cleardrop_sel(((struct parent *)arg)->cd, sel, add) < 0 ? -EIO : 0;
}

static int h_peer(void *arg, bool add, const struct uipsec_addr *peer)
{
    return cleardrop_peer(((struct parent *)arg)->cd, peer, add) < 0 ? -EIO : 0;
}

static int h_drop_commit(void *arg, bool apply)
{
    return cleardrop_commit(((struct parent *)arg)->cd, apply) < 0 ? -EIO : 0;
}

static int h_drop_count(void *arg, uint64_t *n)
{
    *n = cleardrop_count(((struct parent *)arg)->cd);
    return 0;
}

static int h_keylog(void *arg, enum priv_keylog_file file, const char *line)
{
    struct parent *p = arg;

    if (!p->d->cfg.wireshark_keys[0])
        return -EPERM; /* the configuration does not ask for keys to be logged */
    keylog_append(p->d->cfg.wireshark_keys, file, line);
    return 0;
}

/* prf(prf(PSK, "Key Pad for IKEv2"), octets): RFC 7296 2.15. */
static int h_psk_auth(void *arg, const struct priv_auth *a, uint8_t *out, size_t *out_len)
{
    struct parent *p = arg;
    struct ike_iov msg = {a->octets, a->len};
    enum ike_prf_alg prf = (enum ike_prf_alg)a->prf;
    size_t plen = ike_prf_len(prf);

    if (a->secret >= p->npsks || !plen || plen > PRIV_REPLY_DATA ||
        ike_psk_mac(prf, p->psks[a->secret].key, p->psks[a->secret].len, &msg, 1, out, plen) !=
            UIPSEC_OK)
        return -EINVAL;
    *out_len = plen;
    return 0;
}

/* An AUTH signature (RFC 7296 2.15, RFC 7427) over octets the child
 * chose: as with the PSK MAC, a compromised child could get signatures
 * while it runs, but never the key, which it cannot keep or use later. */
static int h_sign(void *arg, const struct priv_sign *s, uint8_t *out, size_t *out_len)
{
    struct parent *p = arg;
    uint8_t sig[IKE_SIG_MAX_AUTH];
    size_t len = sizeof(sig);
    char why[200];

    if (s->key >= p->nkeys)
        return -EINVAL;
    if (ike_sig_sign(p->keys[s->key], (enum ike_sig_scheme)s->scheme, s->method, s->octets, s->len,
                     sig, &len, why, sizeof(why)) < 0 ||
        len > PRIV_REPLY_DATA) {
        log_warn("cannot sign IKE_AUTH: %s", why);
        return -EINVAL;
    }
    memcpy(out, sig, len);
    *out_len = len;
    return 0;
}

/* Credentials loaded over VICI (vici_store.c): the child hands each over
 * once and keeps its number.  A compromised child gains nothing by it (it
 * could keep such a key itself); the tables are bounded so that it cannot
 * grow the parent without end, and numbers stay valid while it runs. */
#define VICI_PSKS_MAX 65536
#define VICI_KEYS_MAX 4096

static int h_psk_add(void *arg, const struct priv_blob *psk, uint32_t *id)
{
    struct parent *p = arg;

    if (p->npsks >= VICI_PSKS_MAX)
        return -ENOSPC;
    *id = psk_id(p, psk->bytes, psk->len);
    return *id == UINT32_MAX ? -ENOMEM : 0;
}

static int h_key_add(void *arg, const struct priv_blob *der, uint32_t *id)
{
    struct parent *p = arg;
    const unsigned char *q = der->bytes;
    EVP_PKEY *key;

    if (p->nkeys >= VICI_KEYS_MAX)
        return -ENOSPC;
    if (!(key = d2i_AutoPrivateKey(NULL, &q, der->len)) || q != der->bytes + der->len) {
        EVP_PKEY_free(key);
        return -EINVAL;
    }
    *id = key_id(p, key);
    EVP_PKEY_free(key); /* key_id took its own reference */
    return *id == UINT32_MAX ? -ENOMEM : 0;
}

/* The configuration file again, for a reload in the child. */
static int h_config(void *arg, uint8_t *out, size_t *out_len)
{
    struct parent *p = arg;
    struct daemon *d = p->d;
    struct cfg next;
    char err[PRIV_REPLY_DATA];
    uint32_t len;

    if (cfg_load(d->config_path, &next, err, sizeof(err)) < 0) {
        *out_len = strlen(err);
        memcpy(out, err, *out_len);
        return -EINVAL;
    }
    if (strcmp(next.ifname, d->cfg.ifname) ||
        (!d->socket_from_cmdline && strcmp(next.socket_path, d->cfg.socket_path)) ||
        next.offload != d->cfg.offload || next.workers != d->cfg.workers)
        log_warn("reload: interface, socket, offload and workers changes take effect at restart");
    strcpy(next.ifname, d->cfg.ifname);
    strcpy(next.socket_path, d->cfg.socket_path);
    next.offload = d->cfg.offload;
    next.workers = d->cfg.workers;
    ike_config_loaded(&next);
    privcfg_strip(&next, psk_id, key_id, p);
    len = (uint32_t)privcfg_write(d->priv.cfg_fd, &next);
    cfg_free(&d->cfg);
    d->cfg = next; /* the key-log directory follows it */
    if (!len) {
        *out_len = (size_t)snprintf((char *)out, PRIV_REPLY_DATA,
                                    "cannot pass the configuration on: %s", strerror(errno));
        return -EIO;
    }
    memcpy(out, &len, sizeof(len));
    *out_len = sizeof(len);
    return 0;
}

static int h_ready(void *arg)
{
    struct parent *p = arg;

    if (control_publish(p->d) < 0) {
        log_err("control socket %s: cannot give it its name: %s", p->d->cfg.socket_path,
                strerror(errno));
        return -EIO;
    }
    return 0;
}

/* ---- the parent's life ---- */

/* Until the child hangs up: its requests, and signals passed on to it. */
static void serve(struct parent *p, int fd)
{
    const struct priv_handlers h = {.route = h_route,
                                    .mtu = h_mtu,
                                    .drop = h_drop,
                                    .peer = h_peer,
                                    .keylog = h_keylog,
                                    .psk_auth = h_psk_auth,
                                    .sign = h_sign,
                                    .psk_add = h_psk_add,
                                    .key_add = h_key_add,
                                    .drop_commit = h_drop_commit,
                                    .drop_count = h_drop_count,
                                    .config = h_config,
                                    .ready = h_ready,
                                    .arg = p};
    struct pollfd pf[2] = {{.fd = fd, .events = POLLIN}, {.fd = p->d->sig_fd, .events = POLLIN}};

    for (;;) {
        struct signalfd_siginfo si;
        enum priv_serve r = PRIV_IDLE;

        if (poll(pf, 2, -1) < 0 && errno != EINTR)
            return;
        while (read(p->d->sig_fd, &si, sizeof(si)) == sizeof(si))
            if (si.ssi_signo != SIGCHLD) /* HUP: reload; TERM, INT: stop */
                kill(p->child, (int)si.ssi_signo);
        while (pf[0].revents && (r = priv_serve_one(fd, &h)) == PRIV_SERVED)
            ;
        if (r == PRIV_BAD_REQUEST) {
            log_err("the unprivileged process sent a malformed request: stopping it");
            kill(p->child, SIGKILL);
            return;
        }
        if (r == PRIV_CLOSED)
            return;
    }
}

/* What the parent set up goes with it; the drops stay if the child died
 * abnormally (fail closed: a restart replaces them). */
static int finish(struct parent *p)
{
    struct daemon *d = p->d;
    int status = 0;
    bool clean;

    while (waitpid(p->child, &status, 0) < 0 && errno == EINTR)
        ;
    if (p->fetcher > 0) { /* its stream closed with the child: it ends */
        kill(p->fetcher, SIGTERM);
        while (waitpid(p->fetcher, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!clean)
        log_err("the unprivileged process %s %d: the cleartext drops stay in place until "
                "uipsecd starts again (or: nft delete table inet uipsecd)",
                WIFSIGNALED(status) ? "was killed by signal" : "exited with status",
                WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    cleardrop_free(p->cd, !clean);
    routes_teardown(d);
    control_close(d); /* removes the socket file */
    nl_close(&d->nl);
    OPENSSL_cleanse(p->psks, p->npsks * sizeof(*p->psks));
    free(p->psks);
    keys_free(p);
    cfg_free(&d->cfg);
    return clean ? 0 : 1;
}

/* The parent's copies of what only the child uses. */
static void close_child_fds(struct daemon *d)
{
    if (d->tun.fd >= 0)
        close(d->tun.fd);
    if (d->tun.dropped_fd >= 0)
        close(d->tun.dropped_fd);
    d->tun.dropped_fd = -1;
    workers_close(d);
    net_close(&d->net);
    ike_io_close(d);
    if (d->epfd >= 0)
        close(d->epfd);
    if (d->timer_fd >= 0)
        close(d->timer_fd);
    if (d->fetch_fd >= 0)
        close(d->fetch_fd);
    d->tun.fd = d->epfd = d->timer_fd = d->fetch_fd = -1;
}

/* Beyond an event loop's calls (sandbox.c): waiting for the parent's
 * answers, reading configurations it passes, writing sequence marks in
 * the state directory it opened (seqstore.c: relative to that descriptor
 * only; the root is empty), and reading a control client's credentials. */
static const int child_calls[] = {
    SCMP_SYS(poll),    SCMP_SYS(ppoll),           SCMP_SYS(pread64),   SCMP_SYS(openat),
    SCMP_SYS(fsync),   SCMP_SYS(renameat),        SCMP_SYS(renameat2), SCMP_SYS(getsockopt),
    SCMP_SYS(getppid), SCMP_SYS(epoll_create1),   SCMP_SYS(eventfd2),  SCMP_SYS(clone),
    SCMP_SYS(clone3),  SCMP_SYS(set_robust_list), SCMP_SYS(rseq),      SCMP_SYS(rt_sigaction),
    SCMP_SYS(sysinfo), /* glibc's qsort asks how much memory there is */
};

static void enter_child(struct daemon *d, struct parent *p, const char *dir, int fd)
{
    struct sandbox sb = {.user = SANDBOX_USER_DEFAULT,
                         .root_dir = dir,
                         .extra = child_calls,
                         .n_extra = sizeof(child_calls) / sizeof(child_calls[0])};
    struct sandbox_result res;
    char err[400];

    nl_close(&d->nl);
    routes_disown(d); /* the parent's to remove, as the socket file */
    control_disown(d);
    d->priv.fd = fd;
    OPENSSL_cleanse(p->psks, p->npsks * sizeof(*p->psks));
    free(p->psks);
    keys_free(p);
    if (sandbox_enter(&sb, &res, err, sizeof(err)) < 0) {
        log_err("cannot enter the sandbox: %s", err);
        _exit(1);
    }
    log_info("unprivileged process %d runs as uid %u%s in %s", (int)getpid(), res.uid,
             res.fell_back ? " (user " SANDBOX_USER_FALLBACK ": create user uipsecd)" : "", dir);
}

int privsep_split(struct daemon *d, const char *sandbox_dir)
{
    static struct parent p;
    int sv[2];
    char err[400];

    p.d = d;
    mkdir("/run/uipsecd", 0755); /* systemd's RuntimeDirectory, when not under systemd */
    if (sandbox_check_root(sandbox_dir, err, sizeof(err)) < 0) {
        log_err("%s", err);
        return -1;
    }
    d->priv.cfg_fd = memfd_create("uipsecd-config", MFD_CLOEXEC);
    p.cd = cleardrop_new(d->tun.name);
    if (d->priv.cfg_fd < 0 || !p.cd ||
        socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        log_err("cannot split into privileged and unprivileged processes: %s", strerror(errno));
        return -1;
    }
    privcfg_strip(&d->cfg, psk_id, key_id, &p); /* the parent keeps them in p.psks, p.keys */
    /* without it certificates are checked against x509crl/ only */
    p.fetcher = fetcher_start(&d->fetch_fd);
    p.child = fork();
    if (p.child < 0) {
        log_err("cannot fork: %s", strerror(errno));
        return -1;
    }
    if (p.child == 0) {
        close(sv[0]);
        cleardrop_free(p.cd, true);
        enter_child(d, &p, sandbox_dir, sv[1]);
        return 0;
    }
    close(sv[1]);
    close_child_fds(d);
    serve(&p, sv[0]);
    close(sv[0]);
    exit(finish(&p));
}
