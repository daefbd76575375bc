/* SPDX-License-Identifier: MIT */
/*
 * The Security Policy Database (RFC 4301 4.4.1): ordered policies per
 * direction, each a selector and an action (PROTECT, BYPASS, DISCARD), and
 * the checks of RFC 4301 5.1 (outbound) and 5.2 (inbound).
 *
 *   struct uipsec_policy_params p = {.dir = UIPSEC_DIR_OUT, .priority = 100,
 *                                    .action = UIPSEC_POLICY_PROTECT, .sa = sa_out};
 *   uipsec_selector_parse(&p.sel, "10.1.0.0/16", "10.2.0.0/16[tcp/http]", err, sizeof err);
 *   uipsec_spd_add(spd, &p, &id);
 *   uipsec_spd_commit(spd);                       // now lookups see it
 *   uipsec_spd_lookup_out(spd, bufs, n, policies); // one policy (or NULL) per packet
 *
 * Changes are transactional: uipsec_spd_add() and uipsec_spd_remove() stage,
 * uipsec_spd_commit() applies the staged changes to the lookup tables in
 * place and makes them live at once, so lookups see either the old or the
 * new policy set, never half of a change.  A commit costs O(1) per staged
 * change (plus emptying the fixed-size flow cache), whatever the number of
 * policies, except for policies whose selectors are no prefixes or aligned
 * port blocks (ranges, OPAQUE): those are kept in a sorted array.
 *
 * Lookups never allocate and never lock.  A flow cache (a fixed table of
 * 4,096 recent 5-tuples, emptied by a generation number at every commit)
 * answers repeated flows without touching the policies; new flows go through
 * a tuple-space search (one hash probe per distinct selector shape), so
 * their cost depends on how many shapes the policies have, not on how many
 * policies there are.
 *
 * Thread safety: none inside.  One SPD is used by one thread at a time: the
 * daemon serialises control changes (add, remove, commit) with lookups, e.g.
 * by applying them on the data-path thread between batches.  Lookups write
 * the flow cache and counters, so a multi-threaded data path either takes
 * the SPD under a lock (uipsecd does, once per batch) or gives each worker
 * its own SPD, built by the same calls (ids are then equal across them;
 * counters are per worker).
 *
 * Ownership: the SPD owns its policies.  A policy pointer it hands out stays
 * valid until the uipsec_spd_commit() that makes its removal live.  ctx and
 * sa in a policy are the caller's and are never touched.
 */
#ifndef UIPSEC_SPD_H
#define UIPSEC_SPD_H

#include "uipsec/uipsec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Port ranges: [lo, hi].  ANY matches every packet, also those whose ports
 * are not available; OPAQUE matches only those (RFC 4301 4.4.1: non-initial
 * fragments, protocols without ports). */
#define UIPSEC_PORT_ANY_LO    0
#define UIPSEC_PORT_ANY_HI    0xffff
#define UIPSEC_PORT_OPAQUE_LO 0xffff
#define UIPSEC_PORT_OPAQUE_HI 0

/* One side of a selector: an address range and a port range, as an IKEv2
 * traffic selector (RFC 7296 3.13.1) has them.  Addresses are in network
 * order; IPv4 uses the first 4 bytes and leaves the other 12 zero.  For ICMP
 * and ICMPv6 the "port" is type << 8 | code (RFC 4301 4.4.1.1): a packet
 * matches when its type and code lie in the port ranges of both sides. */
struct uipsec_ts {
    uint8_t lo[16], hi[16];
    uint16_t port_lo, port_hi;
};

/* Local is this side of the IPsec boundary: the source of outbound packets
 * and the destination of inbound ones. */
struct uipsec_selector {
    uint8_t family; /* 4 or 6 */
    uint8_t proto;  /* next layer protocol; 0 = ANY */
    struct uipsec_ts local, remote;
};

enum uipsec_ts_side { UIPSEC_TS_LOCAL, UIPSEC_TS_REMOTE };

