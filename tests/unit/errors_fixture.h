/* SPDX-License-Identifier: MIT */
/* What the drop-path tests (test_errors_*.c) share: the suites and packet
 * shapes they run, packet builders written from the RFCs (not from the
 * engine), SA pairs, and sealing and opening through the public API. */
#ifndef UIPSEC_TEST_ERRORS_FIXTURE_H
#define UIPSEC_TEST_ERRORS_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uipsec/uipsec.h"

#define N_SUITES 6

#define SPI      0x12345678u
#define MAX_PKT  2048
#define WINDOW   64
#define WARM     100 /* packets a receiver has taken before a bit-flip run */
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct suite {
    const char *name;
    enum uipsec_proto proto;
    enum uipsec_enc enc;
    enum uipsec_integ integ;
    uint8_t key_len;
    uint8_t iv, icv, block; /* wire sizes (RFC 4106, 3602, 4868, 7634, 4543) */
};

extern const struct suite suites[N_SUITES];
extern const struct suite *const gcm; /* suites[0], AES-GCM */
extern const struct suite *const ah;  /* suites[5], AH */

/* The ESP NULL-HMAC-SHA-256 suite the hand-built packets use. */
extern const struct suite null_sha256;

struct shape {
    const char *name;
    enum uipsec_mode mode;
    uint8_t family;
    uint16_t udp;
};

extern const struct shape tun4;
extern const struct shape tun6;
extern const struct shape tun4_udp;
extern const struct shape tra4;
extern const struct shape tra6;

extern const enum uipsec_backend backends[2];

struct pair {
    struct uipsec_sa *out, *in;
};

typedef void (*suite_fn)(const struct suite *s, enum uipsec_backend be);

extern char where[160];

void at(const char *fmt, ...);
void rc_is(int got, int want, const char *what, size_t i);
void outer4(uint8_t *h, size_t total, uint8_t proto);
size_t inner4(uint8_t *p, size_t total, uint8_t seed);
size_t inner6(uint8_t *p, size_t total, uint8_t seed);
size_t inner_for(const struct shape *sh, uint8_t *p, size_t total, uint8_t seed);
size_t ip_hdr(const struct shape *sh);
size_t sec_off(const struct shape *sh);
size_t ah_len(const struct suite *s, uint8_t family);
size_t seq_at(const struct suite *s);
size_t round_up(size_t n, size_t to);
size_t sec_len(const struct suite *s, uint8_t family, size_t n);
void set_addr(struct uipsec_addr *a, uint8_t family, uint8_t last);
struct uipsec_sa_params params(const struct suite *s, enum uipsec_backend be, enum uipsec_dir dir,
                               const struct shape *sh);
struct uipsec_sa *sa_make(const struct uipsec_sa_params *p);
struct pair pair_make(const struct suite *s, enum uipsec_backend be, const struct shape *sh);
void pair_free(struct pair *p);
void each(suite_fn fn, bool with_ah);
void each_backend(suite_fn fn, const struct suite *s);
size_t seal(struct uipsec_sa *sa, const uint8_t *inner, size_t n, uint8_t *wire);
int open_in(struct uipsec_sa *sa, const uint8_t *wire, size_t n, size_t tail, uint8_t *out,
            size_t *out_len);
int open_rc(struct uipsec_sa *sa, const uint8_t *wire, size_t n);
void open_ok(struct uipsec_sa *sa, const uint8_t *wire, size_t n, size_t tail, const uint8_t *inner,
             size_t inner_len);
void warm(struct pair *p, const struct shape *sh, uint32_t count);

/* Encapsulates pkt[0,n) in a heap buffer of exactly head + n + tail bytes;
 * a failure must leave the buffer untouched; a success copies the outer
 * packet to wire (when not NULL).  encap_rc: with the API's room. */
int encap_try(struct uipsec_sa *sa, const uint8_t *pkt, size_t n, size_t head, size_t tail,
              uint8_t *wire, size_t *wire_len);
int encap_rc(struct uipsec_sa *sa, const uint8_t *pkt, size_t n);

#endif
