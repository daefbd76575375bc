/* SPDX-License-Identifier: MIT */
/* Which cleartext-drop elements each SA needs (daemon.h, guard_pair); the
 * elements themselves live in the privileged parent (cleardrop.h). */
#include <stdbool.h>

#include "daemon.h"
#include "guard.h"
#include "pairs.h"
#include "privclient.h"

int guard_pair(struct daemon *d, struct sa_pair *c, bool add)
{
    int rc = 0;

    if (c->guarded == add)
        return 0;
    c->guarded = add;
    if (c->cfg.remote.family && priv_peer(d, &c->cfg.remote, add) < 0)
        rc = -1;
    for (size_t i = 0; i < c->n_in_pol; i++) {
        const struct uipsec_policy *p = c->in_pol[i];

        if (p && p->params.action == UIPSEC_POLICY_PROTECT && priv_drop(d, &p->params.sel, add) < 0)
            rc = -1;
    }
    return rc;
}

int guard_commit(struct daemon *d, int rc)
{
    return priv_drop_commit(d, rc == 0) < 0 ? -1 : 0; /* taken back: < 0 */
}