/* Parses local_ts and remote_ts in strongSwan's swanctl.conf syntax into
 * *sel: an address ("10.1.2.3"), CIDR subnet ("10.1.0.0/16", "2001:db8::/32"),
 * range ("10.1.0.5-10.1.0.9"), "%any" (0.0.0.0/0) or "%any6" (::/0), then
 * optionally "[proto/port]": proto a name (tcp, udp, icmp, ipv6-icmp, sctp,
 * ...), a number or "any"; port a number, a range "1024-65535", a common
 * service name ("http", "domain", ...), "any" or "opaque".  For ICMP a number
 * below 256 is a type (any code), from 256 up type << 8 | code, as in
 * strongSwan; "T:C" (type and code) is an extension, for the echo-reply
 * codes strongSwan's form cannot write.  A protocol given on one side holds
 * for both; different ones are an error.  Subnets with host bits set are
 * refused rather than masked.  Returns UIPSEC_OK, or UIPSEC_E_PARAM with a
 * message in err that quotes the bad input (err may be NULL). */
__attribute__((warn_unused_result)) UIPSEC_API int
uipsec_selector_parse(struct uipsec_selector *sel, const char *local_ts, const char *remote_ts,
                      char *err, size_t err_len);

/* Writes one side of sel in the syntax above, in canonical form: subnets as
 * CIDR, protocols by name, ports as numbers, the protocol on both sides.
 * Parsing the text gives sel back.  Returns the length of the text, which
 * was truncated if it is len or more (like snprintf). */
UIPSEC_API size_t uipsec_selector_format(const struct uipsec_selector *sel,
                                         enum uipsec_ts_side side, char *buf, size_t len);

enum uipsec_policy_action {
    UIPSEC_POLICY_DISCARD, /* 0: a zeroed action fails closed */
    UIPSEC_POLICY_BYPASS,
    UIPSEC_POLICY_PROTECT,
};

struct uipsec_policy_params {
    enum uipsec_dir dir; /* which lookups see it: outbound or inbound */
    uint32_t priority;   /* lower is tried first; ties in order of addition */
    struct uipsec_selector sel;
    enum uipsec_policy_action action;
    void *ctx;            /* PROTECT: the caller's (e.g. its SA bundle); may be NULL */
    struct uipsec_sa *sa; /* PROTECT: optional SA, borrowed; NULL for other actions */
};

/* A committed policy.  Read-only for callers. */
struct uipsec_policy {
    uint64_t id; /* from uipsec_spd_add(); ids are never reused */
    struct uipsec_policy_params params;
};

/* Why the SPD dropped a packet.  The SPD counts each (uipsec_spd_get_stats). */
enum uipsec_spd_drop {
    UIPSEC_SPD_DROP_MALFORMED,         /* IP or transport header truncated or inconsistent */
    UIPSEC_SPD_DROP_NO_POLICY,         /* no policy matched (RFC 4301 5: discard) */
    UIPSEC_SPD_DROP_DISCARD,           /* a DISCARD policy matched */
    UIPSEC_SPD_DROP_CLEAR_FOR_PROTECT, /* arrived in clear but a PROTECT policy matched */
    UIPSEC_SPD_DROP_SELECTOR_MISMATCH, /* decapsulated packet outside its policy's selector */
    UIPSEC_SPD_DROP_COUNT
};

/* Stable short name of a drop reason ("no-policy", ...); "unknown" if out of range. */
UIPSEC_API const char *uipsec_spd_drop_name(int reason);
UIPSEC_API const char *uipsec_policy_action_name(enum uipsec_policy_action action);

struct uipsec_spd_stats {
    uint64_t lookups;    /* packets looked up or checked */
    uint64_t cache_hits; /* lookups the flow cache answered */
    uint64_t drops[UIPSEC_SPD_DROP_COUNT];
};

