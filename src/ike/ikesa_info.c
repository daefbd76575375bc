/* SPDX-License-Identifier: MIT */
/* INFORMATIONAL exchanges (RFC 7296 1.4, 2.4): DELETE of CHILD_SAs and of
 * the IKE SA, liveness checks, error notifies; and the work an SA does as
 * the initiator of exchanges: the task queue (window 1, 2.3) and
 * retransmission with exponential backoff (2.1). */
#include "ikesa_int.h"

#include <stdlib.h>
#include <string.h>

bool ike_sa_behind_nat(const struct ike_sa *sa)
{
    return sa->nat_local || sa->nat_remote || sa->cfg->force_encap;
}

int ike_sa_queue(struct ike_sa *sa, enum ike_task_kind kind, uint32_t arg)
{
    if (sa->ntasks == IKE_MAX_TASKS)
        return UIPSEC_E_NO_ROOM;
    sa->tasks[sa->ntasks++] = (struct ike_task){kind, arg};
    ike_sa_run_tasks(sa);
    return UIPSEC_OK;
}

int ike_sa_queue_front(struct ike_sa *sa, enum ike_task_kind kind, uint32_t arg)
{
    if (sa->ntasks == IKE_MAX_TASKS)
        return UIPSEC_E_NO_ROOM;
    memmove(sa->tasks + 1, sa->tasks, sa->ntasks * sizeof sa->tasks[0]);
    sa->tasks[0] = (struct ike_task){kind, arg};
    sa->ntasks++;
    ike_sa_run_tasks(sa);
    return UIPSEC_OK;
}

static struct ike_child_ref *find_child(struct ike_sa *sa, uint32_t spi, bool in)
{
    for (size_t i = 0; i < sa->nchildren; i++)
        if ((in ? sa->children[i].spi_in : sa->children[i].spi_out) == spi)
            return &sa->children[i];
    return NULL;
}

/* Forgets a child and tells the caller. */
static void child_gone(struct ike_sa *sa, struct ike_child_ref *c)
{
    struct ike_child_ref gone = *c;

    *c = sa->children[--sa->nchildren];
    sa->env->child_sa_down(sa->env->arg, gone.spi_in, gone.spi_out);
}

static int send_info(struct ike_sa *sa, bool response, uint32_t msg_id,
                     const struct ike_payload *pl, size_t n)
{
    return ike_sa_send_sk(sa, IKE_EXCH_INFORMATIONAL, response, msg_id, pl, n);
}

static int delete_pl_send(struct ike_sa *sa, bool response, uint32_t msg_id, uint8_t proto,
                          const uint32_t *spis, uint16_t nspis)
{
    struct ike_payload d = {.type = IKE_PL_DELETE,
                            .u.del = {.protocol = proto, .nspis = nspis, .spis = spis}};

    return send_info(sa, response, msg_id, &d, 1);
}

static int run_one(struct ike_sa *sa, struct ike_task t)
{
    struct ike_child_ref *c;
    uint32_t spi;

    switch (t.kind) {
    case IKE_TASK_CHILD:
        if (t.arg >= sa->cfg->nchildren)
            return UIPSEC_E_PARAM;
        return ike_sa_send_child_request(sa, t.arg);
    case IKE_TASK_DELETE_CHILD:
        if (!(c = find_child(sa, t.arg, true)))
            return UIPSEC_E_PARAM; /* already gone */
        /* the SA stays until the answer: packets the peer sent before it
         * saw our DELETE still arrive (a rekey loses none) */
        spi = c->spi_in;
        return delete_pl_send(sa, false, sa->msg_id_send, IKE_PROTO_ESP, &spi, 1);
    case IKE_TASK_DELETE_IKE:
        sa->state = IKE_SA_DELETING;
        if (delete_pl_send(sa, false, sa->msg_id_send, IKE_PROTO_IKE, NULL, 0) == UIPSEC_OK)
            return UIPSEC_OK;
        sa->state = IKE_SA_DELETED; /* nothing will answer: gone at once */
        return UIPSEC_E_NOMEM;
    case IKE_TASK_DELETE_REFUSED:
        spi = t.arg;
        return delete_pl_send(sa, false, sa->msg_id_send, IKE_PROTO_ESP, &spi, 1);
    case IKE_TASK_LIVENESS:
        return send_info(sa, false, sa->msg_id_send, NULL, 0);
    case IKE_TASK_REKEY_CHILD:
        if (!(c = find_child(sa, t.arg, true)) || c->rekeyed)
            return UIPSEC_E_PARAM; /* gone, or the peer rekeyed it first */
        sa->rekey_spi = c->spi_in;
        return ike_sa_send_child_request(sa, c->cfg);
    case IKE_TASK_REKEY_IKE:
        return sa->env->ike_sa_rekeyed ? ike_sa_send_rekey_request(sa) : UIPSEC_E_PARAM;
    }
    return UIPSEC_E_PARAM;
}

void ike_sa_run_tasks(struct ike_sa *sa)
{
    if (sa->in_receive) /* a handler's state is still in use: after it */
        return;
    while (sa->state == IKE_SA_ESTABLISHED && !sa->rekeyed && !sa->req_pending && sa->ntasks) {
        struct ike_task t = sa->tasks[0];

        memmove(sa->tasks, sa->tasks + 1, --sa->ntasks * sizeof t);
        sa->req_task = t;
        if (run_one(sa, t) == UIPSEC_OK)
            continue;
        sa->rekey_spi = 0;
        if (t.kind == IKE_TASK_CHILD && sa->env->child_failed)
            sa->env->child_failed(sa->env->arg, t.arg, 0);
    }
}

