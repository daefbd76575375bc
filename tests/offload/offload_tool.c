/* SPDX-License-Identifier: MIT */
/*
 * uipsec-offload-tool: runs the TUN offload code (src/daemon/gso.c) on
 * packets given as hex, for check.py to compare with scapy.  One request
 * per line on stdin:
 *   gso FLAGS GSO_TYPE GSO_SIZE CSUM_START CSUM_OFFSET HEX
 * answered by "bad", or "one HEX" (the packet, checksum completed), or
 * "many" followed by one "seg HEX" per segment; then "end".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gso.h"

#define MAX_PKT 70000

static uint8_t pkt[MAX_PKT], seg[MAX_PKT];
static char line[2 * MAX_PKT + 256];

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    unsigned v;

    while (n < cap && sscanf(s + 2 * n, "%2x", &v) == 1)
        out[n++] = (uint8_t)v;
    return n;
}

static void put_hex(const char *tag, const uint8_t *p, size_t n)
{
    printf("%s ", tag);
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    putchar('\n');
}

static void do_gso(const char *args)
{
    unsigned flags, type, size, start, off;
    int at = 0;
    struct virtio_net_hdr h = {0};
    struct gso g;
    size_t len, n;

    if (sscanf(args, "%u %u %u %u %u %n", &flags, &type, &size, &start, &off, &at) != 5) {
        puts("usage");
        return;
    }
    h.flags = (uint8_t)flags;
    h.gso_type = (uint8_t)type;
    h.gso_size = (uint16_t)size;
    h.csum_start = (uint16_t)start;
    h.csum_offset = (uint16_t)off;
    len = unhex(args + at, pkt, sizeof(pkt));
    switch (gso_start(&g, &h, pkt, len)) {
    case GSO_BAD:
        puts("bad");
        break;
    case GSO_ONE:
        put_hex("one", pkt, len);
        break;
    case GSO_MANY:
        puts("many");
        while ((n = gso_next(&g, seg, sizeof(seg))))
            put_hex("seg", seg, n);
        break;
    }
}

int main(void)
{
    while (fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\n")] = 0;
        if (!strncmp(line, "gso ", 4))
            do_gso(line + 4);
        else
            puts("unknown");
        puts("end");
        fflush(stdout);
    }
    return 0;
}
