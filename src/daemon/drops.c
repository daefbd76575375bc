/* SPDX-License-Identifier: MIT */
#include "drops.h"

const char *dd_drop_name(enum dd_drop dd)
{
    static const char *const names[DD_COUNT] = {
        [DD_UNKNOWN_SPI] = "unknown-spi",
        [DD_IKE_MALFORMED] = "ike-malformed",
        [DD_IKE_UNKNOWN_SPI] = "ike-unknown-spi",
        [DD_IKE_NO_CONN] = "ike-no-connection",
        [DD_IKE_HALF_OPEN] = "ike-half-open-limit",
        [DD_IKE_DROPPED] = "ike-dropped",
        [DD_IKE_COOKIE] = "ike-cookie-required",
        [DD_TRAP_PENDING] = "trap-pending",
        [DD_KEEPALIVE] = "nat-keepalive",
        [DD_TOO_BIG] = "too-big",
        [DD_BYPASS_ON_TUN] = "bypass-on-tunnel",
        [DD_SEND_FAILED] = "send-failed",
        [DD_TUN_WRITE_FAILED] = "tun-write-failed",
        [DD_TUN_MALFORMED] = "tun-malformed",
        [DD_IKE_INIT_RATE] = "ike-init-rate-limited",
        [DD_IKE_EVICTED] = "ike-half-open-evicted",
        [DD_IKE_AUTH_BACKOFF] = "ike-auth-backoff",
        [DD_IKE_BAD_KE] = "ike-bad-ke",
        [DD_HANDOFF_DROP] = "ike-handoff-dropped",
    };
    return (unsigned)dd < DD_COUNT ? names[dd] : "unknown";
}
