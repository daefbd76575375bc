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

#define LOAD_FILE "load-conn" /* the "file" of the messages: element numbers as lines */

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

/* One element into the tree; -1 with err. */
static int take(struct settings_node *root, struct level *lv, unsigned *depth,
                const struct vici_elem *e, unsigned line, char *list, size_t *list_len,
                struct vici_elem *list_start, char *err, size_t err_len)
{
    if (e->name && !printable(e->name, e->name_len)) {
        snprintf(err, err_len, "%s:%u:1: a name holds a byte that is not printable", LOAD_FILE,
                 line);
        return -1;
    }
    if ((e->type == VICI_KEY_VALUE || e->type == VICI_LIST_ITEM) &&
        !printable(e->value, e->value_len)) {
        snprintf(
            err, err_len,
            "%s:%u:1: %.*s: the value is not text (certificate or key data?); uipsecd "
            "takes certificates and keys by file name in its configuration file",
            LOAD_FILE, line, (int)(e->type == VICI_LIST_ITEM ? list_start->name_len : e->name_len),
            e->type == VICI_LIST_ITEM ? (const char *)list_start->name : (const char *)e->name);
        return -1;
    }
    switch (e->type) {
    case VICI_SECTION_START:
        if (!add(root, &lv[*depth], e, NULL, 0, line))
            return -1;
        lv[*depth + 1] = (struct level){lv[*depth].last, NULL};
        ++*depth;
        return 0;
    case VICI_SECTION_END:
        --*depth;
        return 0;
    case VICI_KEY_VALUE:
        if (*depth == 0) {
            snprintf(err, err_len, "%s:%u:1: %.*s: load-conn takes one section per connection",
                     LOAD_FILE, line, (int)e->name_len, (const char *)e->name);
            return -1;
        }
        return add(root, &lv[*depth], e, (const char *)e->value, e->value_len, line) ? 0 : -1;
    case VICI_LIST_START:
        if (*depth == 0) {
            snprintf(err, err_len, "%s:%u:1: %.*s: load-conn takes one section per connection",
                     LOAD_FILE, line, (int)e->name_len, (const char *)e->name);
            return -1;
        }
        *list_start = *e;
        *list_len = 0;
        return 0;
    case VICI_LIST_ITEM:
        if (join(list, VICI_TREE_MAX_LIST, list_len, e))
            return 0;
        snprintf(err, err_len, "%s:%u:1: %.*s: the list is longer than %u KiB", LOAD_FILE, line,
                 (int)list_start->name_len, (const char *)list_start->name,
                 VICI_TREE_MAX_LIST >> 10);
        return -1;
    default: /* the list's end: its key */
        return add(root, &lv[*depth], list_start, list, *list_len, line) ? 0 : -1;
    }
}

struct settings_node *vici_tree(uint8_t *msg, size_t len, char *err, size_t err_len)
{
    struct settings_node *root = settings_new(LOAD_FILE), *conns;
    struct level lv[VICI_MAX_DEPTH + 2];
    struct vici_elem e, start = {0};
    struct vici_reader r;
    unsigned depth = 0, line = 0;
    char *list = malloc(VICI_TREE_MAX_LIST);
    size_t list_len = 0;
    int rc = 0;

    snprintf(err, err_len, "%s: out of memory", LOAD_FILE);
    conns = root && list ? settings_add(root, root, NULL, "connections", 11, NULL, 0, 0, 0) : NULL;
    if (!conns) {
        free(list);
        settings_free(root);
        return NULL;
    }
    lv[0] = (struct level){conns, NULL};
    vici_reader_init(&r, msg, len);
    while (rc == 0 && vici_next(&r, &e, err, err_len) > 0)
        rc = take(root, lv, &depth, &e, ++line, list, &list_len, &start, err, err_len);
    free(list);
    if (rc < 0) {
        settings_free(root);
        return NULL;
    }
    return root;
}
