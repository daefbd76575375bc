/* SPDX-License-Identifier: MIT */
/* The drops uipsecd counts outside the engine and the SPD, by reason
 * (struct daemon's drops[], shown by `uipsecctl status`). */
#ifndef UIPSECD_DROPS_H
#define UIPSECD_DROPS_H

enum dd_drop {
    DD_UNKNOWN_SPI,
    DD_IKE_MALFORMED,    /* not an IKEv2 header, or marker missing */
    DD_IKE_UNKNOWN_SPI,  /* no IKE SA with these SPIs */
    DD_IKE_NO_CONN,      /* IKE_SA_INIT from addresses no connection takes */
    DD_IKE_HALF_OPEN,    /* IKE_SA_INIT while too many SAs wait for IKE_AUTH */
    DD_IKE_DROPPED,      /* the IKE SA dropped it (see the log: decode, ICV, state) */
    DD_IKE_BAD_KE,       /* IKE_SA_INIT whose KE value is not of its group: no answer */
    DD_IKE_COOKIE,       /* IKE_SA_INIT without our cookie while under load: answered */
    DD_IKE_INIT_RATE,    /* IKE_SA_INIT beyond its prefix's rate of full answers */
    DD_IKE_EVICTED,      /* half-open SAs evicted for newer ones (not a datagram) */
    DD_IKE_AUTH_BACKOFF, /* IKE_AUTH refused unchecked: failures back off */
    DD_HANDOFF_DROP,     /* queue to the IKE thread full, or a trap packet too large */
    DD_TRAP_PENDING,     /* a trap already holds a packet while IKE negotiates */
    DD_KEEPALIVE,        /* NAT-keepalives: expected, counted */
    DD_TOO_BIG,
    DD_BYPASS_ON_TUN,
    DD_SEND_FAILED,
    DD_TUN_WRITE_FAILED,
    DD_TUN_MALFORMED, /* from the TUN device, not what its virtio_net_hdr says */
    DD_COUNT
};

/* Its name in status output, e.g. "ike-cookie-required". */
const char *dd_drop_name(enum dd_drop d);

#endif