void ike_sa_tick(struct ike_sa *sa)
{
    uint64_t now = ike_sa_now(sa);

    if (sa->state == IKE_SA_FAILED || sa->state == IKE_SA_DELETED)
        return;
    ike_frag_tick(sa);
    if (sa->state == IKE_SA_INIT_DONE && now - sa->created > IKE_HALF_OPEN_MS) {
        ike_sa_fail(sa, 0, "half-open: IKE_AUTH never came");
        return;
    }
    if (sa->rekeyed && sa->state == IKE_SA_ESTABLISHED && now - sa->rekeyed_at > IKE_HALF_OPEN_MS) {
        sa->state = IKE_SA_DELETED; /* the peer never deleted the old SA */
        return;
    }
    if (!sa->req_pending || now < sa->req_deadline)
        return;
    if (sa->req_tries >= IKE_RETRANSMIT_TRIES) {
        if (sa->state == IKE_SA_DELETING) {
            sa->state = IKE_SA_DELETED; /* the peer is gone: so is the SA */
            return;
        }
        if (sa->state == IKE_SA_INIT_SENT && sa->fail_reason) {
            /* only unusable answers came: the last one's error (2.21.1) */
            ike_sa_fail(sa, sa->fail_notify, sa->fail_reason);
            return;
        }
        ike_sa_fail(sa, 0, "the peer does not answer");
        return;
    }
    sa->req_tries++;
    sa->req_deadline = now + ((uint64_t)IKE_RETRANSMIT_MS << sa->req_tries);
    ike_sa_log(sa->env, "retransmitting request %u (%u of %u)", sa->msg_id_send, sa->req_tries,
               IKE_RETRANSMIT_TRIES);
    ike_sa_send_kept(sa, sa->req, sa->req_len);
}

/* ---- responder ---- */

/* DELETE payloads: the IKE SA (true), or CHILD_SAs whose inbound SPIs go
 * into ours for the answer (1.4.1). */
static bool take_deletes(struct ike_sa *sa, const struct ike_msg *msg, uint32_t *ours, uint16_t *n)
{
    for (size_t i = 0; i < msg->npayloads; i++) {
        const struct ike_payload *p = &msg->payloads[i];

        if (p->skipped || p->type != IKE_PL_DELETE)
            continue;
        if (p->u.del.protocol == IKE_PROTO_IKE)
            return true;
        for (size_t k = 0; k < p->u.del.nspis && p->u.del.protocol == IKE_PROTO_ESP; k++) {
            struct ike_child_ref *c = find_child(sa, p->u.del.spis[k], false);
            bool ours_too = sa->req_pending && sa->req_task.kind == IKE_TASK_DELETE_CHILD && c &&
                            sa->req_task.arg == c->spi_in;

            if (!c)
                continue;
            /* both sides deleting it at once: not in our answer (1.4.1) */
            if (!ours_too && *n < IKE_MAX_CHILDREN)
                ours[(*n)++] = c->spi_in;
            child_gone(sa, c);
        }
    }
    return false;
}

enum ike_rx ike_sa_info_request(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_msg *msg)
{
    uint32_t ours[IKE_MAX_CHILDREN];
    uint16_t n = 0;
    const struct ike_pl_notify *err;
    bool ike;

    if (!ike_sa_open_sk(sa, buf, len, msg))
        return IKE_RX_DROPPED;
    sa->msg_id_expect++;
    ike = take_deletes(sa, msg, ours, &n);
    err = ike_msg_error(msg);
    if (ike || n == 0) {
        if (send_info(sa, true, sa->msg_id_expect - 1, NULL, 0) != UIPSEC_OK)
            ike_sa_log(sa->env, "cannot answer INFORMATIONAL");
    } else if (delete_pl_send(sa, true, sa->msg_id_expect - 1, IKE_PROTO_ESP, ours, n) !=
               UIPSEC_OK) {
        ike_sa_log(sa->env, "cannot answer DELETE");
    }
    if (ike) {
        ike_sa_log(sa->env, "IKE SA deleted by the peer");
        sa->state = IKE_SA_DELETED;
    } else if (err && err->type == IKE_N_AUTHENTICATION_FAILED) {
        return ike_sa_fail(sa, err->type, "the peer says our AUTH is wrong");
    } else if (err) {
        ike_sa_log(sa->env, "INFORMATIONAL with error notify %s", ike_notify_name(err->type));
    }
    return IKE_RX_OK;
}

/* ---- initiator ---- */

enum ike_rx ike_sa_info_response(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_msg *msg)
{
    if (!ike_sa_open_sk(sa, buf, len, msg))
        return IKE_RX_DROPPED;
    ike_sa_response_done(sa);
    if (sa->req_task.kind == IKE_TASK_DELETE_IKE)
        sa->state = IKE_SA_DELETED;
    if (sa->req_task.kind == IKE_TASK_DELETE_CHILD) {
        struct ike_child_ref *c = find_child(sa, sa->req_task.arg, true);

        if (c) /* unless the peer's own DELETE crossed ours */
            child_gone(sa, c);
    }
    return IKE_RX_OK;
}
