/* SPDX-License-Identifier: MIT */
/*
 * The SA file of uipsec-packet: JSON text describing one SA, in the field
 * names of the shared test vectors, parsed into struct uipsec_sa_params.
 *
 * The parser is pure: text in, struct or error message out, no I/O and no
 * engine state.  The tool, the vector test and the fuzzer all link it.
 */
#ifndef UIPSEC_SA_FILE_H
#define UIPSEC_SA_FILE_H

#include "uipsec/uipsec.h"

#define UIPSEC_SAFILE_MAX_IV    16 /* AES-CBC */
#define UIPSEC_SAFILE_SUITE_LEN 40
#define UIPSEC_SAFILE_ERR_LEN   512

struct uipsec_safile {
    struct uipsec_sa_params params; /* ready for uipsec_sa_new(); holds keys */
    char suite[UIPSEC_SAFILE_SUITE_LEN];
    uint8_t iv[UIPSEC_SAFILE_MAX_IV]; /* the first packet's IV, when iv_len != 0 */
    size_t iv_len;
    /* ESN: outbound, the high half of the first sequence number (already in
     * params.seq); inbound, the high half the receiver starts from. */
    uint32_t esn_high;
};

/* Parses len bytes of SA-file text (no NUL needed) for an SA of direction
 * dir.  name is the file name used in messages.  On failure returns false
 * and writes a one-line message naming the file, the field and the fix into
 * err (err_len bytes, UIPSEC_SAFILE_ERR_LEN is enough); out is then wiped.
 * The caller wipes out with uipsec_safile_wipe() when done. */
__attribute__((warn_unused_result)) bool uipsec_safile_parse(const char *text, size_t len,
                                                             const char *name, enum uipsec_dir dir,
                                                             struct uipsec_safile *out, char *err,
                                                             size_t err_len);

/* Zeroes the keys (and everything else) of a parsed SA file. */
void uipsec_safile_wipe(struct uipsec_safile *f);

/* Decodes n hex digits (either case, nothing else) into out[0, cap).
 * Returns false on a non-hex character, an odd count or more than cap bytes. */
__attribute__((warn_unused_result)) bool uipsec_safile_unhex(const char *s, size_t n, uint8_t *out,
                                                             size_t cap, size_t *out_len);

/* IV bytes the SA's suite sends in each packet (0 for AH and ESP-NULL). */
size_t uipsec_safile_iv_len(const struct uipsec_sa_params *p);

#endif
