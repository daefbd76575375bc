/* SPDX-License-Identifier: MIT */
/*
 * libuipsec: the uipsec packet engine (ESP RFC 4303, AH RFC 4302).
 *
 * An SA (struct uipsec_sa) is made once from parameters; its cipher context is
 * set up then, on the backend chosen for it (intel-ipsec-mb or OpenSSL).  Packets
 * are then protected or unprotected in place, in batches:
 *
 *   struct uipsec_buf b = {.base = mem, .cap = sizeof mem, .off = UIPSEC_HEADROOM, .len = n};
 *   uipsec_encap(sa_out, &b, 1);   // b.result == UIPSEC_OK, b.off/b.len updated
 *   uipsec_decap(sa_in, &b, 1);    // back to the inner packet
 *
 * Ownership: the library never keeps a pointer to caller memory after a call
 * returns, except the SA it handed out, which the caller frees with
 * uipsec_sa_free().  The library does not allocate per packet.
 *
 * Thread safety: an SA may be used by several threads at once, so that one
 * busy SA is not limited to one core.  Each call takes one of the SA's lanes
 * for itself (a crypto context, IVs and counters: made the first time more
 * threads meet on the SA than it has lanes, never per packet).  Outbound, a
 * call reserves a block of sequence numbers up front: numbers are handed
 * out in order, the crypto runs in parallel, and uipsec_encap_seq() with
 * uipsec_sa_send_wait()/uipsec_sa_send_done() lets callers transmit the
 * blocks in order.  Inbound, the replay window is checked before and
 * committed after authentication under the SA's lock, so a packet is
 * accepted once whichever threads see it.  A hard lifetime reached on one
 * thread stops the others at their next packet; what they already had under
 * way in a burst still goes.  Creating and freeing an SA, and the set_*
 * calls, are the caller's to keep apart from packet calls.
 */
#ifndef UIPSEC_UIPSEC_H
#define UIPSEC_UIPSEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(UIPSEC_BUILDING)
#define UIPSEC_API __attribute__((visibility("default")))
#else
#define UIPSEC_API
#endif

/* Room a caller leaves before (headroom) and after (tailroom) a packet so that
 * encapsulation never has to move it: outer IPv6 header (40) + UDP (8) + ESP
 * header and IV (24) + slack, and padding (<= 255+2) + ICV (<= 32) + ESN (4). */
#define UIPSEC_HEADROOM 128
#define UIPSEC_TAILROOM 320

/* Largest key, salt and IV sizes of any suite. */
#define UIPSEC_MAX_KEY  32
#define UIPSEC_MAX_AUTH 64
#define UIPSEC_SALT_LEN 4

/* The result of one packet, or of an SA call.  Every drop has its own code
 * so that callers can count drops by reason (see uipsec_result_name()). */
enum uipsec_result {
    UIPSEC_OK = 0,
    UIPSEC_E_TRUNCATED,     /* shorter than its headers, IV or ICV say */
    UIPSEC_E_MALFORMED,     /* IP/AH header inconsistent (version, lengths) */
    UIPSEC_E_FRAGMENT,      /* outer packet is a fragment: reassemble first */
    UIPSEC_E_PROTOCOL,      /* not this SA's protocol (ESP/AH/UDP) */
    UIPSEC_E_SPI,           /* SPI is not this SA's */
    UIPSEC_E_NON_ESP,       /* UDP 4500 packet with the non-ESP marker (IKE) */
    UIPSEC_E_KEEPALIVE,     /* RFC 3948 NAT-keepalive (0xff) */
    UIPSEC_E_TOO_OLD,       /* sequence number left of the replay window */
    UIPSEC_E_REPLAY,        /* sequence number seen before */
    UIPSEC_E_AUTH,          /* ICV or AEAD tag did not verify */
    UIPSEC_E_BLOCK_SIZE,    /* ciphertext not a multiple of the block size */
    UIPSEC_E_PADDING,       /* pad length too long or padding not 1,2,3,... */
    UIPSEC_E_NEXT_HEADER,   /* next header does not fit the SA mode */
    UIPSEC_E_DUMMY,         /* TFC dummy packet (next header 59): discarded */
    UIPSEC_E_INNER,         /* decrypted inner packet is not a valid IP packet */
    UIPSEC_E_SEQ_EXHAUSTED, /* outbound sequence number space used up */
    UIPSEC_E_LIFETIME,      /* hard byte or packet lifetime reached */
    UIPSEC_E_NO_ROOM,       /* not enough headroom or tailroom in the buffer */
    UIPSEC_E_TOO_BIG,       /* result would exceed the IP maximum */
    UIPSEC_E_DIRECTION,     /* encap on an inbound SA or decap on an outbound */
    UIPSEC_E_CRYPTO,        /* the crypto library failed */
    UIPSEC_E_PARAM,         /* invalid SA parameters */
    UIPSEC_E_UNSUPPORTED,   /* suite or backend not available */
    UIPSEC_E_NOMEM,         /* out of memory (SA creation only) */
    UIPSEC_E_SEQ_RESERVE,   /* next sequence number above the SA's ceiling (set_seq_limit) */
    UIPSEC_RESULT_COUNT
};

