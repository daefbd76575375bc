/* SPDX-License-Identifier: MIT */
/* The privileged parent's request protocol (src/daemon/privproto.c): every
 * type round trips; every truncation, extension and out-of-range field of
 * a valid request is refused, for the parent must act only on requests a
 * well-behaved child could have sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "privproto.h"
#include "testutil.h"

static uint8_t octets[300];

/* One valid request of each type. */
static size_t examples(struct priv_req *out)
{
    size_t n = 0;

    memset(out, 0, 9 * sizeof(*out));
    out[n].type = PRIV_ROUTE_ADD;
    out[n].u.route = (struct priv_route){4, 16, {10, 2}};
    n++;
    out[n].type = PRIV_ROUTE_DEL;
    out[n].u.route = (struct priv_route){6, 64, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 7}};
    n++;
    out[n].type = PRIV_SET_MTU;
    out[n].u.mtu = 1400;
    n++;
    out[n].type = PRIV_DROP_ADD;
    out[n].u.sel.family = 4;
    out[n].u.sel.proto = 6;
    out[n].u.sel.local = (struct uipsec_ts){{10, 1, 0, 0}, {10, 1, 255, 255}, 0, 65535};
    out[n].u.sel.remote = (struct uipsec_ts){{10, 2, 0, 0}, {10, 2, 0, 255}, 80, 80};
    n++;
    out[n] = out[n - 1];
    out[n].type = PRIV_DROP_DEL;
    n++;
    out[n].type = PRIV_PEER_ADD;
    out[n].u.peer = (struct uipsec_addr){4, {192, 0, 2, 1}};
    n++;
    out[n].type = PRIV_KEYLOG;
    out[n].u.keylog.file = PRIV_KEYLOG_ESP;
    strcpy(out[n].u.keylog.line, "\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0x01020304\"");
    out[n].u.keylog.len = (uint16_t)strlen(out[n].u.keylog.line);
    n++;
    out[n].type = PRIV_PSK_AUTH;
    out[n].u.auth = (struct priv_auth){3, PRIV_PRF_HMAC_SHA256, sizeof(octets), octets};
    n++;
    for (size_t i = 0; i < n; i++)
        out[i].seq = 1000 + (uint32_t)i;
    return n;
}

static void same(const struct priv_req *a, const struct priv_req *b)
{
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->seq, b->seq);
    if (a->type == PRIV_PSK_AUTH) {
        assert_int_equal(a->u.auth.secret, b->u.auth.secret);
        assert_int_equal(a->u.auth.prf, b->u.auth.prf);
        assert_int_equal(a->u.auth.len, b->u.auth.len);
        assert_memory_equal(a->u.auth.octets, b->u.auth.octets, a->u.auth.len);
    } else if (a->type == PRIV_KEYLOG) {
        assert_int_equal(a->u.keylog.len, b->u.keylog.len);
        assert_string_equal(a->u.keylog.line, b->u.keylog.line);
    } else {
        assert_memory_equal(&a->u, &b->u, sizeof(a->u.sel));
    }
}

static void round_trips(void **state)
{
    struct priv_req ex[9], back;
    uint8_t buf[PRIV_MSG_MAX];
    size_t n = examples(ex);

    (void)state;
    fill(octets, sizeof(octets), 3);
    for (size_t i = 0; i < n; i++) {
        size_t len = priv_req_encode(&ex[i], buf, sizeof(buf));

        assert_true(len > PRIV_HDR_LEN);
        assert_int_equal(get16(buf), ex[i].type);
        assert_int_equal(get16(buf + 2), len - PRIV_HDR_LEN);
        assert_int_equal(priv_req_decode(buf, len, &back), 0);
        same(&ex[i], &back);
        assert_string_not_equal(priv_type_name(ex[i].type), "unknown");
    }
}

