/* SPDX-License-Identifier: MIT */
/*
 * Inside VICI: the clients (vici_conn.c: the socket, the packet layer,
 * events) and the commands (vici.c, vici_sas.c) share these.
 */
#ifndef UIPSECD_VICI_INT_H
#define UIPSECD_VICI_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl_socket.h"
#include "drops.h"
#include "vici_msg.h"

#define VICI_MAX_CLIENTS 32           /* connections served at once */
#define VICI_MAX_REQUEST (64u << 10)  /* one packet from a client, at most */
#define VICI_MAX_PACKET  (512u << 10) /* one packet to a client (the protocol's limit) */
#define VICI_MAX_QUEUE   (16u << 20)  /* unsent bytes per client, at most */
#define VICI_PACKET_MS   5000         /* a packet's first byte to its last */
#define VICI_STALL_MS    10000        /* a client that takes none of its queue */

/* The events a client may register for: all of charon's, so that every
 * swanctl command registers; uipsecd raises those it has (CONTROL.md). */
enum vici_event {
    VE_LOG,
    VE_CONTROL_LOG,
    VE_LIST_SA,
    VE_LIST_POLICY,
    VE_LIST_CONN,
    VE_LIST_CERT,
    VE_LIST_AUTHORITY,
    VE_IKE_UPDOWN,
    VE_IKE_REKEY,
    VE_IKE_UPDATE,
    VE_CHILD_UPDOWN,
    VE_CHILD_REKEY,
    VE_ALERT,
    VE_COUNT
};

/* What a client's command waits for before it is answered. */
enum vici_wait { VW_NONE, VW_INITIATE, VW_TERMINATE };

struct vici_client {
    int fd;          /* -1: free */
    uint32_t events; /* registered: bit (1 << enum vici_event) */
    uint8_t *in;     /* VICI_MAX_REQUEST bytes, the client's */
    size_t in_len;
    uint64_t packet_deadline; /* ms: the packet begun must be complete; 0: none */
    uint8_t *out;             /* queued packets */
    size_t out_len, out_off, out_cap;
    uint64_t stall_deadline; /* ms: some of the queue must be taken by then; 0: empty */
    /* A command that waits: VW_INITIATE for child (log lines of conn go
     * to it as control-log, up to level), VW_TERMINATE for what matches
     * ike/child/ike_id. */
    enum vici_wait wait;
    char child[256], conn[256];
    unsigned ike_id, matches, level;
    uint64_t wait_deadline; /* ms; 0: none */
};

struct vici_counters {
    uint64_t accepted, busy, malformed, too_large, slow, overflow, unknown_cmd;
};

struct daemon;

struct vici {
    struct daemon *d;
    struct ctl_socket sock;
    int ep;
    struct vici_client cl[VICI_MAX_CLIENTS];
    struct vici_buf out;   /* the packet being built, reused */
    struct vici_buf log;   /* log events', swapped in: a line may be logged mid-packet */
    unsigned dropped_full; /* clients dropped for a full queue, not logged yet */
    struct vici_counters n;
    char sysname[65], release[65], machine[65]; /* uname, before the sandbox */
    uint64_t counters_reset[DD_COUNT];          /* the IKE counters at reset-counters */
};

uint64_t vici_now_ms(void);
/* vici_conn.c: queues the packet in v->out (vici_end done here) for c;
 * a client whose queue would pass VICI_MAX_QUEUE is dropped. */
void vici_send(struct vici *v, struct vici_client *c);
/* The event in v->out to every client registered for ev (only: too). */
void vici_raise(struct vici *v, enum vici_event ev, struct vici_client *only);
bool vici_registered(const struct vici_client *c, enum vici_event ev);
/* What the event set watches of c, after its wait or queue changed. */
void vici_watch_fd(struct vici *v, const struct vici_client *c);

/* vici_watch.c: ike-updown, child-updown, ike-rekey, child-rekey, every
 * tick. */
void vici_watch_tick(struct vici *v);

/* vici.c: one CMD_REQUEST (its message well formed). */
void vici_command(struct vici *v, struct vici_client *c, const char *name, uint8_t *msg,
                  size_t len);
/* vici_load.c: what is loaded over VICI (vici_store.h): connections,
 * certificates, authorities, PSKs and private keys. */
void vici_load_conn(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len);
void vici_unload_conn(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len);
void vici_load_cert(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len);
void vici_load_authority(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len);
/* load-shared, load-key (load-token: refused) */
void vici_load_cred(struct vici *v, struct vici_client *c, const char *cmd, uint8_t *msg,
                    size_t len);
/* unload-shared, unload-key, unload-authority */
void vici_unload_cred(struct vici *v, struct vici_client *c, const char *cmd, uint8_t *msg,
                      size_t len);
void vici_clear_creds(struct vici *v, struct vici_client *c);
/* get-conns, get-shared, get-keys, get-authorities: the names loaded. */
void vici_list_loaded(struct vici *v, struct vici_client *c, const char *cmd);

/* vici.c: the log no longer reaches v (it is closing). */
void vici_untap(const struct vici *v);
/* vici.c: a client's wait, checked every tick; true when it was answered. */
bool vici_wait_check(struct vici *v, struct vici_client *c, uint64_t now);
/* vici.c: answers a command's response "success = yes". */
void vici_ok(struct vici *v, struct vici_client *c);
/* vici.c: answers a command's response "success = no, errmsg = msg". */
void vici_fail(struct vici *v, struct vici_client *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
