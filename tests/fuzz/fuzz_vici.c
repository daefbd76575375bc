/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the VICI codec (src/daemon/vici_msg.c), fed any
 * bytes as one packet, as uipsecd reads it from a client after the
 * transport's length.  A packet is parsed or refused with a printable
 * reason; a message the reader accepts, written again element by element,
 * gives exactly its bytes (so the reader took every byte and invented
 * none); a message it refuses is refused by the walk too; a value found in
 * the root is one the walk met.  A well-formed message also goes the way
 * of load-conn (vici_tree.c): into a settings tree, which uipsecd's
 * connection code reads (names and values no configuration file could
 * hold: dots, braces, spaces in names).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_ike.h"
#include "creds.h"
#include "value.h"
#include "vici_msg.h"
#include "vici_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s)
{
    if (!*s)
        abort();
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            abort();
}

/* Certificate data as uipsecd's VICI store adds it (vici_store.c). */
static int blob(void *arg, const char *key, const uint8_t *p, size_t n, char *err, size_t len)
{
    char why[200];
    int i = creds_add_blob(arg, key, p, n, !strcmp(key, "pubkeys") ? CREDS_PUBKEY : CREDS_CERT, why,
                           sizeof why);

    if (i < 0)
        snprintf(err, len, "%s: %s", key, why);
    return i;
}

static void check_load_conn(uint8_t *msg, size_t len)
{
    struct settings_node *root;
    struct cfg cfg = {0};
    char err[600] = "";
    struct value_err ve = {err, sizeof err};
    struct vici_blobs blobs = {blob, &cfg};

    strcpy(cfg.conf_dir, "/nonexistent");
    if (!(root = vici_tree(msg, len, "connections", &blobs, err, sizeof err))) {
        check_text(err);
        cfg_free(&cfg);
        return;
    }
    cfg.blob_refs = true;
    if (cfg_ike_connections(&ve, settings_child(root, "connections"), &cfg) < 0)
        check_text(err);
    settings_free(root);
    cfg_free(&cfg);
}

static void check_message(uint8_t *msg, size_t len)
{
    struct vici_reader r;
    struct vici_elem e;
    struct vici_buf b;
    char err[200], v[256];
    int rc, check;

    check = vici_msg_check(msg, len, err, sizeof err);
    if (check < 0)
        check_text(err);
    vici_buf_init(&b, 1u << 20);
    vici_begin(&b, VICI_CMD_RESPONSE, "");
    vici_reader_init(&r, msg, len);
    while ((rc = vici_next(&r, &e, err, sizeof err)) > 0) {
        if (r.depth > VICI_MAX_DEPTH ||
            (e.name && (e.name < msg || e.name + e.name_len > msg + len)))
            abort();
        vici_put_elem(&b, &e);
    }
    if (rc != check)
        abort();
    if (rc == 0 && (!vici_end(&b) || b.len != 5 + len || memcmp(b.p + 5, msg, len)))
        abort();
    vici_buf_free(&b);
    if (rc == 0)
        check_load_conn(msg, len);
    if (rc == 0 && vici_find(msg, len, "child", v, sizeof v) &&
        (strlen(v) >= sizeof v || !memmem(msg, len, v, strlen(v))))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    struct vici_packet pk;
    char err[200];

    if (!copy)
        return 0;
    memcpy(copy, data, size);
    if (vici_packet_parse(copy, size, &pk, err, sizeof err) < 0) {
        check_text(err);
    } else {
        if (pk.type >= VICI_PACKET_TYPE_COUNT || pk.msg + pk.msg_len != copy + size)
            abort();
        check_message(pk.msg, pk.msg_len);
    }
    free(copy);
    return 0;
}
