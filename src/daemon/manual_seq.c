/* SPDX-License-Identifier: MIT */
/* Sequence reservations of manual SAs (manual_seq.h). */
#include "manual_seq.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "log.h"
#include "pairs.h"
#include "seqstore.h"

static struct seqstore *store; /* open once a manual SA needs it, kept */
static bool sealed;            /* no more opening: the process is in its sandbox */
static char sealed_why[300];   /* why store is NULL then */

void mseq_open_now(const struct cfg *cfg)
{
    if (!store && !(store = seqstore_open(cfg->state_dir, sealed_why, sizeof(sealed_why))))
        log_debug("uipsec.state_dir: %s", sealed_why);
    sealed = true;
}

int mseq_configure(const struct cfg *cfg, char *err, size_t err_len)
{
    const struct cfg_manual *m = NULL;
    char why[400] = "";

    for (size_t i = 0; i < cfg->n_manual && !m; i++)
        if (seqstore_needed(&cfg->manual[i].suite))
            m = &cfg->manual[i];
    if (!m)
        return 0;
    if (store) {
        if (strcmp(seqstore_dir(store), cfg->state_dir))
            log_warn("uipsec.state_dir = %s takes effect at restart; %s stays in use",
                     cfg->state_dir, seqstore_dir(store));
        return 0;
    }
    if (sealed)
        snprintf(why, sizeof(why), "%s (it is opened at start only: restart uipsecd)", sealed_why);
    else if ((store = seqstore_open(cfg->state_dir, why, sizeof(why))))
        return 0;
    snprintf(err, err_len,
             "%s: manual.%s: esp_proposals = %s with a static key repeats nonces after a "
             "restart unless uipsec.state_dir keeps its sequence numbers, but %s; fix "
             "state_dir, or use a CBC suite with HMAC (e.g. aes256-sha256) for static keys, "
             "or IKE (connections { })",
             m->where, m->name, m->proposal, why);
    return -1;
}

int mseq_prepare(struct sa_pair *c, struct uipsec_sa_params *out, char *err, size_t err_len)
{
    const struct cfg_manual *m = &c->cfg;
    char label[80], why[400] = "uipsec.state_dir is not open";

    if (!seqstore_needed(&m->suite))
        return 0;
    if (m->in.enc_key_len == m->out.enc_key_len &&
        CRYPTO_memcmp(m->in.enc_key, m->out.enc_key, m->out.enc_key_len) == 0) {
        snprintf(err, err_len,
                 "%s: manual.%s: in and out have the same enc_key: with %s both directions "
                 "would send the same nonces; give each direction its own key",
                 m->where, m->name, m->proposal);
        return -1;
    }
    snprintf(label, sizeof(label), "manual.%s", m->name);
    if (store) /* opened by mseq_configure() */
        c->seq = seqres_open(store, label, m->out.enc_key, m->out.enc_key_len, out->esn, &out->seq,
                             why, sizeof(why));
    if (!c->seq) {
        snprintf(err, err_len, "%s: manual.%s: out: %s", m->where, m->name, why);
        return -1;
    }
    return 0;
}

int mseq_attach(struct sa_pair *c, char *err, size_t err_len)
{
    char why[400];

    if (!c->seq || seqres_attach(c->seq, c->out, why, sizeof(why)) == 0)
        return 0;
    snprintf(err, err_len,
             "%s: manual.%s: %s: its sequence numbers cannot be kept, and without them a "
             "restart would repeat nonces; fix uipsec.state_dir",
             c->cfg.where, c->cfg.name, why);
    return -1;
}

void mseq_release(struct sa_pair *c)
{
    seqres_close(c->seq);
    c->seq = NULL;
}

/* A failed write leaves the SA at its ceiling: its packets wait (dropped
 * as seq-not-reserved) rather than risk a nonce.  Logged at most every 10 s. */
static void failed(const struct sa_pair *c, const char *why)
{
    static time_t last;
    time_t now = time(NULL);

    if (now - last < 10)
        return;
    last = now;
    log_err("manual.%s: cannot reserve more sequence numbers: %s; its packets are dropped "
            "(seq-not-reserved) until the state directory can be written",
            c->cfg.name, why);
}

void mseq_tick(struct daemon *d)
{
    char why[400];

    for (size_t i = 0; i < pairs_slots(d); i++) {
        struct sa_pair *c = pairs_at(d, i);

        if (c && c->seq && seqres_tick(c->seq, false, why, sizeof(why)) < 0)
            failed(c, why);
    }
}

int mseq_raise(struct sa_pair *c)
{
    char why[400];

    if (!c->seq)
        return -1;
    if (seqres_tick(c->seq, true, why, sizeof(why)) == 0)
        return 0;
    failed(c, why);
    return -1;
}
