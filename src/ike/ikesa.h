/* SPDX-License-Identifier: MIT */
/*
 * The IKEv2 SA state machine (RFC 7296): IKE_SA_INIT and IKE_AUTH with
 * pre-shared keys, CREATE_CHILD_SA for more CHILD_SAs (ESP, PFS when the
 * proposal names a DH group), INFORMATIONAL (DELETE of CHILD_SAs and of
 * the IKE SA, liveness checks, error notifies), initiator and responder.
 * A pure state machine: no sockets, clock or global state.  Randomness,
 * sending, time, new and deleted CHILD_SAs and logs go through struct
 * ike_env callbacks; received datagrams come in through ike_sa_receive (an
 * SA the caller found by its SPIs) or ike_sa_respond (a fresh IKE_SA_INIT
 * request); ike_sa_tick drives retransmission.
 *
 *   initiator                              responder
 *   ike_sa_initiate  -- SA KE Ni N(NAT-D) -->  ike_sa_respond: INIT_DONE
 *   INIT_SENT        <-- SA KE Nr N(NAT-D) --
 *   ike_sa_receive   -- SK{IDi [IDr] AUTH SA TSi TSr} -->  ike_sa_receive
 *   AUTH_SENT        <-- SK{IDr AUTH SA TSi TSr} --         ESTABLISHED
 *   ike_sa_receive: ESTABLISHED                     (child_sa_up on both)
 *   then either side: ike_sa_queue(CHILD | DELETE_CHILD | DELETE_IKE |
 *   LIVENESS), one request at a time (window 1, 2.3), answers cached for a
 *   repeated request, requests retransmitted with exponential backoff.
 *
 * Errors: a bad IKE_SA_INIT offer is answered statelessly by ike_sa_respond
 * (NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD with the group wanted, on which
 * the initiator retries once per group; COOKIE through ike_cookie_check;
 * a KE value invalid for its group is dropped unanswered).  The initiator
 * acts on INVALID_KE_PAYLOAD and COOKIE; any other error or unusable
 * answer is unauthenticated, so it keeps waiting for a valid one until
 * the retransmissions run out and then fails with the last error (2.21.1);
 * AUTHENTICATION_FAILED and INVALID_SYNTAX end both SAs in FAILED; a
 * CHILD_SA that cannot be made (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE,
 * INVALID_KE_PAYLOAD retried) leaves the IKE SA ESTABLISHED without it, as
 * 1.2 says.  Messages that fail to decode, do not fit the state or fail
 * the ICV are dropped and change nothing.
 *
 * Rekeying (IKE_TASK_REKEY_CHILD, IKE_TASK_REKEY_IKE) both ways; the new
 * IKE SA goes to the caller through ike_sa_rekeyed.  Not here: the nonce
 * tie-break of rekeys that cross (2.8.2: both are refused or both made),
 * MOBIKE, EAP.  Fragmentation (RFC 7383): ikesa_frag.c.
 *
 * Ownership: cfg and env are borrowed and must outlive the SA; the SA is
 * the caller's, freed with ike_sa_free (keys wiped).
 */
#ifndef UIPSEC_IKE_IKESA_H
#define UIPSEC_IKE_IKESA_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dh.h"
#include "keys.h"
#include "proposal.h"
#include "sk.h"
#include "uipsec/spd.h"
#include "uipsec/uipsec.h"

#define IKE_ID_MAX            255
#define IKE_CFG_MAX_TS        8
#define IKE_NONCE_LEN         32    /* what we send */
#define IKE_MSG_MAX           16384 /* one message we build, or one datagram we take */
#define IKE_KE_RETRIES_MAX    2
#define IKE_COOKIE_MAX        64 /* accepted from a responder */
#define IKE_COOKIE_SECRET_LEN 32
#define IKE_COOKIE_LEN        33 /* ours: generation byte | SHA-256 */
#define IKE_COOKIE_REPLY_MAX  128
#define IKE_CFG_MAX_CHILDREN  8
#define IKE_MAX_CHILDREN      16 /* CHILD_SAs one IKE SA holds */
#define IKE_MAX_TASKS         8  /* requests waiting for the window (2.3) */
#define IKE_RETRANSMIT_MS     2000
#define IKE_RETRANSMIT_TRIES  5     /* then the peer is dead: 2+4+8+16+32+64 s */
#define IKE_HALF_OPEN_MS      30000 /* a responder SA without IKE_AUTH expires */
/* IKE fragmentation (RFC 7383, ikesa_frag.c).  The default size of a whole
 * fragment datagram, IP and UDP headers (and the non-ESP marker on port
 * 4500) included: 1280, the IPv6 minimum MTU, for both families, as
 * strongSwan's charon.fragment_size (RFC 7383 2.5.1 would allow 576 for
 * IPv4).  Only messages larger than that are fragmented. */
