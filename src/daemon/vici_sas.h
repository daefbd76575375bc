/* SPDX-License-Identifier: MIT */
/* VICI's views of the IKE SAs and connections (vici_sas.c). */
#ifndef UIPSECD_VICI_SAS_H
#define UIPSECD_VICI_SAS_H

#include <stdbool.h>

#include "vici_msg.h"

struct daemon;
struct ike_view;
struct ike_sa;
struct sa_pair;
struct cfg_conn;
struct cfg;
struct cfg_authority;

/* One IKE SA as the section charon's list-sa event holds, named by its
 * connection; with its CHILD_SAs (those named child, or numbered child_id,
 * when given) in child-sas if children. */
void vici_ike_sa(struct vici_buf *b, const struct daemon *d, const struct ike_view *v,
                 const char *child, unsigned child_id, bool children);
/* The same, its section left open (for child-sas of an event's making). */
void vici_ike_sa_open(struct vici_buf *b, const struct ike_view *v);
/* One CHILD_SA's section as list-sa's child-sas hold it. */
void vici_child_sa(struct vici_buf *b, const struct sa_pair *c);
/* A trap's policy as charon's list-policy event holds it. */
void vici_policy(struct vici_buf *b, const struct sa_pair *c);
/* An authorities section as charon's list-authority event holds it. */
void vici_authority(struct vici_buf *b, const struct cfg *cfg, const struct cfg_authority *a);
/* One connection as charon's list-conn event holds it. */
void vici_conn(struct vici_buf *b, const struct cfg *cfg, const struct cfg_conn *c);
/* charon's name of an IKE SA's state. */
const char *vici_ike_state(const struct ike_sa *sa);
/* A CHILD_SA's unique id (its uniqueid and reqid). */
unsigned vici_child_id(const struct sa_pair *c);

#endif