/* Short stable name of a result, e.g. "auth-failed"; "unknown" if out of range. */
UIPSEC_API const char *uipsec_result_name(int result);

enum uipsec_proto { UIPSEC_PROTO_ESP = 50, UIPSEC_PROTO_AH = 51 };
enum uipsec_mode { UIPSEC_MODE_TUNNEL, UIPSEC_MODE_TRANSPORT };
enum uipsec_dir { UIPSEC_DIR_OUT, UIPSEC_DIR_IN };

/* ESP encryption (AEAD modes include their integrity). */
enum uipsec_enc {
    UIPSEC_ENC_NULL,              /* RFC 2410 */
    UIPSEC_ENC_AES_CBC,           /* RFC 3602, 16 or 32-byte key */
    UIPSEC_ENC_AES_GCM16,         /* RFC 4106, 16-byte ICV, 16 or 32-byte key */
    UIPSEC_ENC_CHACHA20_POLY1305, /* RFC 7634 */
    UIPSEC_ENC_AES_GMAC,          /* RFC 4543, authentication only */
};

/* Integrity for ESP with a non-AEAD cipher, and for AH (RFC 4868). */
enum uipsec_integ {
    UIPSEC_INTEG_NONE,
    UIPSEC_INTEG_HMAC_SHA256_128,
    UIPSEC_INTEG_HMAC_SHA384_192,
    UIPSEC_INTEG_HMAC_SHA512_256,
};

enum uipsec_backend {
    UIPSEC_BACKEND_AUTO,    /* intel-ipsec-mb where it has the suite (CBC and
                               HMAC in bursts per batch), else OpenSSL */
    UIPSEC_BACKEND_OPENSSL, /* OpenSSL 3 EVP */
    UIPSEC_BACKEND_IPSECMB, /* intel-ipsec-mb; UIPSEC_E_UNSUPPORTED if absent */
};

/* Outer IPv4 DF bit in tunnel mode (RFC 4301 8.1). */
enum uipsec_df { UIPSEC_DF_CLEAR, UIPSEC_DF_SET, UIPSEC_DF_COPY };

struct uipsec_addr {
    uint8_t family; /* 4 or 6; 0 = unset */
    uint8_t bytes[16];
};

struct uipsec_lifetime {
    uint64_t soft_bytes, hard_bytes;     /* 0 = no limit */
    uint64_t soft_packets, hard_packets; /* 0 = no limit */
};

enum uipsec_lifetime_event { UIPSEC_LIFETIME_SOFT, UIPSEC_LIFETIME_HARD };
struct uipsec_sa;
typedef void (*uipsec_lifetime_cb)(void *arg, struct uipsec_sa *sa,
                                   enum uipsec_lifetime_event event);

struct uipsec_sa_params {
    uint32_t spi; /* host order */
    enum uipsec_dir dir;
    enum uipsec_proto proto;
    enum uipsec_mode mode;
    struct uipsec_addr tunnel_src, tunnel_dst; /* tunnel mode: outer addresses */

