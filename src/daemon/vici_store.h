/* SPDX-License-Identifier: MIT */
/*
 * What VICI loaded at run time (swanctl --load-all): connections,
 * certificates, CRLs, authorities, pre-shared keys and private keys, kept
 * in the IKE process as they came, and laid over the configuration file's
 * after every load and every reload (vstore_apply).  Connections are kept
 * as their load-conn messages and parsed again each time, so a reload of
 * the file, or a certificate loaded later, gives them the same meaning the
 * file would.  Secrets never stay here: a PSK or private key is handed to
 * the privileged parent (privclient.h) and only its number is kept, with
 * the ids a PSK is for and a private key's public half.
 */
#ifndef UIPSECD_VICI_STORE_H
#define UIPSECD_VICI_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "creds.h"

/* Bounds on what one client may make this process keep. */
#define VSTORE_MAX_CONNS  4096
#define VSTORE_MAX_CERTS  CFG_MAX_CERTS
#define VSTORE_MAX_SHARED 4096
#define VSTORE_MAX_KEYS   256
#define VSTORE_MAX_AUTHS  CFG_MAX_AUTHORITIES
#define VSTORE_MSG_MAX    (256u << 10) /* one load-conn or load-authority message */
#define VSTORE_KEYID_HEX  41           /* SHA-1 of a public key, hex, NUL */

struct vici_store;

struct vici_store *vstore_new(void);
void vstore_free(struct vici_store *vs);

/* The configuration file's part of cfg (its connections, certificates,
 * authorities), as the parent just passed it: what vstore_apply starts
 * from. */
int vstore_base(struct vici_store *vs, const struct cfg *cfg);

/* cfg = the file's part and everything loaded over it: connections of
 * the same name replace the file's.  strict: 0, or -1 at the first entry
 * that no longer has a meaning (err names it), with cfg half made (apply
 * again after taking it back).  Otherwise such entries are left out and
 * logged.  A connection whose PSK or private key is not loaded yet is
 * kept (strongSwan looks them up when it authenticates): its
 * authentications fail until they are, and a warning says so. */
int vstore_apply(struct vici_store *vs, struct cfg *cfg, bool strict, char *err, size_t err_len);

/* ---- the entries (each 0, or -1 with err; nothing changed on -1) ---- */

enum vstore_list { VSTORE_CONNS, VSTORE_SHARED, VSTORE_KEYS, VSTORE_AUTHS };

/* A load-conn (VSTORE_CONNS) or load-authority (VSTORE_AUTHS) message:
 * each section in it, replacing one of the same name.  *names gets
 * their names, comma-separated (for the log). */
int vstore_msg_put(struct vici_store *vs, enum vstore_list what, const uint8_t *msg, size_t len,
                   char *names, size_t names_len, char *err, size_t err_len);
/* Takes back the last vstore_msg_put (its check failed). */
void vstore_msg_undo(struct vici_store *vs, enum vstore_list what);
/* false if nothing of that name was loaded over VICI. */
bool vstore_msg_del(struct vici_store *vs, enum vstore_list what, const char *name);
bool vstore_conn_has(const struct vici_store *vs, const char *name);

int vstore_cert_put(struct vici_store *vs, enum creds_blob kind, const uint8_t *p, size_t n,
                    char *err, size_t err_len);

/* A PSK the parent keeps as psk_id, for the ids of s (its secret is not
 * read).  Replaces one of the same name (unique id). */
int vstore_shared_put(struct vici_store *vs, const char *name, const struct cfg_secret *s,
                      uint32_t psk_id, char *err, size_t err_len);
bool vstore_shared_del(struct vici_store *vs, const char *name);

/* A private key the parent keeps as key_id; pub is its public half (the
 * store takes the reference).  *keyid gets its id, as get-keys lists it. */
int vstore_key_put(struct vici_store *vs, EVP_PKEY *pub, uint32_t key_id,
                   char keyid[VSTORE_KEYID_HEX], char *err, size_t err_len);
bool vstore_key_del(struct vici_store *vs, const char *keyid);

/* clear-creds: every certificate, key and PSK loaded (connections and
 * authorities stay, as with charon). */
void vstore_clear_creds(struct vici_store *vs);

/* The names of what is loaded, for get-conns, get-shared, get-keys,
 * get-authorities: fn once each. */
void vstore_each(const struct vici_store *vs, enum vstore_list what,
                 void (*fn)(void *arg, const char *name), void *arg);

#endif
