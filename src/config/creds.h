/* SPDX-License-Identifier: MIT */
/*
 * Certificates and private keys laid out the swanctl way, beside the
 * configuration file (docs/CONFIGURATION.md, "Certificates"):
 *   x509ca/   trusted CA certificates, every file loaded
 *   x509/     our certificates and intermediate CAs, every file loaded
 *   x509crl/  certificate revocation lists, every file loaded
 *   x509aa/   attribute certificates: not supported (OpenSSL 3.0 cannot
 *             parse them), the files only counted and named for a warning
 *   pubkey/   raw public keys, those `pubkeys =` names
 *   private/, rsa/, ecdsa/, pkcs8/   private keys, every file loaded;
 *             an encrypted one needs secrets { private-NAME { file, secret } }
 * `certs =` and `cacerts =` name files relative to x509/ and x509ca/, or
 * absolute.  PEM (several certificates in one file) or DER.  Parsing is
 * OpenSSL's.  Certificates are kept as DER in one blob, so that the
 * unprivileged child (which cannot read the files) gets them with the
 * configuration; keys stay in the privileged parent.
 */
#ifndef UIPSECD_CREDS_H
#define UIPSECD_CREDS_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_MAX_CERTS     256
#define CFG_MAX_KEYS      64
#define CFG_CERT_DER_MAX  (1u << 20) /* all certificates together */
#define CFG_CERT_PATH_LEN 256

struct cfg_cert {
    char path[CFG_CERT_PATH_LEN]; /* the file it came from */
    uint32_t off, len;            /* its DER in cfg->cert_der */
    bool ca;                      /* trusted: from x509ca/ or cacerts = */
    bool crl;                     /* not a certificate: a CRL from x509crl/ */
    bool pubkey;                  /* not a certificate: a raw public key (pubkeys =) */
};

/* A private key, in the parent only (privcfg_strip takes them out). */
struct cfg_key {
    char path[CFG_CERT_PATH_LEN];
    EVP_PKEY *key;
};

/* A passphrase for an encrypted key file: secrets.private-NAME and its
 * rsa-, ecdsa-, pkcs8- forms. */
struct cfg_key_secret {
    char name[64];
    char where[300];
    char dir[16]; /* private, rsa, ecdsa, pkcs8: where a relative file is */
    char file[CFG_CERT_PATH_LEN];
    char secret[256];
};

struct cfg;
struct value_err;
struct settings_node;

/* Every file of x509ca/, x509/ and x509crl/ beside the configuration, and
 * the names of x509aa/'s (a missing directory is no error).  0 or -1 with the file and why. */
int creds_load_dirs(struct value_err *c, struct cfg *cfg);
/* The warning for the files of x509aa/, if there are any: the folder, the
 * files, that they are ignored.  For the log, at each load. */
bool creds_aa_warning(const struct cfg *cfg, char *buf, size_t len);
/* The certificates a `certs =` (ca false) or `cacerts =` (ca true) key
 * names, comma-separated: their indexes into cfg->certs, the first file's
 * first certificate first (the others of a file follow as intermediates,
 * which are not put in idx).  0 or -1 naming the key. */
int creds_cert_key(struct value_err *c, const struct settings_node *n, struct cfg *cfg, bool ca,
                   int16_t *idx, uint8_t *n_idx, uint8_t max);
/* Certificate data given over VICI (load-cert, and the certs, cacerts,
 * pubkeys lists of load-conn), PEM or DER, added under name: the index
 * of the first entry (0 for CRLs), or -1 with why.  A configuration
 * parsed with cfg->blob_refs set names such entries "#N" instead of
 * files (vici_store.c). */
enum creds_blob { CREDS_CERT, CREDS_CA, CREDS_CRL, CREDS_PUBKEY };
int creds_add_blob(struct cfg *cfg, const char *name, const uint8_t *p, size_t n,
                   enum creds_blob kind, char *why, size_t wlen);
/* The raw public keys a `pubkeys =` key names (SubjectPublicKeyInfo, PEM
 * or DER, in pubkey/ or absolute): their indexes.  0 or -1. */
int creds_pubkey_key(struct value_err *c, const struct settings_node *n, struct cfg *cfg,
                     int16_t *idx, uint8_t *n_idx, uint8_t max);
/* The public key of entry i (a certificate's or a raw one), a reference
 * of the caller's; NULL for a CRL. */
EVP_PKEY *creds_public(const struct cfg *cfg, int i);
/* A secrets.private-* (or rsa-, ecdsa-, pkcs8-) section.  0 or -1. */
int creds_key_secret(struct value_err *c, const struct settings_node *sec, struct cfg *cfg);
/* Every key file, decrypted with its secret where it has one.  0 or -1. */
int creds_load_keys(struct value_err *c, struct cfg *cfg);
/* The key whose public half is entry i's (a certificate or a raw public
 * key), or -1. */
int creds_key_of(const struct cfg *cfg, int i);
/* A certificate's DER. */
const uint8_t *creds_der(const struct cfg *cfg, int cert, size_t *len);
void creds_free(struct cfg *cfg);

#endif
