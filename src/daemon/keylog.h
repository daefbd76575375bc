/* SPDX-License-Identifier: MIT */
/*
 * Negotiated keys in Wireshark's key tables, so that tshark or Wireshark
 * can decrypt a capture: DIR/ikev2_decryption_table (IKE SAs) and
 * DIR/esp_sa (CHILD_SAs), lines appended in the UAT format those tables
 * use.  Off unless uipsec.wireshark_keys names DIR.  They hold live keys:
 * DIR must belong to root and be writable by nobody else, the files are
 * created 0600 (O_EXCL, never through a link), and a file found there is
 * used only if it is a regular file of root's, mode 0600 or less, with one
 * link; otherwise nothing is written and the refusal is logged.  Suites
 * Wireshark 4.0 cannot decrypt (ChaCha20-Poly1305) are written as comments.
 */
#ifndef UIPSECD_KEYLOG_H
#define UIPSECD_KEYLOG_H

#include <stdbool.h>
#include <stddef.h>

#include "ikesa.h"
#include "privproto.h"
#include "uipsec/uipsec.h"

#define KEYLOG_LINE_MAX (PRIV_KEYLOG_MAX + 1)

/* The line (no newline) for an IKE SA, or for one direction of a CHILD_SA
 * (tunnel_src/dst name the outer addresses): false if there is none.
 * uipsecd's unprivileged child makes lines; its parent writes them. */
bool keylog_ike_line(const struct ike_sa *sa, char *line, size_t len);
bool keylog_esp_line(const struct uipsec_sa_params *p, char *line, size_t len);
/* Appends line and a newline to DIR's file, with the checks above. */
void keylog_append(const char *dir, enum priv_keylog_file file, const char *line);

#endif