#define IKE_FRAG_SIZE_DEFAULT 1280
#define IKE_FRAG_MAX          64    /* fragments of one message, either way */
#define IKE_FRAG_MAX_TOTAL    65536 /* reassembled plaintext of one message */
#define IKE_FRAG_TIMEOUT_MS   30000 /* a reassembly not done by then is discarded */

/* ike_cfg.fragmentation: strongSwan's values; 0, yes, is its default. */
enum {
    IKE_FRAG_YES,    /* announce; fragment when the peer announced too */
    IKE_FRAG_ACCEPT, /* announce and reassemble; never fragment */
    IKE_FRAG_FORCE,  /* fragment even when the peer did not announce */
    IKE_FRAG_NO,     /* do not announce; SKF dropped */
};

struct ike_id {
    uint8_t type; /* IKE_ID_FQDN, _IPV4_ADDR, _IPV6_ADDR, _RFC822_ADDR, _KEY_ID */
    uint8_t len;
    uint8_t data[IKE_ID_MAX];
};

/* Fills an ID from text: FQDN/RFC822/KEY_ID as bytes, IPv4/IPv6 parsed. */
__attribute__((warn_unused_result)) int ike_id_set(struct ike_id *id, uint8_t type,
                                                   const char *text);

/* One CHILD_SA the connection may make: ESP proposals (a DH group in them
 * means PFS for CREATE_CHILD_SA; IKE_AUTH never has one), selectors and mode. */
struct ike_child_cfg {
    struct ike_prop_list esp;
    /* Traffic selectors, local side first: the initiator offers every
     * selector's local side as TSi and remote side as TSr. */
    size_t nts;
    struct uipsec_selector ts[IKE_CFG_MAX_TS];
    enum uipsec_mode mode; /* TRANSPORT: ask (or accept) USE_TRANSPORT_MODE */
};

/* Public key authentication of one side (RFC 7296 2.15, RFC 7427): what
 * the caller's configuration says, the objects borrowed from it. */
struct ike_pubkey_cfg {
    bool on;                /* this side signs (else it uses the PSK) */
    int key_type;           /* EVP_PKEY_RSA, _EC, _ED25519, _ED448, or 0: any */
    bool pss;               /* local: RSA signatures with PSS */
    uint32_t hashes;        /* allowed hashes, bit (1 << IKE_HASH_*) each; 0: ours */
    X509 *cert;             /* local: our certificate */
    STACK_OF(X509) * chain; /* local: intermediate CAs sent after it */
    uint32_t key_id;        /* local: the signer's key (ike_env.sign) */
    X509_STORE *trust;      /* remote: CAs the peer's chain must end in, and the CRLs we hold */
    bool have_crls;         /* remote: trust holds CRLs */
    uint8_t revocation;     /* remote: IKE_REVOCATION_* */
    STACK_OF(X509) * known; /* remote: certificates that may complete its chain */
    /* Raw public keys (no certificate): local: ours (the signer's public
     * half), remote: the peer must sign with one of them. */
    EVP_PKEY *raw[4];
    size_t n_raw;
};

struct ike_cfg {
    struct ike_id local_id, remote_id;
    bool remote_id_any; /* accept any peer ID (the PSK or the CA decides) */
    const uint8_t *psk; /* borrowed */
    size_t psk_len;
    struct ike_pubkey_cfg local_pk, remote_pk;
    uint8_t send_cert; /* IKE_SEND_CERT_* */
    bool send_certreq;
    struct ike_prop_list ike;
    bool force_encap;      /* send a NAT_DETECTION_SOURCE_IP that cannot match (2.23) */
    bool initial_contact;  /* initiator: say we hold no other IKE SA with the peer */
    uint8_t fragmentation; /* IKE_FRAG_*, default (0) yes */
    size_t fragment_size;  /* whole datagrams, IKE_FRAG_SIZE_DEFAULT when 0 (tests: less) */
    size_t nchildren;
    struct ike_child_cfg child[IKE_CFG_MAX_CHILDREN];
};

