/* SPDX-License-Identifier: MIT */
/*
 * Manual SAs whose suite builds nonces from the sequence number (AES-GCM,
 * ChaCha20-Poly1305, GMAC) keep their outbound sequence numbers in the
 * state directory (seqstore.h), so that a restart never repeats one.  This
 * module owns the open store; the connections (pairs.c) call it when they
 * make and free such an SA, the data path when a packet finds no number
 * reserved, the timer once a second.
 */
#ifndef UIPSECD_MANUAL_SEQ_H
#define UIPSECD_MANUAL_SEQ_H

#include <stddef.h>

struct cfg;
struct sa_pair;
struct daemon;
struct uipsec_sa_params;

/* Opens uipsec.state_dir if a manual SA of cfg needs it.  -1 with an error
 * naming the first such SA, why, and what to do. */
/* Opens cfg's state directory at once if it can, for SAs a reload may
 * add later: the unprivileged child cannot open paths. */
void mseq_open_now(const struct cfg *cfg);
int mseq_configure(const struct cfg *cfg, char *err, size_t err_len);
/* Before c's outbound SA is made from out: sets out->seq above every number
 * the key has used.  -1 with an error. */
int mseq_prepare(struct sa_pair *c, struct uipsec_sa_params *out, char *err, size_t err_len);
/* After it is made: reserves the first block and sets the SA's ceiling. */
int mseq_attach(struct sa_pair *c, char *err, size_t err_len);
/* Before c's outbound SA is freed. */
void mseq_release(struct sa_pair *c);
/* Once a second: reserves ahead of use. */
void mseq_tick(struct daemon *d);
/* A packet of c found no number reserved: reserve now.  0 if it may go. */
int mseq_raise(struct sa_pair *c);

#endif