static void every_truncation_and_extension_refused(void **state)
{
    struct priv_req ex[9], back;
    uint8_t buf[PRIV_MSG_MAX + 1];
    size_t n = examples(ex);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        size_t len = priv_req_encode(&ex[i], buf, sizeof(buf));

        for (size_t cut = 0; cut < len; cut++) {
            assert_int_equal(priv_req_decode(buf, cut, &back), -1);
            if (cut >= PRIV_HDR_LEN) { /* a consistent header, short body */
                put16(buf + 2, cut - PRIV_HDR_LEN);
                if (ex[i].type != PRIV_KEYLOG && ex[i].type != PRIV_PSK_AUTH)
                    assert_int_equal(priv_req_decode(buf, cut, &back), -1);
                put16(buf + 2, len - PRIV_HDR_LEN);
            }
        }
        buf[len] = 0; /* one byte more than the header says */
        assert_int_equal(priv_req_decode(buf, len + 1, &back), -1);
        put16(buf + 2, len + 1 - PRIV_HDR_LEN); /* and when it says so */
        if (ex[i].type != PRIV_PSK_AUTH && ex[i].type != PRIV_KEYLOG)
            assert_int_equal(priv_req_decode(buf, len + 1, &back), -1);
    }
}

/* Encodes q bypassing the encoder's own check by encoding a valid twin and
 * patching the byte at off. */
static int decode_patched(const struct priv_req *q, size_t off, uint8_t v)
{
    uint8_t buf[PRIV_MSG_MAX];
    struct priv_req back;
    size_t len = priv_req_encode(q, buf, sizeof(buf));

    assert_true(len > off);
    buf[off] = v;
    return priv_req_decode(buf, len, &back);
}

static void fields_out_of_range_refused(void **state)
{
    struct priv_req ex[9];
    const size_t body = PRIV_HDR_LEN;

    (void)state;
    examples(ex);
    assert_int_equal(decode_patched(&ex[0], 1, 0), -1);                     /* type 0 */
    assert_int_equal(decode_patched(&ex[0], 1, PRIV_TYPE_END), -1);         /* unknown type */
    assert_int_equal(decode_patched(&ex[0], body, 5), -1);                  /* family 5 */
    assert_int_equal(decode_patched(&ex[0], body + 1, 33), -1);             /* /33 in IPv4 */
    assert_int_equal(decode_patched(&ex[0], body + 2 + 3, 1), -1);          /* host bit set */
    assert_int_equal(decode_patched(&ex[0], body + 2 + 4, 1), -1);          /* beyond IPv4 */
    assert_int_equal(decode_patched(&ex[1], body + 1, 129), -1);            /* /129 in IPv6 */
    assert_int_equal(decode_patched(&ex[2], body + 1, 0x02), -1);           /* MTU 131,448 */
    assert_int_equal(decode_patched(&ex[2], body + 2, 0x00), -1);           /* MTU 120 */
    assert_int_equal(decode_patched(&ex[3], body + 2, 11), -1);             /* local lo > hi */
    assert_int_equal(decode_patched(&ex[3], body + 2 + 36 + 32, 0x01), -1); /* port lo>hi */
    assert_int_equal(decode_patched(&ex[3], body + 2 + 20, 1), -1);         /* beyond IPv4 hi */
    assert_int_equal(decode_patched(&ex[5], body, 0), -1);                  /* peer family 0 */
    assert_int_equal(decode_patched(&ex[6], body, 2), -1);                  /* key file 2 */
    assert_int_equal(decode_patched(&ex[6], body + 5, '\n'), -1);           /* a second line */
    assert_int_equal(decode_patched(&ex[6], body + 5, 0x1b), -1);           /* ESC */
    assert_int_equal(decode_patched(&ex[6], body + 5, 0x80), -1);           /* not ASCII */
    assert_int_equal(decode_patched(&ex[7], body + 5, 1), -1);              /* PRF 1 (MD5) */
    assert_int_equal(decode_patched(&ex[7], body + 5, 4), -1);              /* PRF 4 (AES) */
}

static void encoder_refuses_what_parent_refuses(void **state)
{
    struct priv_req ex[9], q;
    uint8_t buf[PRIV_MSG_MAX];

    (void)state;
    examples(ex);
    q = ex[6];
    q.u.keylog.len = 0;
    assert_int_equal(priv_req_encode(&q, buf, sizeof(buf)), 0);
    q = ex[7];
    q.u.auth.len = 0;
    assert_int_equal(priv_req_encode(&q, buf, sizeof(buf)), 0);
    q = ex[0];
    assert_int_equal(priv_req_encode(&q, buf, PRIV_HDR_LEN + 3), 0); /* no room */
}

/* Credentials loaded over VICI: their bytes as they are, within the
 * bounds of their type, never empty. */