/* Addresses the datagrams use, for NAT detection (2.23). */
struct ike_path {
    struct uipsec_addr local, remote;
    uint16_t local_port, remote_port;
};

/* The first CHILD_SA, as handed to child_sa_up (borrowed for the call;
 * the keys are wiped after it). */
struct ike_child_result {
    unsigned cfg;                    /* index into ike_cfg.child */
    struct ike_prop esp;             /* the chosen proposal */
    bool pfs;                        /* made with a fresh DH exchange */
    uint32_t replaces;               /* a rekey: the old CHILD_SA's inbound SPI, else 0 */
    bool initiated;                  /* we sent the request of the exchange */
    struct uipsec_sa_params in, out; /* spi, dir, proto, mode, suite, keys */
    size_t nts;                      /* narrowed selectors, local side ours */
    struct uipsec_selector ts[IKE_CFG_MAX_TS];
};

struct ike_sa;
struct ike_frag;

/* ike_pubkey_cfg.revocation, in the order of cfg_revocation. */
enum { IKE_REVOCATION_RELAXED, IKE_REVOCATION_IFURI, IKE_REVOCATION_STRICT };

/* ike_cfg.send_cert: strongSwan's send_cert, in the order of cfg_send_cert. */
enum { IKE_SEND_CERT_IFASKED, IKE_SEND_CERT_ALWAYS, IKE_SEND_CERT_NEVER };

struct ike_env {
    void *arg;
    void (*random)(void *arg, uint8_t *buf, size_t len); /* must not fail */
    void (*send)(void *arg, const uint8_t *buf, size_t len);
    void (*child_sa_up)(void *arg, const struct ike_child_result *child);
    /* A CHILD_SA deleted by either side (not called when the whole IKE SA
     * ends: the caller then drops every child it holds for the SA). */
    void (*child_sa_down)(void *arg, uint32_t spi_in, uint32_t spi_out);
    void (*log)(void *arg, const char *msg); /* may be NULL */
    /* Why a datagram was dropped: a flood can make many, so the caller
     * may rate-limit them.  May be NULL (then log is used). */
    void (*log_drop)(void *arg, const char *msg);
    uint64_t (*now_ms)(void *arg); /* a monotonic clock */
    /* A CHILD_SA request could not be made (error notify or 0): the
     * caller's to report.  May be NULL. */
    void (*child_failed)(void *arg, unsigned cfg, uint16_t notify);
    /* The IKE SA was rekeyed (2.18): new_sa (the caller's from now on)
     * holds its CHILD_SAs; the old one only waits to be deleted.  Returns
     * the env the new SA uses.  May be NULL: rekeying is then refused. */
    const struct ike_env *(*ike_sa_rekeyed)(void *arg, struct ike_sa *new_sa);
    /* Admission of a peer's authentication (responder, IKE_AUTH request),
     * each may be NULL.  auth_allowed is asked before the peer's AUTH is
     * verified: false refuses it with AUTHENTICATION_FAILED without
     * computing the PSK MAC (the caller throttles guessing and enforces
     * its uniqueness and per-identity limits).  auth_result says how the
     * verification came out. */
    bool (*auth_allowed)(void *arg, const struct ike_id *peer, const struct ike_path *from);
    void (*auth_result)(void *arg, const struct ike_id *peer, const struct ike_path *from, bool ok);
    /* Whether the peer may have one more CHILD_SA (responder: IKE_AUTH
     * and CREATE_CHILD_SA requests); NO_ADDITIONAL_SAS if not.  May be
     * NULL. */
    bool (*child_allowed)(void *arg);
    /* Where the PSK lives apart from the protocol (uipsecd keeps it in its
     * privileged parent): prf(prf(PSK, "Key Pad for IKEv2"), octets) into
     * out (out_len bytes, the PRF's size); 0 or -1.  NULL: the state
     * machine computes it from its ike_cfg's psk. */
    int (*psk_mac)(void *arg, enum ike_prf_alg prf, const uint8_t *octets, size_t len, uint8_t *out,
                   size_t out_len);
    /* Where the private key lives (uipsecd: its parent): AUTH data
     * (sig.h: ike_sig_sign) of scheme and method over octets with key
     * key_id into out (*out_len: room in, bytes out); 0 or -1.  Needed
     * when local_pk.on. */
    int (*sign)(void *arg, uint32_t key_id, int scheme, uint8_t method, const uint8_t *octets,
                size_t len, uint8_t *out, size_t *out_len);
    /* Responder, IKE_AUTH, before anything is checked: the peer's IDi,
     * the IDr it asked for (NULL if none) and its AUTH method are known,
     * and the caller may move the SA to a configuration that fits them
     * better (strongSwan's choice of connection by identities and
     * method): it returns that configuration, which sa->cfg becomes, or
     * NULL to keep the current one.  May be NULL. */
    const struct ike_cfg *(*auth_cfg)(void *arg, const struct ike_id *idi, const struct ike_id *idr,
                                      uint8_t auth_method);
    /* Revocation information shared by the caller's SAs (revoc.h): CRLs
     * and OCSP answers it fetches from the URIs certificates name.  An
     * SA whose peer's certificate waits for them holds its IKE_AUTH
     * (ike_sa_checking) until the caller has handed the answers to
     * ike_revoc_answer and called ike_sa_recheck.  NULL: only the CRLs
     * of remote_pk.trust are checked. */
    struct ike_revoc *revoc;
};