    enum uipsec_enc enc; /* ESP only */
    uint8_t enc_key[UIPSEC_MAX_KEY];
    uint8_t enc_key_len;
    uint8_t salt[UIPSEC_SALT_LEN]; /* GCM, GMAC, ChaCha20-Poly1305 */
    enum uipsec_integ integ;
    uint8_t auth_key[UIPSEC_MAX_AUTH];
    uint8_t auth_key_len;

    bool esn;
    uint64_t seq;           /* outbound: first sequence number to send (0 means 1) */
    uint32_t replay_window; /* inbound: 0 = off, up to 65536 packets */

    uint16_t udp_sport, udp_dport; /* RFC 3948 ESP-in-UDP (IPv4) when dport != 0 */
    uint16_t tfc_pad;              /* tunnel-mode ESP: pad payload up to this size */
    enum uipsec_df df;
    uint16_t ip_id; /* first outer IPv4 identification; 0 = random */
    uint8_t ttl;    /* outer TTL / hop limit; 0 = 64 */

    struct uipsec_lifetime lifetime;
    uipsec_lifetime_cb on_lifetime; /* called once per event, may be NULL */
    void *cb_arg;

    enum uipsec_backend backend;
};

/* Looks up a strongSwan algorithm keyword ("aes256gcm16", "aes128-sha256",
 * "null-sha512", "aes128gmac", "sha256" for AH, ...) and fills enc, integ and
 * enc_key_len of params.  Returns UIPSEC_OK or UIPSEC_E_UNSUPPORTED. */
UIPSEC_API int uipsec_suite_parse(const char *keyword, enum uipsec_proto proto,
                                  struct uipsec_sa_params *params);

/* Key bytes the suite needs: encryption key (without salt), salt, integrity key. */
UIPSEC_API void uipsec_suite_key_sizes(const struct uipsec_sa_params *params, size_t *enc_key,
                                       size_t *salt, size_t *auth_key);

/* Makes an SA.  The SA owns a copy of the keys (wiped on free).  Returns
 * UIPSEC_OK and *out, or an error code and *out = NULL. */
UIPSEC_API int uipsec_sa_new(const struct uipsec_sa_params *params, struct uipsec_sa **out);
UIPSEC_API void uipsec_sa_free(struct uipsec_sa *sa);

/* The backend this SA runs on. */
UIPSEC_API enum uipsec_backend uipsec_sa_backend(const struct uipsec_sa *sa);
UIPSEC_API const char *uipsec_backend_name(enum uipsec_backend backend);
UIPSEC_API bool uipsec_backend_available(enum uipsec_backend backend);

/* IV and ICV bytes this SA puts on the wire (AH: iv_len 0). */
UIPSEC_API void uipsec_sa_layout(const struct uipsec_sa *sa, size_t *iv_len, size_t *icv_len);

/* Bytes that encapsulation adds to an inner packet of inner_len bytes at most,
 * for MTU computations. */
UIPSEC_API size_t uipsec_sa_overhead(const struct uipsec_sa *sa, size_t inner_len);

/* Reproduces a known packet: the next encapsulated packet uses this IV
 * (iv_len must be the suite's IV size) instead of a fresh one.  For tests and
 * for the offline packet tool; never needed in real use. */
UIPSEC_API int uipsec_sa_set_next_iv(struct uipsec_sa *sa, const uint8_t *iv, size_t iv_len);

/* Inbound: the ESN high half a receiver starts from (RFC 4303 3.3.3 inference
 * needs a starting point when an SA is created mid-stream).  Every low half
 * then maps to this high half until packets move the window; no packet is
 * marked as seen. */
UIPSEC_API void uipsec_sa_set_esn_high(struct uipsec_sa *sa, uint32_t high);

/* Outbound: the highest sequence number this SA may send.  A packet that
 * would need a larger one is dropped with UIPSEC_E_SEQ_RESERVE ("seq-not-reserved")
 * and uses no number, so once the ceiling is raised the next packet goes
 * with the next number: no gap, no reuse.  The default, UINT64_MAX, leaves
 * only the sequence space's own end (2^32-1, or 2^64-1 with ESN), which
 * still drops with UIPSEC_E_SEQ_EXHAUSTED whatever the ceiling.
 * For callers that record on disk how far an SA's numbers may go before
 * it uses them: a statically keyed AES-GCM, ChaCha20-Poly1305 or GMAC SA
 * whose numbers restart after a restart reuses its nonces (RFC 4106 3.1,
 * RFC 7634 2, RFC 8221 3).  Returns UIPSEC_E_PARAM on an inbound SA. */
