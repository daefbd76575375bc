/* SPDX-License-Identifier: MIT */
/*
 * The meaning of uipsecd's configuration: the daemon's own section `uipsec`
 * and statically keyed SAs in section `manual` (docs/CONFIGURATION.md).
 * The syntax is settings.c's; everything here names file, line and column.
 */
#ifndef UIPSECD_CONFIG_H
#define UIPSECD_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <sys/types.h>

#include "authorities.h"
#include "config_ike.h"
#include "creds.h"
#include "uipsec/uipsec.h"

#define CFG_MAX_TS      8
#define CFG_MAX_WORKERS 64 /* uipsec.workers */
/* uipsec.fragment_size, strongSwan's charon.fragment_size: the largest IP
 * datagram an IKE fragment is sent in (RFC 7383).  0 means by address
 * family: 576 bytes over IPv4, 1280 over IPv6 (RFC 7383 2.5.1). */
#define CFG_FRAG_SIZE_DEFAULT 1280
#define CFG_FRAG_SIZE_MIN     576 /* what every IPv4 host takes (RFC 791) */

struct cfg_keys {
    uint32_t spi;
    uint8_t enc_key[UIPSEC_MAX_KEY + UIPSEC_SALT_LEN];
    size_t enc_key_len; /* with the salt for AEAD suites, as IKE derives it */
    uint8_t integ_key[UIPSEC_MAX_AUTH];
    size_t integ_key_len;
};

struct cfg_manual {
    char name[64];
    char where[300]; /* "FILE:LINE:COL" of the section, for later messages */
    struct uipsec_addr local, remote;
    char local_ts[CFG_MAX_TS][64], remote_ts[CFG_MAX_TS][64];
    size_t n_local_ts, n_remote_ts;
    enum uipsec_mode mode;
    enum uipsec_proto proto;
    char proposal[64];
    struct uipsec_sa_params suite; /* enc, integ, key lengths, esn from the proposal */
    bool encap;
    uint32_t replay_window;
    uint16_t tfc_pad;
    uint32_t priority;
    struct uipsec_lifetime lifetime;
    struct cfg_keys in, out;
};

struct cfg {
    char ifname[IFNAMSIZ];
    unsigned path_mtu;
    bool offload;           /* uipsec.offload: TUN segmentation and coalescing */
    unsigned workers;       /* uipsec.workers: data-path threads; 0 = one per core */
    unsigned fragment_size; /* uipsec.fragment_size; 0 = by family (cfg_fragment_size) */
    char socket_path[108];
    bool has_group;
    gid_t socket_group;
    bool vici;           /* uipsec.vici: serve VICI (default yes) */
    char vici_path[108]; /* uipsec.vici_socket; "": /var/run/charon.vici */
    bool vici_has_group; /* uipsec.vici_group */
    gid_t vici_group;
    struct uipsec_addr tun_addr4, tun_addr6; /* family 0 when not set */
    struct cfg_manual *manual;
    size_t n_manual;
    struct cfg_conn *ike_conns; /* connections { } (config_ike.c) */
    size_t n_ike_conns;
    struct cfg_secret *secrets; /* secrets { ike-* { } }, wiped on free */
    size_t n_secrets;
    char wireshark_keys[256]; /* uipsec.wireshark_keys: key log directory, "" = off */
    char state_dir[256];      /* uipsec.state_dir: sequence marks of manual AEAD SAs */
    char conf_dir[256];       /* where x509/, x509ca/, private/ ... are (creds.h) */
    struct cfg_cert *certs;   /* creds.h: every certificate, their DER in cert_der */
    size_t n_certs;
    uint8_t *cert_der;
    size_t cert_der_len;
    struct cfg_key *keys; /* private keys: the parent's only */
    size_t n_keys;
    struct cfg_key_secret *key_secrets; /* their passphrases, wiped on free */
    size_t n_key_secrets;
    struct cfg_authority *authorities; /* authorities.h */
    size_t n_authorities;
    char aa_files[200];              /* x509aa/'s file names, as many as fit (not used: creds.h) */
    unsigned n_aa_files, n_aa_named; /* all of them, those in aa_files */
    bool blob_refs; /* certs, cacerts, pubkeys, cacert name entries "#N" (creds.h), not files */
};

/* Reads and checks the configuration file.  Returns 0, or -1 with a message
 * "FILE:LINE:COL: what is wrong; what to do" in err. */
int cfg_load(const char *path, struct cfg *out, char *err, size_t err_len);
/* The same for len bytes of text named name, with includes refused; keys
 * are accepted only if a private file called name exists (the fuzzer,
 * fuzz_config, makes one). */
int cfg_load_text(const char *text, size_t len, const char *name, struct cfg *out, char *err,
                  size_t err_len);
void cfg_free(struct cfg *cfg);

/* The IKE fragment size (whole datagrams) for peers of an address family
 * (4 or 6): uipsec.fragment_size, or by family when it is 0. */
unsigned cfg_fragment_size(const struct cfg *cfg, int family);

/* Whether two manual SAs are configured identically (reload keeps those). */
bool cfg_manual_equal(const struct cfg_manual *a, const struct cfg_manual *b);

#endif