enum ike_role { IKE_ROLE_INITIATOR, IKE_ROLE_RESPONDER };

enum ike_sa_state {
    IKE_SA_INIT_SENT,   /* initiator: waiting for the IKE_SA_INIT response */
    IKE_SA_INIT_DONE,   /* responder: keys made, waiting for IKE_AUTH */
    IKE_SA_AUTH_SENT,   /* initiator: waiting for the IKE_AUTH response */
    IKE_SA_ESTABLISHED, /* authenticated both ways */
    IKE_SA_DELETING,    /* we sent DELETE for the IKE SA */
    IKE_SA_DELETED,     /* closed by either side: the caller frees it */
    IKE_SA_FAILED,      /* see fail_notify and fail_reason */
};

/* Work an established SA does one request at a time (window 1, 2.3). */
enum ike_task_kind {
    IKE_TASK_CHILD,        /* CREATE_CHILD_SA for child cfg `arg` */
    IKE_TASK_DELETE_CHILD, /* INFORMATIONAL: DELETE our inbound SPI `arg` */
    IKE_TASK_DELETE_IKE,   /* INFORMATIONAL: DELETE the IKE SA */
    IKE_TASK_LIVENESS,     /* INFORMATIONAL: empty (2.4) */
    IKE_TASK_REKEY_CHILD,  /* CREATE_CHILD_SA with REKEY_SA for our inbound SPI `arg` */
    IKE_TASK_REKEY_IKE,    /* CREATE_CHILD_SA for a new IKE SA (2.18) */
    /* INFORMATIONAL: DELETE for our inbound SPI `arg` of a CHILD_SA the
     * peer made but whose answer we refused (1.3.1): it is not ours to
     * track, only the peer's to remove */
    IKE_TASK_DELETE_REFUSED,
};

struct ike_task {
    enum ike_task_kind kind;
    uint32_t arg;
};

/* A CHILD_SA of this IKE SA, by its SPIs. */
struct ike_child_ref {
    uint32_t spi_in, spi_out;
    unsigned cfg;
    bool rekeyed; /* a newer CHILD_SA replaces it; it waits for its DELETE */
};

/* What ike_sa_receive did with a datagram. */
enum ike_rx {
    IKE_RX_OK,      /* acted on: state may have changed, a message may be sent */
    IKE_RX_DROPPED, /* ignored: malformed, unexpected or not authentic */
    IKE_RX_FAILED,  /* the SA is now FAILED */
};

