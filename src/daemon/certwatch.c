/* SPDX-License-Identifier: MIT */
/* The expiry warning for certificates in use (certwatch.h). */
#include "certwatch.h"

#include <stdio.h>
#include <string.h>

#include "certuse.h"
#include "config.h"

/* "gw, rw": the connections using certificate i (cert_uses names a
 * connection's uses one after another). */
struct users {
    char text[200];
    size_t used;
    const char *last;
};

static void add_user(void *arg, const char *conn, enum cert_use use)
{
    struct users *u = arg;

    (void)use;
    if (conn != u->last && u->used + strlen(conn) + 3 < sizeof u->text)
        u->used += (size_t)snprintf(u->text + u->used, sizeof u->text - u->used, "%s%s",
                                    u->last ? ", " : "", conn);
    u->last = conn;
}

/* The slot of the certificate with this SHA-256: its own, else a free
 * one, else the one told of longest ago. */
static size_t slot_of(const struct certwatch *w, const uint8_t md[32])
{
    size_t free_slot = CFG_MAX_CERTS, oldest = 0;

    for (size_t i = 0; i < CFG_MAX_CERTS; i++) {
        if (w->told[i].when && !memcmp(w->told[i].sha256, md, 32))
            return i;
        if (!w->told[i].when && free_slot == CFG_MAX_CERTS)
            free_slot = i;
        if (w->told[i].when < w->told[oldest].when)
            oldest = i;
    }
    return free_slot < CFG_MAX_CERTS ? free_slot : oldest;
}

/* Whether certificate x was told of within CERTWATCH_REPEAT_S; if not, it
 * is noted as told now. */
static bool told_lately(struct certwatch *w, const X509 *x, time_t now)
{
    uint8_t md[32];
    unsigned n = 0;
    size_t i;

    X509_digest(x, EVP_sha256(), md, &n);
    i = slot_of(w, md);
    if (w->told[i].when && !memcmp(w->told[i].sha256, md, sizeof md) &&
        now - w->told[i].when < CERTWATCH_REPEAT_S)
        return true;
    memcpy(w->told[i].sha256, md, sizeof md);
    w->told[i].when = now;
    return false;
}

static void tell(const struct cfg *cfg, size_t i, const X509 *x, time_t now, certwatch_log_fn *fn,
                 void *arg)
{
    struct users u = {.used = 0};
    char dn[600], end[32], line[1200];
    long days = cert_days_left(x, now);

    cert_uses(cfg, i, add_user, &u);
    cert_dn(X509_get_subject_name(x), dn, sizeof dn);
    cert_time(X509_get0_notAfter(x), end, sizeof end);
    if (cert_expired(x, now))
        snprintf(line, sizeof line,
                 "certificate \"%s\" (%s) used by connection %s EXPIRED on %s; renew it", dn,
                 cfg->certs[i].path, u.text, end);
    else
        snprintf(line, sizeof line,
                 "certificate \"%s\" (%s) used by connection %s expires on %s (in %ld day%s); "
                 "renew it",
                 dn, cfg->certs[i].path, u.text, end, days, days == 1 ? "" : "s");
    fn(arg, cert_expired(x, now) ? 0 : 1, line);
}

int certwatch_check(struct certwatch *w, const struct cfg *cfg, time_t now, certwatch_log_fn *fn,
                    void *arg)
{
    struct certset s;
    int lines = 0;

    w->checked = now;
    certset_load(&s, cfg);
    for (size_t i = 0; i < s.n; i++) {
        if (!s.x[i] || cert_days_left(s.x[i], now) >= CERTWATCH_DAYS || !cert_in_use(cfg, i) ||
            told_lately(w, s.x[i], now))
            continue;
        tell(cfg, i, s.x[i], now, fn, arg);
        lines++;
    }
    certset_free(&s);
    return lines;
}

void certwatch_tick(struct certwatch *w, const struct cfg *cfg, time_t now, certwatch_log_fn *fn,
                    void *arg)
{
    if (now - w->checked >= CERTWATCH_EVERY_S)
        certwatch_check(w, cfg, now, fn, arg);
}
