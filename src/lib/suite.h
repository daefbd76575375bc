/* SPDX-License-Identifier: MIT */
#ifndef UIPSEC_SUITE_H
#define UIPSEC_SUITE_H

#include "uipsec/uipsec.h"

bool suite_is_aead(enum uipsec_enc enc);
size_t suite_integ_key_len(enum uipsec_integ integ);
size_t suite_integ_icv_len(enum uipsec_integ integ);
/* UIPSEC_OK when proto, enc, integ and key length form a suite we run. */
int suite_check(const struct uipsec_sa_params *p);

#endif