struct ike_sa {
    enum ike_sa_state state;
    enum ike_role role;
    const struct ike_cfg *cfg;
    const struct ike_env *env;
    struct ike_path path;
    struct ike_id peer_id; /* as the peer sent it in IKE_AUTH */
    uint8_t spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
    uint8_t ni[IKE_NONCE_MAX], nr[IKE_NONCE_MAX];
    size_t ni_len, nr_len;
    struct ike_prop prop; /* chosen IKE proposal */
    struct ike_sk_suite suite;
    enum ike_prf_alg prf;
    enum ike_dh_alg dh_group; /* the group our KE uses */
    struct ike_dh *dh;
    struct ike_sa_keys *keys;
    struct ike_sk *sk_out, *sk_in;
    uint32_t msg_id_send;          /* our next request's ID (2.3) */
    uint32_t msg_id_expect;        /* the peer's next request's ID */
    uint8_t *init_req, *init_resp; /* RealMessage1, RealMessage2 (2.15) */
    size_t init_req_len, init_resp_len;
    uint8_t *req, *resp; /* our outstanding request; our last response */
    size_t req_len, resp_len;
    uint8_t rx_digest[32], resp_digest[32]; /* SHA-256 of the request being
                                             * handled, of the one resp answers */
    struct ike_path resp_path;              /* where the request resp answers came from */
    bool rx_authentic;                      /* the message being handled passed the ICV */
    bool in_receive; /* inside ike_sa_receive: queued tasks wait for its end */
    bool req_pending;
    struct ike_task req_task; /* what the outstanding request does */
    uint64_t req_deadline, created;
    unsigned req_tries;
    struct ike_task tasks[IKE_MAX_TASKS];
    size_t ntasks;
    struct ike_child_ref children[IKE_MAX_CHILDREN];
    size_t nchildren;
    /* CREATE_CHILD_SA we initiated: our nonce, SPI and PFS key pair. */
    uint8_t cni[IKE_NONCE_LEN];
    struct ike_dh *child_dh;
    unsigned child_cfg, child_ke_retries;
    uint8_t child_spi[IKE_CHILD_SPI_LEN]; /* our inbound ESP SPI being made */
    uint32_t rekey_spi;                   /* the CHILD_SA being rekeyed, or 0 */
    uint8_t new_spi[IKE_SPI_LEN];         /* IKE rekey we started: our new SPI */
    bool rekeyed;                         /* replaced by a new IKE SA: no new work */
    uint64_t rekeyed_at;
    bool nat_local, nat_remote; /* a NAT changed our / the peer's address */
    bool peer_initial_contact;  /* responder: the peer forgot its older SAs */
    unsigned ke_retries;
    uint8_t cookie[IKE_COOKIE_MAX]; /* the responder's, sent back (2.6) */
    size_t cookie_len;
    unsigned cookie_tries;
    /* the error notify sent or received, or 0; in INIT_SENT, the last
     * unusable IKE_SA_INIT answer's, reported (FAILED) only when the
     * retransmissions run out (2.21.1) */
    uint16_t fail_notify;
    uint16_t child_notify; /* why the first CHILD_SA was not made, or 0 */
    const char *fail_reason;
    char fail_text[300];             /* fail_reason when it must be made (a certificate's) */
    uint32_t peer_hashes;            /* SIGNATURE_HASH_ALGORITHMS the peer sent, bit each */
    bool peer_certreq;               /* the peer sent CERTREQ: send_cert = ifasked sends */
    X509 *peer_cert;                 /* the certificate the peer authenticated with */
    struct ike_auth_wait *auth_wait; /* an IKE_AUTH held for revocation answers */
    bool peer_frag;                  /* the peer announced IKEV2_FRAGMENTATION_SUPPORTED */
    bool rx_open;                    /* the message being handled was reassembled: open */
    struct ike_frag *frag;           /* the message being reassembled, or NULL */
};

/* Starts an IKE SA as initiator: sends IKE_SA_INIT with the first DH group
 * of the first IKE proposal.  UIPSEC_OK and *out (INIT_SENT), or an error
 * code and *out NULL. */
__attribute__((warn_unused_result)) int
ike_sa_initiate(struct ike_sa **out, const struct ike_cfg *cfg, const struct ike_env *env,
                const struct ike_path *path, unsigned child);

/* Answers an IKE_SA_INIT request (header: IKE_SA_INIT, I flag, msg ID 0,
 * SPIr 0).  On an acceptable offer: *out is a new SA in INIT_DONE and the
 * response is sent.  Otherwise *out is NULL, and for NO_PROPOSAL_CHOSEN,
 * INVALID_KE_PAYLOAD and INVALID_SYNTAX an unprotected error response is
 * sent; a KE value invalid for its group is dropped before any key pair
 * is made.  Returns IKE_RX_OK, IKE_RX_DROPPED (nothing sent) or
 * IKE_RX_FAILED (error notify sent, no SA). */
enum ike_rx ike_sa_respond(struct ike_sa **out, const struct ike_cfg *cfg,
                           const struct ike_env *env, const struct ike_path *path,
                           const uint8_t *buf, size_t len);

