/* SPDX-License-Identifier: MIT */
/* ESP protection of one packet's ESP part, shared by the send and receive files. */
#ifndef UIPSEC_ESP_H
#define UIPSEC_ESP_H

#include "sa.h"

/* Bytes of the encrypted part (payload, padding, trailer) for a payload. */
size_t esp_padded_len(const struct uipsec_sa *sa, size_t payload_len);

/* Builds the ESP header, IV, padding and trailer around payload_len bytes at
 * esp + ESP_HDR_LEN + iv_len.  AEAD and GMAC suites are sealed here; the
 * others leave their cipher and MAC in job for the burst, and esp_seal_done
 * then writes the ICV.  The caller has checked the room: 4 bytes before esp
 * and padding + ICV + 4 after. */
int esp_seal(struct uipsec_sa *sa, uint8_t *esp, size_t payload_len, uint8_t next_header,
             uint64_t seq, struct uipsec_crypto_job *job);
int esp_seal_done(const struct uipsec_sa *sa, const struct uipsec_crypto_job *job, uint8_t *icv);

/* esp points at the SPI, ct at the ciphertext of ct_len bytes, icv at the
 * received ICV (overwritten).  AEAD and GMAC suites are verified and
 * decrypted here.  The others copy the ICV to got and leave the MAC in job;
 * after the burst esp_open_verify compares it and turns the job into the
 * decryption of an authentic packet, for the next burst. */
int esp_open(struct uipsec_sa *sa, uint8_t *esp, uint64_t seq, uint8_t *ct, size_t ct_len,
             uint8_t *icv, struct uipsec_crypto_job *job, uint8_t *got);
int esp_open_verify(const struct uipsec_sa *sa, struct uipsec_crypto_job *job, const uint8_t *got);

#endif
