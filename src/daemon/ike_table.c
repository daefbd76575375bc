/* SPDX-License-Identifier: MIT */
/* The IKE runtime's tables (ike_int.h): every IKE SA in a list, indexed
 * by SPI; the half-open responder SAs, counted per prefix (admit.h). */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "daemon.h"
#include "ike_int.h"
#include "ike_msg.h"

/* ---- the table: a list, and an index by SPIi ---- */

/* IKE SAs by their initiator's SPI, which a datagram's header names and
 * which never changes: the attacker picks it for responder SAs, so the
 * bucket comes from a keyed mix, unknown outside. */
#define SPI_BUCKETS 4096

struct ike_spis {
    uint64_t key[2];
    struct ike_rt *bucket[SPI_BUCKETS];
};

static struct ike_rt **spi_bucket(struct daemon *d, const uint8_t *spi_i)
{
    uint64_t x;

    memcpy(&x, spi_i, sizeof(x));
    x = (x ^ d->ike->spis->key[0]) * 0x9e3779b97f4a7c15ULL;
    x = ((x ^ x >> 31) ^ d->ike->spis->key[1]) * 0xff51afd7ed558ccdULL;
    return &d->ike->spis->bucket[(x ^ x >> 29) % SPI_BUCKETS];
}

int ike_tables_open(struct daemon *d)
{
    struct ike_state *ik = d->ike;

    if (!ik) {
        if (!(ik = d->ike = calloc(1, sizeof(*ik))))
            return -1;
        for (int i = 0; i < IKE_SOCK_COUNT; i++)
            ik->fd[i] = -1;
    }
    if (!ik->spis && (ik->spis = calloc(1, sizeof(*ik->spis))) &&
        RAND_bytes((uint8_t *)ik->spis->key, sizeof(ik->spis->key)) != 1)
        abort();
    if (!ik->admit)
        ik->admit = admit_new();
    return ik->spis && ik->admit ? 0 : -1;
}

/* The sockets are closed first (ike_io_close). */
void ike_tables_close(struct daemon *d)
{
    if (!d->ike)
        return;
    admit_free(d->ike->admit);
    ike_pace_free(d);
    free(d->ike->spis);
    OPENSSL_cleanse(d->ike->cookie_secret, sizeof(d->ike->cookie_secret));
    free(d->ike);
    d->ike = NULL;
}

void ike_table_link(struct daemon *d, struct ike_rt *rt)
{
    struct ike_rt **b = spi_bucket(d, rt->sa->spi_i);

    rt->spi_next = *b;
    *b = rt;
    rt->next = d->ike->list;
    if (d->ike->list)
        d->ike->list->pprev = &rt->next;
    d->ike->list = rt;
    rt->pprev = &d->ike->list;
}

void ike_table_unlink(struct ike_rt *rt)
{
    if (!rt->pprev)
        return;
    for (struct ike_rt **pp = spi_bucket(rt->d, rt->sa->spi_i); *pp; pp = &(*pp)->spi_next)
        if (*pp == rt) {
            *pp = rt->spi_next;
            break;
        }
    *rt->pprev = rt->next;
    if (rt->next)
        rt->next->pprev = rt->pprev;
    rt->next = NULL;
    rt->pprev = NULL;
}

/* ---- half-open responder SAs: counted per prefix, oldest first ---- */

void ike_half_open_add(struct ike_rt *rt, bool cookie)
{
    struct daemon *d = rt->d;

    rt->half_open = true;
    d->ike->n_half_open++;
    admit_half_open_add(d->ike->admit, &rt->path.remote, &rt->ho, cookie);
}

/* It completed IKE_AUTH (established: progress for its prefix), or it
 * failed, expired or was evicted. */
void ike_half_open_del(struct ike_rt *rt)
{
    struct daemon *d = rt->d;
    bool done = rt->sa && rt->sa->state == IKE_SA_ESTABLISHED;

    if (!rt->half_open)
        return;
    rt->half_open = false;
    d->ike->n_half_open--;
    admit_half_open_del(d->ike->admit, &rt->ho, done, rt->env.now_ms(rt->env.arg));
}

struct ike_rt *ike_half_open_victim(struct daemon *d, const struct uipsec_addr *from)
{
    struct admit_ho *ho = admit_victim(d->ike->admit, from);

    return ho ? (struct ike_rt *)((uint8_t *)ho - offsetof(struct ike_rt, ho)) : NULL;
}

struct ike_rt *ike_table_find(struct daemon *d, const struct ike_hdr *h)
{
    static const uint8_t zero[IKE_SPI_LEN];
    bool init = memcmp(h->spi_r, zero, IKE_SPI_LEN) == 0;

    for (struct ike_rt *rt = *spi_bucket(d, h->spi_i); rt; rt = rt->spi_next) {
        const struct ike_sa *sa = rt->sa;

        if (memcmp(sa->spi_i, h->spi_i, IKE_SPI_LEN) != 0)
            continue;
        if (init || sa->state == IKE_SA_INIT_SENT || memcmp(sa->spi_r, h->spi_r, IKE_SPI_LEN) == 0)
            return rt;
    }
    return NULL;
}
