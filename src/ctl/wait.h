/* SPDX-License-Identifier: MIT */
/*
 * Waiting for a DELETE: uipsecd answers terminate at once and deletes
 * afterwards, so uipsecctl asks list-sas until the SAs are gone.
 */
#ifndef UIPSECCTL_WAIT_H
#define UIPSECCTL_WAIT_H

#include <stdbool.h>
#include <stddef.h>

#define CTL_POLL_MS 200 /* between two list-sas */

enum gone {
    GONE_YES,     /* none left */
    GONE_TIME_UP, /* some still there at the end; err says which */
    GONE_REFUSED, /* list-sas refused: err is the daemon's message */
    GONE_FAILED,  /* list-sas failed: err says why */
};

/*
 * Asks list-sas every CTL_POLL_MS until none of the IKE SAs named name (ike)
 * or CHILD_SAs named name (!ike) of the first answer is listed any more, for
 * at most timeout_ms.  Only those of the first answer count: an SA that comes
 * up again meanwhile (start_action, the peer initiating) does not hold it up.
 * err (CTL_ERR_LEN bytes) as for ctl_call().
 */
enum gone ctl_wait_gone(const char *path, bool ike, const char *name, int timeout_ms, char *err,
                        size_t err_len);

#endif
