/* SPDX-License-Identifier: MIT */
/*
 * The inbound Security Association Database (RFC 4301 4.4.2): SAs found by
 * (SPI, protocol) in O(1), for a received packet whose SPI
 * uipsec_sad_peek() read.  Outbound SAs are reached through the SPD
 * (struct uipsec_policy_params.sa or its ctx), so they are not kept here.
 *
 *   if (uipsec_sad_peek(pkt, len, udp, &spi, &proto) == UIPSEC_OK &&
 *       (sa = uipsec_sad_find(sad, spi, proto, &ctx)) != NULL)
 *       uipsec_decap(sa, &buf, 1);   // then uipsec_spd_check_inbound()
 *
 * The table is open-addressed with linear probing at most half full; it grows
 * on uipsec_sad_add() only, so finds never allocate.  Unicast SAs are
 * identified by SPI and protocol alone (RFC 4301 4.1), and the receiver picks
 * its SPIs, so a sender cannot crowd the table.
 *
 * Thread safety: none inside; one thread at a time per SAD, as for the SPD.
 * Ownership: the SAD borrows the SAs and ctx; the caller frees them after
 * removing them.
 */
#ifndef UIPSEC_SAD_H
#define UIPSEC_SAD_H

#include "uipsec/uipsec.h"

#ifdef __cplusplus
extern "C" {
#endif

struct uipsec_sad;

/* A new empty SAD; NULL if out of memory. */
UIPSEC_API struct uipsec_sad *uipsec_sad_new(void);
/* Frees the table, not the SAs in it. */
UIPSEC_API void uipsec_sad_free(struct uipsec_sad *sad);

/* Adds an inbound SA under its own SPI and protocol, with the caller's ctx
 * (e.g. its inbound policy, for uipsec_spd_check_inbound).  Returns
 * UIPSEC_OK, UIPSEC_E_DIRECTION for an outbound SA, UIPSEC_E_PARAM if that
 * SPI and protocol are taken, or UIPSEC_E_NOMEM. */
UIPSEC_API int uipsec_sad_add(struct uipsec_sad *sad, struct uipsec_sa *sa, void *ctx);
/* Removes the SA with this SPI and protocol; UIPSEC_E_PARAM if there is none. */
UIPSEC_API int uipsec_sad_remove(struct uipsec_sad *sad, uint32_t spi, enum uipsec_proto proto);
/* The SA with this SPI (host order) and protocol, and its ctx in *ctx (ctx
 * may be NULL); NULL if there is none. */
UIPSEC_API struct uipsec_sa *uipsec_sad_find(const struct uipsec_sad *sad, uint32_t spi,
                                             enum uipsec_proto proto, void **ctx);
UIPSEC_API size_t uipsec_sad_count(const struct uipsec_sad *sad);

/* Reads the SPI and protocol of a received outer packet, an IPv4 or IPv6
 * packet carrying ESP or AH, or, when udp is true, ESP in UDP (RFC 3948), as
 * uipsec_decap() takes it.  Reads nothing past the SPI.  Returns UIPSEC_OK,
 * UIPSEC_E_TRUNCATED, UIPSEC_E_MALFORMED, UIPSEC_E_FRAGMENT (reassemble
 * first), UIPSEC_E_PROTOCOL (not ESP/AH, or not UDP when udp is true, or UDP
 * when it is false), UIPSEC_E_NON_ESP (the non-ESP marker: an IKE message)
 * or UIPSEC_E_KEEPALIVE (an RFC 3948 NAT-keepalive). */
__attribute__((warn_unused_result)) UIPSEC_API int
uipsec_sad_peek(const uint8_t *pkt, size_t len, bool udp, uint32_t *spi, enum uipsec_proto *proto);

#ifdef __cplusplus
}
#endif
#endif
