/* SPDX-License-Identifier: MIT */
/* ESP protection of one packet's ESP part, shared by the send and receive files. */
#ifndef UIPSEC_ESP_H
#define UIPSEC_ESP_H

#include "sa.h"

/* Bytes of the encrypted part (payload, padding, trailer) for a payload. */
size_t esp_padded_len(const struct uipsec_sa *sa, size_t payload_len);

/* Builds the ESP header, IV, padding and trailer around payload_len bytes at
 * esp + ESP_HDR_LEN + iv_len, encrypts and writes the ICV.  The caller has
 * checked the room: 4 bytes before esp and padding + ICV + 4 after. */
int esp_seal(struct uipsec_sa *sa, uint8_t *esp, size_t payload_len, uint8_t next_header,
             uint64_t seq);

/* Verifies and decrypts in place.  esp points at the SPI, ct at the
 * ciphertext of ct_len bytes, icv at the received ICV (overwritten). */
int esp_open(struct uipsec_sa *sa, uint8_t *esp, uint64_t seq, uint8_t *ct, size_t ct_len,
             uint8_t *icv);

#endif
