/* SPDX-License-Identifier: MIT */
/*
 * Sequence numbers of statically keyed SAs that must never repeat across
 * restarts.  AES-GCM, ChaCha20-Poly1305 and GMAC build their nonce from the
 * sequence number; a manual SA keeps its key for ever, so an SA that
 * started again at 1 after a restart would reuse nonces (RFC 4106 3.1,
 * RFC 7634 2, RFC 8221 3).  The state directory keeps, per key, the
 * highest sequence number reserved; an SA may send only up to that mark
 * (uipsec_sa_set_seq_limit), and after a restart it begins above it.
 *
 * Reservations come in blocks, written before use (temporary file, fsync,
 * rename, fsync of the directory); a block grows with the packet rate so
 * that fsync stays rare.  A crash loses at most the rest of one block.
 */
#ifndef UIPSECD_SEQSTORE_H
#define UIPSECD_SEQSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uipsec/uipsec.h"

#define SEQSTORE_MIN_BLOCK (1u << 16) /* first reservation, and the least */
#define SEQSTORE_MAX_BLOCK (1u << 24) /* at most this many ahead of use */

struct seqstore;
struct seqres;

/* Whether SAs of this suite need their sequence numbers kept: counter-mode
 * nonces (AES-GCM, ChaCha20-Poly1305, GMAC); CBC and NULL do not. */
bool seqstore_needed(const struct uipsec_sa_params *suite);

/* Opens the state directory, making it (mode 0700) if it does not exist.
 * It must be a directory owned by the daemon's user (root) that no group
 * or other may write.  NULL with why on failure. */
struct seqstore *seqstore_open(const char *dir, char *why, size_t why_len);
void seqstore_close(struct seqstore *s);
/* From now on the directory and its files belong to this user (uipsecd's
 * unprivileged child, which writes them once it runs as that user):
 * seqstore_open, called as root, hands root's over and checks for it. */
void seqstore_hand_over(unsigned uid, unsigned gid);
const char *seqstore_dir(const struct seqstore *s);

/* The reservation of one outbound SA, identified by its key bytes (a new
 * key starts fresh; the same key continues where it stopped, whatever the
 * SA is called).  label names the SA in messages.  *first is the first
 * sequence number the SA may send.  NULL with why: the file is damaged or
 * unsafe, the key is already in use by another open SA, or the key's
 * sequence space is used up (esn: 2^64-1, else 2^32-1). */
struct seqres *seqres_open(struct seqstore *s, const char *label, const uint8_t *key,
                           size_t key_len, bool esn, uint64_t *first, char *why, size_t why_len);
/* Reserves the first block for sa (made with seq = *first) and sets its
 * ceiling.  -1 with why if the mark cannot be written. */
int seqres_attach(struct seqres *r, struct uipsec_sa *sa, char *why, size_t why_len);
/* Once a second: reserves the next block when half of the current one is
 * used.  urgent (a packet hit the ceiling): at once, with a doubled block.
 * -1 with why if the mark cannot be written (the SA then stays at its
 * ceiling: packets wait rather than risk a repeated nonce). */
int seqres_tick(struct seqres *r, bool urgent, char *why, size_t why_len);
/* Records where the SA really stopped, so the next start wastes no
 * numbers, and frees r.  Call before freeing the SA. */
void seqres_close(struct seqres *r);

#endif
