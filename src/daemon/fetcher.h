/* SPDX-License-Identifier: MIT */
/*
 * The revocation fetcher: a process of its own that fetches CRLs and OCSP
 * answers over HTTP(S) with libcurl for the IKE process, which may open no
 * sockets (sandbox.h).  It runs as uipsecd's unprivileged user with no
 * capabilities and no descriptor but its stream (fetchproto.h); it passes
 * the bytes on without parsing them (the IKE process checks them,
 * revoc.h), so a hostile server meets libcurl's HTTP parser only.
 */
#ifndef UIPSECD_FETCHER_H
#define UIPSECD_FETCHER_H

#include <sys/types.h>

/* Starts the fetcher: a fresh image of uipsecd run with FETCHER_ARG and
 * its end of the stream as FETCHER_FD, so none of the parent's memory
 * (private keys, PSKs) is in it.  Returns its pid, and *fd the IKE
 * process's end (non-blocking); -1 with the reason logged. */
#define FETCHER_ARG "--revocation-fetcher"
#define FETCHER_FD  3
pid_t fetcher_start(int *fd);

/* uipsecd's main when run with FETCHER_ARG: never returns until the
 * stream closes; the exit status. */
int fetcher_main(int fd);

#endif