static void credentials(void **state)
{
    static uint8_t big[PRIV_KEY_MAX + 1];
    struct priv_req q = {.type = PRIV_PSK_ADD, .seq = 9}, back;
    uint8_t buf[PRIV_MSG_MAX];
    size_t len;

    (void)state;
    fill(big, sizeof(big), 5);
    q.u.blob = (struct priv_blob){PRIV_PSK_MAX, big};
    len = priv_req_encode(&q, buf, sizeof(buf));
    assert_int_equal(len, PRIV_HDR_LEN + PRIV_PSK_MAX);
    assert_int_equal(priv_req_decode(buf, len, &back), 0);
    assert_int_equal(back.u.blob.len, PRIV_PSK_MAX);
    assert_memory_equal(back.u.blob.bytes, big, PRIV_PSK_MAX);
    q.u.blob.len = PRIV_PSK_MAX + 1; /* a PSK longer than any configured one */
    assert_int_equal(priv_req_encode(&q, buf, sizeof(buf)), 0);
    q.type = PRIV_KEY_ADD; /* but a key may be that long */
    len = priv_req_encode(&q, buf, sizeof(buf));
    assert_int_equal(priv_req_decode(buf, len, &back), 0);
    assert_int_equal(back.type, PRIV_KEY_ADD);
    put16(buf, PRIV_PSK_ADD); /* the same bytes as a PSK: too long */
    assert_int_equal(priv_req_decode(buf, len, &back), -1);
    q.u.blob.len = PRIV_KEY_MAX + 1;
    assert_int_equal(priv_req_encode(&q, buf, sizeof(buf)), 0);
    q.u.blob.len = 0;
    assert_int_equal(priv_req_encode(&q, buf, sizeof(buf)), 0);
    put16(buf, PRIV_KEY_ADD);
    put16(buf + 2, 0); /* empty */
    assert_int_equal(priv_req_decode(buf, PRIV_HDR_LEN, &back), -1);
}

/* The requests of the split daemon (privsep.c): a commit flag, and three
 * without a body; anything else in their bytes is refused. */
static void commit_count_config(void **state)
{
    struct priv_req q = {.type = PRIV_DROP_COMMIT, .u.commit = 1}, back;
    uint8_t buf[PRIV_MSG_MAX];
    size_t len;

    (void)state;
    len = priv_req_encode(&q, buf, sizeof(buf));
    assert_int_equal(len, PRIV_HDR_LEN + 1);
    assert_int_equal(priv_req_decode(buf, len, &back), 0);
    assert_int_equal(back.u.commit, 1);
    buf[PRIV_HDR_LEN] = 2; /* neither apply nor take back */
    assert_int_equal(priv_req_decode(buf, len, &back), -1);
    q.u.commit = 2;
    assert_int_equal(priv_req_encode(&q, buf, sizeof(buf)), 0);
    for (uint16_t t = PRIV_DROP_COUNT; t <= PRIV_READY; t++) {
        q = (struct priv_req){.type = t};
        len = priv_req_encode(&q, buf, sizeof(buf));
        assert_int_equal(len, PRIV_HDR_LEN);
        assert_int_equal(priv_req_decode(buf, len, &back), 0);
        assert_int_equal(back.type, t);
        buf[3] = 1; /* a body of one byte */
        buf[len] = 0;
        assert_int_equal(priv_req_decode(buf, len + 1, &back), -1);
        assert_string_not_equal(priv_type_name(t), "unknown");
    }
}

static void replies(void **state)
{
    struct priv_reply r = {.seq = 7, .status = -13, .len = 32}, back;
    uint8_t buf[128];
    size_t len;

    (void)state;
    fill(r.data, 32, 9);
    len = priv_reply_encode(&r, buf, sizeof(buf));
    assert_int_equal(len, 10 + 32);
    assert_int_equal(priv_reply_decode(buf, len, &back), 0);
    assert_int_equal(back.seq, 7);
    assert_int_equal(back.status, -13);
    assert_memory_equal(back.data, r.data, 32);
    assert_int_equal(priv_reply_decode(buf, len - 1, &back), -1);
    put16(buf + 8, PRIV_REPLY_DATA + 1);
    assert_int_equal(priv_reply_decode(buf, len, &back), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trips),
        cmocka_unit_test(every_truncation_and_extension_refused),
        cmocka_unit_test(fields_out_of_range_refused),
        cmocka_unit_test(encoder_refuses_what_parent_refuses),
        cmocka_unit_test(commit_count_config),
        cmocka_unit_test(credentials),
        cmocka_unit_test(replies),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
