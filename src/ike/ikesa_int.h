/* SPDX-License-Identifier: MIT */
/* Internal to the IKE SA state machine (ikesa*.c). */
#ifndef UIPSEC_IKE_IKESA_INT_H
#define UIPSEC_IKE_IKESA_INT_H

#include "ikesa.h"
#include "ike_msg.h"

/* ikesa.c: messages. */
void ike_sa_log(const struct ike_env *env, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ike_sa_log_drop(const struct ike_env *env, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
struct ike_hdr ike_sa_hdr(const struct ike_sa *sa, uint8_t exchange, bool response,
                          uint32_t msg_id);
/* Encodes and sends; *copy (if copy is not NULL) gets a malloc'd copy. */
__attribute__((warn_unused_result)) int ike_send_plain(const struct ike_env *env,
                                                       const struct ike_hdr *hdr,
                                                       const struct ike_payload *pl, size_t n,
                                                       uint8_t **copy, size_t *copy_len);
/* Seals inner[0, n) into an SK payload, sends it and keeps it (as the
 * outstanding request, or as the response a repeated request gets). */
__attribute__((warn_unused_result)) int ike_sa_send_sk(struct ike_sa *sa, uint8_t exchange,
                                                       bool response, uint32_t msg_id,
                                                       const struct ike_payload *inner, size_t n);
/* Opens the SK payload that ends msg (decoded from buf) and decodes the
 * inner payloads into msg.  False: drop. */
__attribute__((warn_unused_result)) bool ike_sa_open_sk(struct ike_sa *sa, uint8_t *buf, size_t len,
                                                        struct ike_msg *msg);
void ike_sa_keep_sent(struct ike_sa *sa, uint8_t *msg, size_t len, bool response);
/* A response to our outstanding request was accepted: the window opens. */
void ike_sa_response_done(struct ike_sa *sa);
uint64_t ike_sa_now(const struct ike_sa *sa);
enum ike_rx ike_sa_fail(struct ike_sa *sa, uint16_t notify, const char *reason);

const struct ike_payload *ike_msg_find(const struct ike_msg *msg, uint8_t type);
const struct ike_pl_notify *ike_msg_notify(const struct ike_msg *msg, uint16_t type);
/* The first error notify (type < 16384), or NULL. */
const struct ike_pl_notify *ike_msg_error(const struct ike_msg *msg);

/* ikesa.c: NAT detection hash (2.23) of SPIi | SPIr | address | port. */
void ike_nat_hash(const uint8_t *spi_i, const uint8_t *spi_r, const struct uipsec_addr *addr,
                  uint16_t port, uint8_t out[IKE_NAT_DETECTION_LEN]);
/* Sets sa->nat_local/nat_remote from the peer's NAT_DETECTION notifies. */
void ike_sa_check_nat(struct ike_sa *sa, const struct ike_msg *msg);

/* ikesa.c: <SignedOctets> (2.15) of the initiator (of_initiator) or the
 * responder for the ID given, in a buffer of its own (*out, to free). */
__attribute__((warn_unused_result)) int ike_auth_octets(const struct ike_sa *sa, bool of_initiator,
                                                        uint8_t id_type, struct ike_bytes id_data,
                                                        uint8_t **out, size_t *out_len);

/* ikesa_cert.c: public key authentication (RFC 7296 2.15, 3.6, 3.7; RFC
 * 7427).  The IKE_SA_INIT extras: SIGNATURE_HASH_ALGORITHMS, and CERTREQ
 * from a responder that checks certificates; buf holds their data
 * (IKE_CERT_INIT_BUF bytes); returns how many payloads went to pl (at
 * most 2). */
#define IKE_CERT_INIT_BUF (16 + 20 * 16)
size_t ike_cert_init_payloads(const struct ike_sa *sa, uint8_t *buf, struct ike_payload *pl);
/* Notes what the peer's message says: its hashes, whether it asked for
 * certificates. */
void ike_cert_note_peer(struct ike_sa *sa, const struct ike_msg *msg);
/* Our IKE_AUTH payloads for public key authentication: CERT (when
 * send_cert says), CERTREQ (initiator, when send_certreq), and AUTH
 * (the signature, which the caller's sign hook makes).  The payloads
 * point into o, which must outlive the send. */
#define IKE_CERT_MAX_SEND 5
struct ike_cert_out {
    uint8_t *der[IKE_CERT_MAX_SEND];
    uint8_t certreq[20 * 16];
    uint8_t auth[1200];
};
__attribute__((warn_unused_result)) int ike_cert_auth_payloads(struct ike_sa *sa,
                                                               struct ike_cert_out *o,
                                                               struct ike_payload *pl, size_t *n,
                                                               size_t cap);
void ike_cert_out_free(struct ike_cert_out *o);
/* How a peer's authentication came out: at once, or once the answers
 * about the revocation of its certificates are in. */
enum ike_verdict { IKE_V_FAIL, IKE_V_OK, IKE_V_WAIT };
void ike_auth_wait_free(struct ike_auth_wait *w);
/* The peer's CERT chain, identity and AUTH signature checked, and then
 * the revocation of its certificates: IKE_V_FAIL with sa->fail_text
 * saying which certificate and which check failed; IKE_V_WAIT with *wait
 * (the caller's) when answers were asked for (env->revoc), after which
 * ike_cert_recheck goes on. */
enum ike_verdict ike_cert_verify(struct ike_sa *sa, const struct ike_msg *msg,
                                 const struct ike_pl_id *id, const struct ike_pl_auth *auth,
                                 struct ike_auth_wait **wait);
enum ike_verdict ike_cert_recheck(struct ike_sa *sa, struct ike_auth_wait *w);

/* ikesa.c: AUTH = prf(prf(PSK, "Key Pad for IKEv2"), <SignedOctets>) of
 * the initiator (of_initiator) or the responder, for the ID given. */
__attribute__((warn_unused_result)) int ike_psk_auth(const struct ike_sa *sa, bool of_initiator,
                                                     uint8_t id_type, struct ike_bytes id_data,
                                                     uint8_t *out, size_t out_len);

/* ikesa_frag.c: IKE fragmentation (RFC 7383).  N(IKEV2_FRAGMENTATION_
 * SUPPORTED) for IKE_SA_INIT when we announce it (0 or 1 payload). */
size_t ike_frag_init_payloads(const struct ike_sa *sa, struct ike_payload *pl);
/* Notes whether the peer's IKE_SA_INIT message announced it. */
void ike_frag_note_peer(struct ike_sa *sa, const struct ike_msg *msg);
/* Whether a sealed message of len bytes goes out in fragments. */
bool ike_frag_wanted(const struct ike_sa *sa, uint8_t exchange, size_t len);
/* inner[0, n) as SKF fragments behind hdr, each sealed on its own, back
 * to back in *out (malloc'd, *out_len bytes; each datagram's IKE header
 * Length says where it ends). */
__attribute__((warn_unused_result)) int ike_frag_split(struct ike_sa *sa, const struct ike_hdr *hdr,
                                                       const struct ike_payload *inner, size_t n,
                                                       uint8_t **out, size_t *out_len);
/* Sends the datagrams of a kept message, one or all its fragments. */
void ike_sa_send_kept(const struct ike_sa *sa, const uint8_t *buf, size_t len);
enum ike_frag_rx {
    IKE_FRAG_RX_DROP,   /* dropped (logged with its reason) */
    IKE_FRAG_RX_HELD,   /* authentic, kept: more to come */
    IKE_FRAG_RX_DONE,   /* the last one: msg holds the inner payloads */
    IKE_FRAG_RX_REPEAT, /* the first fragment of the request we answered last */
};
/* A message ending in SKF (decoded from buf into msg): checked, its ICV
 * verified, then kept.  On DONE msg's payloads point into sa->frag, valid
 * until ike_frag_discard. */
enum ike_frag_rx ike_frag_receive(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_msg *msg);
bool ike_frag_is_skf(const struct ike_msg *msg);
void ike_frag_discard(struct ike_sa *sa);
/* Discards a reassembly older than IKE_FRAG_TIMEOUT_MS. */
void ike_frag_tick(struct ike_sa *sa);

/* ikesa_ts.c: traffic selectors (2.9). */
size_t ike_ts_narrow(const struct ike_child_cfg *cfg, bool initiator, const struct ike_pl_ts *tsi,
                     const struct ike_pl_ts *tsr, struct uipsec_selector *out);
void ike_ts_to_pl(const struct uipsec_selector *sel, size_t n, bool local_side, struct ike_ts *buf,
                  struct ike_pl_ts *pl);

/* ikesa_init.c / ikesa_auth.c: the steps. */
enum ike_rx ike_sa_init_response(struct ike_sa *sa, const uint8_t *buf, size_t len,
                                 const struct ike_msg *msg);
uint8_t *ike_dup(const uint8_t *p, size_t len);
__attribute__((warn_unused_result)) int ike_sa_send_auth_request(struct ike_sa *sa);
enum ike_rx ike_sa_auth_request(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_msg *msg);
enum ike_rx ike_sa_auth_response(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_msg *msg);
/* An IKE_AUTH held for revocation answers (w is sa->auth_wait): goes on
 * if they are in; sa->auth_wait is NULL then, and w the caller's to free. */
enum ike_rx ike_sa_auth_resume(struct ike_sa *sa, struct ike_auth_wait *w);

/* ikesa_child.c: CHILD_SAs, made in IKE_AUTH or CREATE_CHILD_SA. */
struct ike_child_pick {
    unsigned cfg;
    struct ike_prop esp;
    const uint8_t *peer_spi;
    size_t nsel;
    struct uipsec_selector sel[IKE_CFG_MAX_TS];
    enum uipsec_mode mode;
    bool started;                      /* we sent the request of this exchange */
    uint8_t spi_in[IKE_CHILD_SPI_LEN]; /* ours for the new CHILD_SA */
    uint32_t replaces;                 /* a rekey: the old CHILD_SA's inbound SPI, else 0 */
};
/* The child config the SA/TSi/TSr payloads of m fit: if m answers our
 * request, the config we asked with (sa->child_cfg); if m is the request,
 * each config in turn.  0, or the error notify. */
uint16_t ike_child_choose(struct ike_sa *sa, const struct ike_msg *m, bool ignore_dh,
                          struct ike_child_pick *pick);
/* An IKE_AUTH message held while they are fetched: the certificates
 * (ikesa_cert.c) and what the rest of the exchange needs (ikesa_auth.c). */
struct ike_auth_wait {
    X509 *ee;
    STACK_OF(X509) * more, *chain;
    char who[200];
    struct ike_child_pick pick;
    uint8_t peer_spi[IKE_CHILD_SPI_LEN];
    uint16_t child_err;  /* from ike_child_choose */
    uint16_t peer_error; /* initiator: the error notify the response carried */
};
/* [N(USE_TRANSPORT_MODE)], SA, mid[0, nmid) (nonce, KE), TSi, TSr into
 * pl; *n grows. */
struct ike_child_wire {
    struct ike_prop_wire w;
    struct ike_ts ts_i[IKE_CFG_MAX_TS], ts_r[IKE_CFG_MAX_TS];
};
void ike_child_payloads(bool started, struct ike_child_wire *cw, const struct ike_prop *props,
                        size_t nprops, const uint8_t *spi, const struct uipsec_selector *sel,
                        size_t nsel, bool transport, const struct ike_payload *mid, size_t nmid,
                        struct ike_payload *pl, size_t *n);
/* KEYMAT (2.17) and child_sa_up; the child is recorded in sa->children. */
__attribute__((warn_unused_result)) int ike_child_up(struct ike_sa *sa,
                                                     const struct ike_child_pick *pick,
                                                     struct ike_iov gir, struct ike_iov ni,
                                                     struct ike_iov nr);
uint32_t ike_spi_num(const uint8_t *p);
/* INVALID_KE_PAYLOAD (1.3): the group the peer wants, if we offered it,
 * it is not the one we used (current) and *retries allows another try
 * (then counted); else 0. */
uint16_t ike_ke_retry_group(const struct ike_pl_notify *n, const struct ike_prop_list *offered,
                            uint16_t current, unsigned *retries);
bool ike_child_dh_renew(struct ike_sa *sa, uint16_t g);
/* Answers a CREATE_CHILD_SA request with an error notify (and logs what
 * was refused and why). */
enum ike_rx ike_sa_refuse_create(struct ike_sa *sa, uint16_t type, const uint8_t *data, size_t len,
                                 const char *what, const char *why);
enum ike_rx ike_sa_child_request(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_msg *msg);
enum ike_rx ike_sa_child_response(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_msg *msg);
__attribute__((warn_unused_result)) int ike_sa_send_child_request(struct ike_sa *sa, unsigned cfg);

/* ikesa_info.c: INFORMATIONAL (DELETE, liveness, notifies) and the task
 * queue. */
enum ike_rx ike_sa_info_request(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_msg *msg);
enum ike_rx ike_sa_info_response(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_msg *msg);
/* Puts a task before the others (a DELETE that must follow a rekey). */
__attribute__((warn_unused_result)) int ike_sa_queue_front(struct ike_sa *sa,
                                                           enum ike_task_kind kind, uint32_t arg);
/* Starts the next queued task when the window is free. */
void ike_sa_run_tasks(struct ike_sa *sa);
struct ike_payload ike_notify_pl(uint16_t type, const uint8_t *data, size_t len);

/* ikesa_rekey.c: rekeying the IKE SA (2.18). */
enum ike_rx ike_sa_rekey_request(struct ike_sa *sa, const struct ike_msg *msg);
enum ike_rx ike_sa_rekey_response(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_msg *msg);
__attribute__((warn_unused_result)) int ike_sa_send_rekey_request(struct ike_sa *sa);

#endif