UIPSEC_API int uipsec_sa_set_seq_limit(struct uipsec_sa *sa, uint64_t limit);

struct uipsec_sa_stats {
    uint64_t packets, bytes; /* inner bytes protected or delivered */
    uint64_t drops[UIPSEC_RESULT_COUNT];
    uint64_t seq; /* outbound: last sent; inbound: highest accepted */
    uint32_t replay_window;
    uint32_t replay_seen; /* packets marked in the window */
    bool soft_expired, hard_expired;
};
UIPSEC_API void uipsec_sa_get_stats(const struct uipsec_sa *sa, struct uipsec_sa_stats *stats);

/* A packet in caller memory: the packet is base[off, off+len), the rest of
 * base[0, cap) is headroom and tailroom the engine may write. */
struct uipsec_buf {
    uint8_t *base;
    uint32_t cap;
    uint32_t off;
    uint32_t len;
    int32_t result; /* enum uipsec_result, set per packet by the calls below */
};

/* Protects a batch: each buf holds an inner IP packet (tunnel mode: the packet
 * to tunnel; transport mode: the packet whose payload is protected) and is
 * replaced in place by the outer packet (full IP packet, with the UDP header
 * when the SA uses UDP encapsulation).  Returns how many packets succeeded;
 * each buf's result says why a packet failed. */
UIPSEC_API size_t uipsec_encap(struct uipsec_sa *sa, struct uipsec_buf *bufs, size_t n);

/* The sequence numbers one uipsec_encap_seq() call holds: [first, first +
 * count), in the order of its packets.  count is 0 when it took none. */
struct uipsec_seq_block {
    uint64_t first;
    uint64_t count;
};

/* uipsec_encap(), and the block of sequence numbers the call held.  Callers
 * that encapsulate one SA on several threads and must put its packets on
 * the wire in sequence-number order (a receiver's replay window is finite)
 * call uipsec_sa_send_wait() before sending the batch and
 * uipsec_sa_send_done() after, for every block, even one whose packets all
 * failed: a block never released stalls every later one.  Holding a block,
 * a thread must not wait for anything another holder of a block of the
 * same SA may be waiting for, nor call uipsec_encap() on that SA (which
 * takes its turn too, so that mixing both keeps the order). */
UIPSEC_API size_t uipsec_encap_seq(struct uipsec_sa *sa, struct uipsec_buf *bufs, size_t n,
                                   struct uipsec_seq_block *blk);
/* Returns once every block before blk has been released (at once for an
 * empty block). */
UIPSEC_API void uipsec_sa_send_wait(struct uipsec_sa *sa, const struct uipsec_seq_block *blk);
/* Releases blk: the next block's turn. */
UIPSEC_API void uipsec_sa_send_done(struct uipsec_sa *sa, const struct uipsec_seq_block *blk);

/* Unprotects a batch: each buf holds an outer IP packet as received (with the
 * UDP header for ESP-in-UDP SAs) and is replaced by the inner IP packet.
 * AH with ESN needs 4 bytes of tailroom after the packet (the high sequence
 * half is appended there while the ICV is computed); without them the packet
 * gets UIPSEC_E_NO_ROOM.  ESP needs no tailroom.
 * Returns how many packets succeeded. */
UIPSEC_API size_t uipsec_decap(struct uipsec_sa *sa, struct uipsec_buf *bufs, size_t n);

/* Whether parts of a batch for one inbound SA may be given to
 * uipsec_decap() on several threads at once and each packet still get the
 * result it would get in order: true when the sequence numbers the
 * packets' headers claim lie within one replay window of each other (or
 * the SA keeps no window).  Otherwise a thread that runs ahead moves the
 * window past packets another has yet to check, which in order would have
 * been accepted.  The headers are read unauthenticated: a forged number
 * can only make this false. */
UIPSEC_API bool uipsec_decap_any_order(const struct uipsec_sa *sa, const struct uipsec_buf *bufs,
                                       size_t n);

#ifdef __cplusplus
}
#endif
#endif