/* Why ike_sa_respond_why answered nothing and kept no SA: a named drop for
 * the caller's counters. */
enum ike_init_drop {
    IKE_INIT_DROP_NONE,      /* answered: a new SA, or an error notify */
    IKE_INIT_DROP_MALFORMED, /* no IKE_SA_INIT request that decodes */
    IKE_INIT_DROP_BAD_KE,    /* the KE value is not one of its group (length,
                              * MODP range, ECP curve): checked before any key
                              * pair is made, and not answered (a reflector) */
    IKE_INIT_DROP_LOCAL,     /* out of memory, a crypto failure, a send that failed */
};

/* Whether an IKE_SA_INIT request offers a proposal ours accepts: a
 * responder with several connections on the same addresses tries each
 * (strongSwan's choice).  False also for a message that is not one. */
bool ike_init_offer_fits(const uint8_t *buf, size_t len, const struct ike_prop_list *ours);
/* Whether the IKE SA's chosen proposal is one of ours (a responder that
 * switches connection in IKE_AUTH keeps the IKE SA it negotiated). */
bool ike_sa_prop_fits(const struct ike_sa *sa, const struct ike_prop_list *ours);

/* ike_sa_respond, with the reason of a drop in *why. */
enum ike_rx ike_sa_respond_why(struct ike_sa **out, const struct ike_cfg *cfg,
                               const struct ike_env *env, const struct ike_path *path,
                               const uint8_t *buf, size_t len, enum ike_init_drop *why);

/* "malformed", "bad-ke", ... */
const char *ike_init_drop_name(enum ike_init_drop why);

/* Cookies (2.6), for a responder under load: returns 1 if the IKE_SA_INIT
 * request in buf carries a valid cookie of generation gen or gen - 1
 * (secrets[g & 1] is generation g's secret); 0 with the stateless
 * N(COOKIE) answer in reply (IKE_COOKIE_REPLY_MAX bytes) if not; -1 if it
 * is no IKE_SA_INIT request at all. */
int ike_cookie_check(const uint8_t secrets[2][IKE_COOKIE_SECRET_LEN], uint8_t gen,
                     const struct ike_path *from, const uint8_t *buf, size_t len, uint8_t *reply,
                     size_t *reply_len);

/* Acts on a datagram for sa (buf is copied; the caller's is not changed).
 * from: where it came from; an authentic message from a new port (NAT-T's
 * move to 4500, a NAT rebinding) moves the SA there. */
enum ike_rx ike_sa_receive(struct ike_sa *sa, const uint8_t *buf, size_t len,
                           const struct ike_path *from);

/* Queues work for an established SA (or one still being set up: it waits).
 * UIPSEC_E_NO_ROOM when the queue is full. */
__attribute__((warn_unused_result)) int ike_sa_queue(struct ike_sa *sa, enum ike_task_kind kind,
                                                     uint32_t arg);

/* Timers: retransmits the outstanding request with exponential backoff,
 * fails the SA when the peer stays silent, expires half-open responder
 * SAs.  Call it every few hundred milliseconds. */
void ike_sa_tick(struct ike_sa *sa);

/* Whether both IKE_SA_INIT messages said a NAT is on the path (or encap
 * was forced): IKE and ESP then use UDP port 4500. */
bool ike_sa_behind_nat(const struct ike_sa *sa);

/* Whether sa holds an IKE_AUTH message until the revocation of the
 * peer's certificate is known (env->revoc): it drops every datagram
 * meanwhile. */
bool ike_sa_checking(const struct ike_sa *sa);
/* Goes on with such an IKE_AUTH after answers came: IKE_RX_OK (up, or
 * still waiting) or IKE_RX_FAILED, as ike_sa_receive. */
enum ike_rx ike_sa_recheck(struct ike_sa *sa);

/* Wipes and frees (NULL is fine). */
void ike_sa_free(struct ike_sa *sa);

const char *ike_sa_state_name(enum ike_sa_state state);

/* An ID as text: ike_id_print's (ident.h), the one spelling of IDs in
 * logs, status and messages.  Returns the length written (truncated to
 * len - 1). */
size_t ike_id_format(const struct ike_id *id, char *buf, size_t len);

/* RFC 7296 3.10.1's name of an error notify type. */
const char *ike_notify_name(uint16_t type);

#endif
