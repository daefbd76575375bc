/* SPDX-License-Identifier: MIT */
/*
 * A load-conn message as the settings tree the configuration file would
 * give (vici_load.c): its sections inside a section "connections", each
 * list one key whose value is its items joined by ", ", each element
 * placed at "load-conn:N:1", N its number in the message, for the
 * messages of the configuration code.  Pure, for fuzz_vici.
 */
#include "vici_tree.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct level {
    struct settings_node *sec, *last;
};

static bool printable(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7e)
            return false;
    return true;
}

static bool add(struct settings_node *root, struct level *at, const struct vici_elem *e,
                const char *value, size_t value_len, unsigned line)
{
    struct settings_node *n = settings_add(root, at->sec, at->last, (const char *)e->name,
                                           e->name_len, value, value_len, line, 1);

    if (n)
        at->last = n;
    return n != NULL;
}

/* A list's items joined as the file would write them: "a, b". */
static bool join(char *list, size_t cap, size_t *len, const struct vici_elem *e)
{
    if (*len + 2 + e->value_len >= cap)
        return false;
    if (*len)
        memcpy(list + *len, ", ", 2), *len += 2;
    memcpy(list + *len, e->value, e->value_len);
    *len += e->value_len;
    return true;
}

/* The keys whose values are certificate data, not text. */
static bool blob_key(const uint8_t *name, size_t len)
{
    static const char *const keys[] = {"certs", "cacerts", "pubkeys", "cacert"};

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (len == strlen(keys[i]) && !memcmp(name, keys[i], len))
            return true;
    return false;
}

struct walk {
    struct settings_node *root;
    struct level *lv;
    unsigned depth, line;
    char *list;
    size_t list_len;
    struct vici_elem list_start;
    const struct vici_blobs *blobs;
    const char *file, *what; /* "load-conn", "connection": for messages */
    char ref[16];            /* "#N" for the last certificate's data */
    char *err;
    size_t err_len;
};

/* A value checked, or certificate data replaced by its "#N": 0, or -1. */
static int value_of(struct walk *w, struct vici_elem *e)
{
    const struct vici_elem *key = e->type == VICI_LIST_ITEM ? &w->list_start : e;
    int i;

    if (w->blobs && blob_key(key->name, key->name_len)) {
        char name[16];

        snprintf(name, sizeof name, "%.*s", (int)key->name_len, (const char *)key->name);
        if ((i = w->blobs->add(w->blobs->arg, name, e->value, e->value_len, w->err, w->err_len)) <
            0)
            return -1;
        snprintf(w->ref, sizeof w->ref, "#%d", i);
        e->value = (const uint8_t *)w->ref;
        e->value_len = strlen(w->ref);
        return 0;
    }
    if (printable(e->value, e->value_len))
        return 0;
    snprintf(w->err, w->err_len,
             "%s:%u:1: %.*s: the value is not text (certificate or key data?); uipsecd "
             "takes certificates and keys by file name in its configuration file",
             w->file, w->line, (int)key->name_len, (const char *)key->name);
    return -1;
}

/* One element into the tree; -1 with err. */
static int take(struct walk *w, struct vici_elem *e)
{
    struct level *lv = w->lv;
    unsigned *depth = &w->depth, line = w->line;
    char *err = w->err;
    size_t err_len = w->err_len;

    if (e->name && !printable(e->name, e->name_len)) {
        snprintf(err, err_len, "%s:%u:1: a name holds a byte that is not printable", w->file, line);
        return -1;
    }
    if ((e->type == VICI_KEY_VALUE || e->type == VICI_LIST_ITEM) && value_of(w, e) < 0)
        return -1;
    switch (e->type) {
    case VICI_SECTION_START:
        if (!add(w->root, &lv[*depth], e, NULL, 0, line))
            return -1;
        lv[*depth + 1] = (struct level){lv[*depth].last, NULL};
        ++*depth;
        return 0;
    case VICI_SECTION_END:
        --*depth;
        return 0;
    case VICI_KEY_VALUE:
        if (*depth == 0) {
            snprintf(err, err_len, "%s:%u:1: %.*s: %s takes one section per %s", w->file, line,
                     (int)e->name_len, (const char *)e->name, w->file, w->what);
            return -1;
        }
        return add(w->root, &lv[*depth], e, (const char *)e->value, e->value_len, line) ? 0 : -1;
    case VICI_LIST_START:
        if (*depth == 0) {
            snprintf(err, err_len, "%s:%u:1: %.*s: %s takes one section per %s", w->file, line,
                     (int)e->name_len, (const char *)e->name, w->file, w->what);
            return -1;
        }
        w->list_start = *e;
        w->list_len = 0;
        return 0;
    case VICI_LIST_ITEM:
        if (join(w->list, VICI_TREE_MAX_LIST, &w->list_len, e))
            return 0;
        snprintf(err, err_len, "%s:%u:1: %.*s: the list is longer than %u KiB", w->file, line,
                 (int)w->list_start.name_len, (const char *)w->list_start.name,
                 VICI_TREE_MAX_LIST >> 10);
        return -1;
    default: /* the list's end: its key */
        return add(w->root, &lv[*depth], &w->list_start, w->list, w->list_len, line) ? 0 : -1;
    }
}

struct settings_node *vici_tree(uint8_t *msg, size_t len, const char *top,
                                const struct vici_blobs *blobs, char *err, size_t err_len)
{
    struct level lv[VICI_MAX_DEPTH + 2];
    bool conns = !strcmp(top, "connections");
    struct walk w = {.root = settings_new(conns ? "load-conn" : "load-authority"),
                     .lv = lv,
                     .blobs = blobs,
                     .file = conns ? "load-conn" : "load-authority",
                     .what = conns ? "connection" : "authority",
                     .err = err,
                     .err_len = err_len};
    struct settings_node *sec;
    struct vici_elem e;
    struct vici_reader r;
    int rc = 0;

    w.list = malloc(VICI_TREE_MAX_LIST);
    snprintf(err, err_len, "%s: out of memory", w.file);
    sec = w.root && w.list ? settings_add(w.root, w.root, NULL, top, strlen(top), NULL, 0, 0, 0)
                           : NULL;
    if (!sec) {
        free(w.list);
        settings_free(w.root);
        return NULL;
    }
    lv[0] = (struct level){sec, NULL};
    vici_reader_init(&r, msg, len);
    while (rc == 0 && vici_next(&r, &e, err, err_len) > 0) {
        w.line++;
        rc = take(&w, &e);
    }
    free(w.list);
    if (rc < 0) {
        settings_free(w.root);
        return NULL;
    }
    return w.root;
}
