/* SPDX-License-Identifier: MIT */
/*
 * The meaning of swanctl.conf's `connections` and `secrets` sections for
 * uipsecd's IKEv2 (docs/CONFIGURATION.md, "IKEv2 connections"): strongSwan's
 * keys with strongSwan's defaults, keys for features uipsec lacks refused
 * by name (values that turn a feature off are accepted).  The PSK of each
 * connection is resolved from `secrets` at load time.
 */
#ifndef UIPSECD_CONFIG_IKE_H
#define UIPSECD_CONFIG_IKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikesa.h"
#include "proposal.h"
#include "uipsec/uipsec.h"

#define CFG_MAX_CHILDREN 8
#define CFG_TS_LEN       64
#define CFG_PSK_MAX      256

/* strongSwan's "default" proposal sets, cut to the algorithms uipsec
 * implements and to IKE_PROP_MAX_ALGS alternatives per transform type
 * (docs/CONFIGURATION.md, "IKEv2 connections"). */
#define CFG_IKE_DEFAULT_PROPOSALS                                                                  \
    "aes128-aes256-sha256-sha384-sha512-prfsha256-prfsha384-prfsha512-x25519-ecp256-ecp384-"       \
    "modp3072,"                                                                                    \
    "aes128gcm16-aes256gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-x25519-ecp256-"        \
    "ecp384-modp3072"
#define CFG_ESP_DEFAULT_PROPOSALS                                                                  \
    "aes128gcm16-aes256gcm16-chacha20poly1305,aes128-aes256-sha256-sha384-sha512"

enum cfg_start { CFG_START_NONE, CFG_START_START, CFG_START_TRAP };

/* strongSwan's `unique`: what a new IKE SA of a peer identity that has
 * one already does (docs/CONFIGURATION.md). */
enum cfg_unique { CFG_UNIQUE_NO, CFG_UNIQUE_NEVER, CFG_UNIQUE_KEEP, CFG_UNIQUE_REPLACE };

#define CFG_MAX_IKE_SAS_DEFAULT   8 /* per peer identity and connection */
#define CFG_MAX_CHILD_SAS_DEFAULT 64
#define CFG_PSK_WEAK              16 /* shorter pre-shared keys are warned about */

/* When an SA is rekeyed and when it expires, by time, bytes or packets. */
struct cfg_life {
    uint64_t rekey[3], life[3], rand[3]; /* [CFG_TIME], [CFG_BYTES], [CFG_PACKETS] */
};

enum { CFG_TIME, CFG_BYTES, CFG_PACKETS };

struct cfg_child {
    char name[64];
    char where[300]; /* "FILE:LINE:COL" of the section */
    /* Selectors as written (strongSwan syntax); "dynamic" (the default)
     * stands for the IKE SA's own address on that side. */
    char local_ts[8][CFG_TS_LEN], remote_ts[8][CFG_TS_LEN];
    size_t n_local_ts, n_remote_ts;
    struct ike_prop_list esp; /* default: strongSwan's "default" ESP set */
    char esp_text[256];       /* the proposals as written, for list-conns */
    enum uipsec_mode mode;    /* default tunnel */
    enum cfg_start start_action;
    uint32_t replay_window; /* default 32 */
    /* strongSwan's: rekey after rekey_time less up to rand_time (default
     * 1h, and life_time - rekey_time), gone at life_time (default 110%
     * of rekey_time); likewise for bytes and packets (default 0: none).
     * 0 turns each off. */
    struct cfg_life life;
};

/* How one side authenticates (local { } or remote { }): auth = psk, or
 * pubkey and strongSwan's forms of it (docs/CONFIGURATION.md). */
enum cfg_auth_method { CFG_AUTH_PSK, CFG_AUTH_PUBKEY };
enum cfg_key_type { CFG_KEY_ANY, CFG_KEY_RSA, CFG_KEY_ECDSA, CFG_KEY_ED25519, CFG_KEY_ED448 };
#define CFG_SIDE_CERTS 4

struct cfg_auth {
    uint8_t method;   /* enum cfg_auth_method */
    uint8_t key_type; /* enum cfg_key_type: auth = rsa, ecdsa, ... */
    bool pss;         /* auth = rsa/pss: RSA signatures with PSS padding */
    uint32_t hashes;  /* pubkey-sha256-sha384...: bit (1 << IKE_HASH_*) each, 0: any */
    /* Indexes into cfg->certs: local: our certificate (the first) and
     * more; remote: certificates the peer must hold one of (none: any). */
    int16_t certs[CFG_SIDE_CERTS];
    uint8_t n_certs;
    int16_t cacerts[CFG_SIDE_CERTS]; /* remote: the CAs the peer's chain must end in (none: any) */
    uint8_t n_cacerts;
    /* Raw public keys (pubkeys =): local: ours, signing without a
     * certificate; remote: the peer must sign with one of them. */
    int16_t pubkeys[CFG_SIDE_CERTS];
    uint8_t n_pubkeys;
    uint8_t revocation; /* remote: enum cfg_revocation, strongSwan's */
};

