/* SPDX-License-Identifier: MIT */
#include "uipsec/uipsec.h"

/* Stable names: they appear in counters, logs, JSON and the packet tool. */
static const char *const names[UIPSEC_RESULT_COUNT] = {
    [UIPSEC_OK] = "ok",
    [UIPSEC_E_TRUNCATED] = "truncated",
    [UIPSEC_E_MALFORMED] = "malformed",
    [UIPSEC_E_FRAGMENT] = "fragment",
    [UIPSEC_E_PROTOCOL] = "wrong-protocol",
    [UIPSEC_E_SPI] = "wrong-spi",
    [UIPSEC_E_NON_ESP] = "non-esp-marker",
    [UIPSEC_E_KEEPALIVE] = "nat-keepalive",
    [UIPSEC_E_TOO_OLD] = "too-old",
    [UIPSEC_E_REPLAY] = "replayed",
    [UIPSEC_E_AUTH] = "auth-failed",
    [UIPSEC_E_BLOCK_SIZE] = "bad-block-size",
    [UIPSEC_E_PADDING] = "bad-padding",
    [UIPSEC_E_NEXT_HEADER] = "bad-next-header",
    [UIPSEC_E_DUMMY] = "dummy-packet",
    [UIPSEC_E_INNER] = "bad-inner-packet",
    [UIPSEC_E_SEQ_EXHAUSTED] = "seq-exhausted",
    [UIPSEC_E_LIFETIME] = "lifetime-expired",
    [UIPSEC_E_NO_ROOM] = "no-buffer-room",
    [UIPSEC_E_TOO_BIG] = "too-big",
    [UIPSEC_E_DIRECTION] = "wrong-direction",
    [UIPSEC_E_CRYPTO] = "crypto-error",
    [UIPSEC_E_PARAM] = "bad-parameter",
    [UIPSEC_E_UNSUPPORTED] = "unsupported",
    [UIPSEC_E_NOMEM] = "out-of-memory",
    [UIPSEC_E_SEQ_RESERVE] = "seq-not-reserved",
};

UIPSEC_API const char *uipsec_result_name(int result)
{
    if (result < 0 || result >= UIPSEC_RESULT_COUNT)
        return "unknown";
    return names[result];
}
