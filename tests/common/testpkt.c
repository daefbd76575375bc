/* SPDX-License-Identifier: MIT */
#include "testpkt.h"

#include <string.h>

void put16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffff);
}

uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

void fill(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 7);
}

void csum4(uint8_t *h)
{
    size_t ihl = (size_t)(h[0] & 15) * 4;
    uint32_t sum = 0;

    put16(h + 10, 0);
    for (size_t i = 0; i < ihl; i += 2)
        sum += get16(h + i);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    put16(h + 10, ~sum & 0xffff);
}

uint32_t inet_sum(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        sum += i & 1 ? p[i] : (uint32_t)p[i] << 8;
    return sum;
}

uint16_t inet_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

bool csum4_ok(const uint8_t *h)
{
    uint8_t copy[60];

    memcpy(copy, h, (size_t)(h[0] & 15) * 4);
    csum4(copy);
    return get16(copy + 10) == get16(h + 10);
}

void ipv4_udp(uint8_t *p, size_t total, const uint8_t src[4], const uint8_t dst[4])
{
    memset(p, 0, 28);
    p[0] = 0x45;
    put16(p + 2, total);
    p[8] = 64;
    p[9] = 17;
    memcpy(p + 12, src, 4);
    memcpy(p + 16, dst, 4);
    csum4(p);
}