/* strongSwan's revocation policy: relaxed (default) refuses only a
 * certificate known revoked; ifuri also one whose certificate names a CRL
 * distribution point when no CRL is at hand; strict any without a CRL. */
enum cfg_revocation { CFG_REVOCATION_RELAXED, CFG_REVOCATION_IFURI, CFG_REVOCATION_STRICT };

enum cfg_send_cert { CFG_SEND_CERT_IFASKED, CFG_SEND_CERT_ALWAYS, CFG_SEND_CERT_NEVER };

struct cfg_conn {
    char name[64];
    char where[300];
    /* local_addrs (default %any: family 0) and remote_addrs (default %any:
     * such a connection only responds).  One address each. */
    struct uipsec_addr local, remote;
    struct ike_prop_list ike; /* default: strongSwan's "default" IKE set */
    char ike_text[256];
    bool encap;         /* force ESP-in-UDP (fake NAT detection hash) */
    uint32_t dpd_delay; /* seconds without traffic before a liveness check; 0: none */
    /* The IKE SA: rekey_time (default 4h) less up to rand_time (default
     * over_time), deleted at rekey_time + over_time (default 10%). */
    uint64_t rekey_time, over_time, rand_time;
    /* local.id: default the local address; remote.id: default %any
     * (remote_id_any).  auth must be psk on both sides. */
    struct ike_id local_id, remote_id;
    bool remote_id_any;
    enum cfg_unique unique; /* default no, as strongSwan */
    /* IKE SAs and CHILD_SAs one peer identity may hold with this
     * connection (uipsecd's keys max_ike_sas, max_child_sas; 0: no limit). */
    uint32_t max_ike_sas, max_child_sas;
    struct cfg_auth local_auth, remote_auth;
    uint8_t send_cert;        /* enum cfg_send_cert, default ifasked */
    bool send_certreq;        /* default yes */
    uint8_t fragmentation;    /* yes (default), accept, force, no: IKE_FRAG_* (ikesa.h) */
    int32_t key;              /* local pubkey: cfg->keys index; in the child, the parent's key id */
    uint8_t psk[CFG_PSK_MAX]; /* from the best-matching secrets.ike-* */
    size_t psk_len;
    /* In uipsecd's unprivileged child, which never holds the PSK: its
     * number in the privileged parent's table (privcfg.h). */
    uint32_t psk_id;
    struct cfg_child children[CFG_MAX_CHILDREN];
    size_t n_children;
};

/* One secrets.ike-* entry: its ids (id, id-*; none: matches any; an id
 * "%any" is stored with type 0 and matches any ID) and the secret. */
struct cfg_secret {
    char name[64];
    char where[300]; /* "FILE:LINE" of its secret key */
    struct ike_id ids[8];
    size_t n_ids;
    uint8_t secret[CFG_PSK_MAX];
    size_t len;
};

struct cfg;
struct value_err;
struct settings_node;

/* The `connections` section into cfg->ike_conns (several `connections`
 * sections merge in the syntax layer).  0 or -1 with the message. */
int cfg_ike_connections(struct value_err *c, const struct settings_node *sec, struct cfg *cfg);

/* The `secrets` section: keeps the ike-* entries in cfg for
 * cfg_ike_finish.  0 or -1. */
int cfg_ike_secrets(struct value_err *c, const struct settings_node *sec, struct cfg *cfg);

/* After the whole file: resolves each connection's PSK (strongSwan's
 * matching: a secret whose ids match both our and the peer's ID wins over
 * one matching one side, which wins over one without ids) and checks that
 * every connection has one.  0 or -1 naming the connection. */
int cfg_ike_finish(struct value_err *c, struct cfg *cfg);

/* An identity as id = takes it ("%any": type 0, any).  0 or -1. */
int cfg_ike_id(struct value_err *c, const struct settings_node *n, struct ike_id *id);

/* How well secret s fits conn, by its ids: -1 not at all, else the higher
 * the better (strongSwan's matching, as cfg_ike_finish uses it). */
int cfg_secret_rank(const struct cfg_conn *conn, const struct cfg_secret *s);

/* A connection's certificates once parsed: with auth = pubkey, ours (by
 * certs = or found by local.id) and our id from it; a CA or raw key to
 * check the peer with.  No private key is looked at.  0 or -1. */
int cfg_ike_conn_certs(struct value_err *c, const struct cfg *cfg, struct cfg_conn *conn);
/* With auth = pubkey on our side, the entry of cfg->certs whose private
 * key signs for us (our certificate or raw key); else -1. */
int cfg_ike_own_entry(const struct cfg_conn *conn);

/* A warning about secret s for the log (a PSK shorter than CFG_PSK_WEAK
 * bytes can be guessed), naming it and where it stands: true and the
 * text in buf, or false. */
bool cfg_ike_psk_warning(const struct cfg_secret *s, char *buf, size_t len);

/* Whether two connections are configured identically (reload keeps their
 * IKE SAs). */
bool cfg_conn_equal(const struct cfg_conn *a, const struct cfg_conn *b);

#endif
