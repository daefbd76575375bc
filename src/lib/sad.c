/* SPDX-License-Identifier: MIT */
/* The inbound SAD (RFC 4301 4.4.2): (SPI, protocol) -> SA by open addressing,
 * and the SPI of a received packet. */
#include <stdlib.h>

#include "ip.h"
#include "sa.h"
#include "uipsec/sad.h"
#include "wire.h"

#define SAD_MIN_SLOTS 64

struct sad_slot {
    struct uipsec_sa *sa; /* NULL: empty */
    void *ctx;
    uint32_t spi;
    uint8_t proto;
};

struct uipsec_sad {
    struct sad_slot *slots;
    size_t mask; /* slots - 1 */
    size_t count;
};

/* Fibonacci hashing: SPIs are often handed out in sequence, and the multiply
 * spreads runs of them, and an ESP and an AH SPI of equal value, apart. */
static size_t home_of(const struct uipsec_sad *sad, uint32_t spi, uint8_t proto)
{
    uint64_t h = ((uint64_t)proto << 32 | spi) * 0x9e3779b97f4a7c15ull;

    return (size_t)(h >> 32) & sad->mask;
}

/* At most half the slots are used, so a probe always reaches an empty one. */
static struct sad_slot *lookup(const struct uipsec_sad *sad, uint32_t spi, uint8_t proto)
{
    for (size_t i = home_of(sad, spi, proto);; i = (i + 1) & sad->mask) {
        struct sad_slot *s = &sad->slots[i];

        if (!s->sa)
            return NULL;
        if (s->spi == spi && s->proto == proto)
            return s;
    }
}

static void place(struct uipsec_sad *sad, const struct sad_slot *e)
{
    size_t i = home_of(sad, e->spi, e->proto);

    while (sad->slots[i].sa)
        i = (i + 1) & sad->mask;
    sad->slots[i] = *e;
}

static bool resize(struct uipsec_sad *sad, size_t nslots)
{
    struct sad_slot *old = sad->slots, *s = calloc(nslots, sizeof(*s));
    size_t oldn = old ? sad->mask + 1 : 0;

    if (!s)
        return false;
    sad->slots = s;
    sad->mask = nslots - 1;
    for (size_t i = 0; i < oldn; i++)
        if (old[i].sa)
            place(sad, &old[i]);
    free(old);
    return true;
}

UIPSEC_API struct uipsec_sad *uipsec_sad_new(void)
{
    struct uipsec_sad *sad = calloc(1, sizeof(*sad));

    if (sad && !resize(sad, SAD_MIN_SLOTS)) {
        free(sad);
        return NULL;
    }
    return sad;
}

UIPSEC_API void uipsec_sad_free(struct uipsec_sad *sad)
{
    if (!sad)
        return;
    free(sad->slots);
    free(sad);
}

UIPSEC_API int uipsec_sad_add(struct uipsec_sad *sad, struct uipsec_sa *sa, void *ctx)
{
    struct sad_slot e = {sa, ctx, sa->p.spi, (uint8_t)sa->p.proto};

    if (sa->p.dir != UIPSEC_DIR_IN)
        return UIPSEC_E_DIRECTION;
    if (lookup(sad, e.spi, e.proto))
        return UIPSEC_E_PARAM;
    if (2 * (sad->count + 1) > sad->mask + 1 && !resize(sad, 2 * (sad->mask + 1)))
        return UIPSEC_E_NOMEM;
    place(sad, &e);
    sad->count++;
    return UIPSEC_OK;
}

/* Backward-shift deletion: each entry after the hole that may live there
 * (its home is not between the hole and itself) moves up, so probes never
 * meet a hole before their key and no tombstones are needed. */
