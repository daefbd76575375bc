/* SPDX-License-Identifier: MIT */
/* Wire sizes and constants of the protocols the engine speaks, in one place. */
#ifndef UIPSEC_WIRE_H
#define UIPSEC_WIRE_H

#define IPV4_HDR_MIN       20
#define IPV4_HDR_MAX       60
#define IPV6_HDR_LEN       40
#define IPV4_MAX_TOTAL     65535
#define IPV6_MAX_PAYLOAD   65535
#define UDP_HDR_LEN        8
#define ESP_HDR_LEN        8  /* SPI + sequence number */
#define ESP_TRAILER_LEN    2  /* pad length + next header */
#define AH_FIXED_LEN       12 /* next header, payload len, reserved, SPI, sequence */
#define NON_ESP_MARKER_LEN 4

/* IPv4 header field offsets. */
#define IPV4_OFF_TOS   1
#define IPV4_OFF_TOTAL 2
#define IPV4_OFF_ID    4
#define IPV4_OFF_FRAG  6
#define IPV4_OFF_TTL   8
#define IPV4_OFF_PROTO 9
#define IPV4_OFF_CSUM  10
#define IPV4_OFF_SRC   12
#define IPV4_OFF_DST   16
#define IPV4_DF        0x4000
#define IPV4_MF        0x2000
#define IPV4_FRAG_MASK 0x1fff

/* IPv6 header field offsets. */
#define IPV6_OFF_PLEN 4
#define IPV6_OFF_NH   6
#define IPV6_OFF_HLIM 7
#define IPV6_OFF_SRC  8
#define IPV6_OFF_DST  24

/* Protocol numbers (IANA). */
#define IPPROTO_NUM_HOPOPTS  0
#define IPPROTO_NUM_IPIP     4
#define IPPROTO_NUM_UDP      17
#define IPPROTO_NUM_IPV6     41
#define IPPROTO_NUM_ROUTING  43
#define IPPROTO_NUM_FRAGMENT 44
#define IPPROTO_NUM_ESP      50
#define IPPROTO_NUM_AH       51
#define IPPROTO_NUM_NONE     59
#define IPPROTO_NUM_DSTOPTS  60

#endif