struct uipsec_policy_stats {
    uint64_t hits;    /* packets this policy was chosen for (or checked against) */
    uint64_t packets; /* of these, let through */
    uint64_t bytes;   /* their IP bytes */
    uint64_t drops;   /* of these, dropped: DISCARD, clear-for-protect, mismatch */
};

struct uipsec_spd;

/* A new empty SPD (every packet is dropped as no-policy); NULL if out of memory. */
UIPSEC_API struct uipsec_spd *uipsec_spd_new(void);
/* Frees the SPD and its policies (not their ctx or sa). */
UIPSEC_API void uipsec_spd_free(struct uipsec_spd *spd);

/* Stages a policy; *id names it.  Returns UIPSEC_OK, UIPSEC_E_PARAM (bad
 * direction, action or selector, or an SA on a non-PROTECT policy) or
 * UIPSEC_E_NOMEM. */
UIPSEC_API int uipsec_spd_add(struct uipsec_spd *spd, const struct uipsec_policy_params *params,
                              uint64_t *id);
/* Stages the removal of a policy; UIPSEC_E_PARAM if there is no such policy
 * or its removal is staged already. */
UIPSEC_API int uipsec_spd_remove(struct uipsec_spd *spd, uint64_t id);
/* Makes the staged policy set live.  Returns UIPSEC_OK, or UIPSEC_E_NOMEM
 * with the live set and the staged changes as they were. */
UIPSEC_API int uipsec_spd_commit(struct uipsec_spd *spd);

/* The live policy with this id, or NULL. */
UIPSEC_API const struct uipsec_policy *uipsec_spd_get(const struct uipsec_spd *spd, uint64_t id);
/* Copies up to max live policies of one direction into out, in the order
 * lookups try them; returns how many there are. */
UIPSEC_API size_t uipsec_spd_list(const struct uipsec_spd *spd, enum uipsec_dir dir,
                                  const struct uipsec_policy **out, size_t max);

/* Outbound (RFC 4301 5.1): each packet (an IP packet, source = local) gets
 * the first matching outbound policy in out[i], whatever its action, or NULL
 * when none matched or the packet is malformed.  Returns how many packets may
 * go on (PROTECT or BYPASS); DISCARD, no-policy and malformed packets are
 * counted as drops.  Byte counters count each buffer's len. */
UIPSEC_API size_t uipsec_spd_lookup_out(struct uipsec_spd *spd, const struct uipsec_buf *bufs,
                                        size_t n, const struct uipsec_policy **out);

/* Inbound packets that arrived in clear (RFC 4301 5.2, destination = local):
 * like uipsec_spd_lookup_out against the inbound policies.  Only BYPASS lets
 * a packet on; a PROTECT match is a clear-for-protect drop. */
UIPSEC_API size_t uipsec_spd_lookup_in(struct uipsec_spd *spd, const struct uipsec_buf *bufs,
                                       size_t n, const struct uipsec_policy **out);

/* Inbound after decapsulation (RFC 4301 5.2 step 4): true if the inner packet
 * pkt[0, len) matches the selector of policy, the inbound PROTECT policy its
 * SA belongs to; otherwise the packet is to be dropped and is counted as a
 * selector-mismatch (or malformed).  A policy that is not inbound PROTECT is
 * a caller bug and aborts. */
__attribute__((warn_unused_result)) UIPSEC_API bool
uipsec_spd_check_inbound(struct uipsec_spd *spd, const struct uipsec_policy *policy,
                         const uint8_t *pkt, size_t len);

UIPSEC_API void uipsec_spd_get_stats(const struct uipsec_spd *spd, struct uipsec_spd_stats *stats);
/* A policy's counters.  Cached flows count in their cache entries and these
 * are added up here, so this costs a pass over the flow cache. */
UIPSEC_API void uipsec_policy_get_stats(const struct uipsec_spd *spd,
                                        const struct uipsec_policy *policy,
                                        struct uipsec_policy_stats *stats);

#ifdef __cplusplus
}
#endif
#endif