static void erase(struct uipsec_sad *sad, size_t hole)
{
    for (size_t i = (hole + 1) & sad->mask; sad->slots[i].sa; i = (i + 1) & sad->mask) {
        size_t home = home_of(sad, sad->slots[i].spi, sad->slots[i].proto);

        if (((i - home) & sad->mask) >= ((i - hole) & sad->mask)) {
            sad->slots[hole] = sad->slots[i];
            hole = i;
        }
    }
    sad->slots[hole] = (struct sad_slot){0};
}

UIPSEC_API int uipsec_sad_remove(struct uipsec_sad *sad, uint32_t spi, enum uipsec_proto proto)
{
    struct sad_slot *s = lookup(sad, spi, (uint8_t)proto);
    size_t nslots = sad->mask + 1;

    if (!s)
        return UIPSEC_E_PARAM;
    erase(sad, (size_t)(s - sad->slots));
    sad->count--;
    if (nslots > SAD_MIN_SLOTS && sad->count < nslots / 8)
        resize(sad, nslots / 2); /* if it fails, the larger table still works */
    return UIPSEC_OK;
}

UIPSEC_API struct uipsec_sa *uipsec_sad_find(const struct uipsec_sad *sad, uint32_t spi,
                                             enum uipsec_proto proto, void **ctx)
{
    const struct sad_slot *s = lookup(sad, spi, (uint8_t)proto);

    if (ctx)
        *ctx = s ? s->ctx : NULL;
    return s ? s->sa : NULL;
}

UIPSEC_API size_t uipsec_sad_count(const struct uipsec_sad *sad)
{
    return sad->count;
}

/* The SPI, and the low half of the sequence number when seq is not NULL:
 * what the headers claim, before anything is authenticated. */
static int peek(const uint8_t *pkt, size_t len, bool udp, uint32_t *spi, enum uipsec_proto *proto,
                uint32_t *seq)
{
    /* The cursor takes a writable pointer; this parse only reads. */
    struct cursor c = cursor_make((uint8_t *)(uintptr_t)pkt, len);
    struct ip_info ip;
    uint8_t *h;
    int rc;

    if ((rc = ip_parse(&c, IP_WALK_ALL, &ip)) != UIPSEC_OK)
        return rc;
    if (!cursor_take(&c, ip.hdr_len, &h))
        return UIPSEC_E_TRUNCATED;
    if (udp) {
        if (ip.proto != IPPROTO_NUM_UDP)
            return UIPSEC_E_PROTOCOL;
        if ((rc = ip_take_esp_in_udp(&c)) != UIPSEC_OK)
            return rc;
        ip.proto = IPPROTO_NUM_ESP;
    } else if (ip.proto != IPPROTO_NUM_ESP && ip.proto != IPPROTO_NUM_AH) {
        return UIPSEC_E_PROTOCOL;
    }
    /* The SPI opens ESP (RFC 4303 2); AH has next header, length and
     * reserved before it (RFC 4302 2). */
    if (ip.proto == IPPROTO_NUM_ESP) {
        if (!cursor_take(&c, seq ? 8 : 4, &h))
            return UIPSEC_E_TRUNCATED;
        *proto = UIPSEC_PROTO_ESP;
    } else {
        if (!cursor_take(&c, seq ? 12 : 8, &h))
            return UIPSEC_E_TRUNCATED;
        h += 4;
        *proto = UIPSEC_PROTO_AH;
    }
    *spi = get_be32(h);
    if (seq)
        *seq = get_be32(h + 4); /* after the SPI in both (RFC 4303 2, RFC 4302 2) */
    return UIPSEC_OK;
}

UIPSEC_API int uipsec_sad_peek(const uint8_t *pkt, size_t len, bool udp, uint32_t *spi,
                               enum uipsec_proto *proto)
{
    return peek(pkt, len, udp, spi, proto, NULL);
}

int sad_peek_seq(const uint8_t *pkt, size_t len, bool udp, uint32_t *seq)
{
    enum uipsec_proto proto;
    uint32_t spi;

    return peek(pkt, len, udp, &spi, &proto, seq);
}
