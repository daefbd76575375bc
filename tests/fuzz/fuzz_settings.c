/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the swanctl.conf syntax layer: settings_parse_text()
 * without a base directory, so includes are refused and no file is touched.
 * Any bytes must give either a well-formed tree or a one-line message with
 * the file, line and column.  A tree's canonical text must parse back to
 * the same canonical text, so the tree is exactly what the text said.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > SETTINGS_MAX_NAME)
        abort();
    for (const char *c = name; *c; c++)
        if (*c <= 0x20 || *c >= 0x7f || strchr("#{}:.,=\"", *c))
            abort();
}

/* Recursion is bounded by the parser's SETTINGS_MAX_DEPTH, checked here too. */
static void check_tree(const struct settings_node *sec, const char *file, unsigned depth)
{
    if (depth > SETTINGS_MAX_DEPTH)
        abort();
    for (const struct settings_node *n = sec->children; n; n = n->next) {
        check_name(n->name);
        if (n->file != file || n->line == 0 || n->col == 0)
            abort();
        if (n->value && n->children)
            abort();
        for (const struct settings_node *sh = n->shadowed; sh; sh = sh->shadowed)
            if (!n->value || !sh->value || strcmp(sh->name, n->name) != 0 || sh->children)
                abort();
        if (!n->value)
            check_tree(n, file, depth + 1);
    }
}

/* "fuzz.conf:LINE:COL: message", one printable line. */
static void check_error(const char *err)
{
    unsigned line, col;
    int end = 0;

    if (!memchr(err, '\0', SETTINGS_ERR_LEN))
        abort();
    if (sscanf(err, "fuzz.conf:%u:%u: %n", &line, &col, &end) != 2 || end == 0 || line == 0 ||
        col == 0 || err[end] == '\0')
        abort();
    for (const char *c = err; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            abort();
}

static void round_trip(const struct settings_node *root)
{
    char err[SETTINGS_ERR_LEN];
    char *text = settings_to_text(root), *again;
    struct settings_node *back;

    if (!text)
        return; /* out of memory */
    back = settings_parse_text(text, strlen(text), "fuzz.conf", NULL, 0, err, sizeof err);
    if (!back) {
        fprintf(stderr, "canonical text refused: %s\n%s", err, text);
        abort();
    }
    again = settings_to_text(back);
    if (again && strcmp(again, text) != 0) {
        fprintf(stderr, "round trip differs:\n%s---\n%s", text, again);
        abort();
    }
    free(again);
    settings_free(back);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes, no NUL, so ASan sees any read past it. */
    char *copy = malloc(size ? size : 1);
    char err[SETTINGS_ERR_LEN];
    struct settings_node *root;

    if (!copy)
        return 0;
    if (size)
        memcpy(copy, data, size);
    root = settings_parse_text(copy, size, "fuzz.conf", NULL, 0, err, sizeof err);
    free(copy);
    if (!root) {
        check_error(err);
        return 0;
    }
    if (root->value || strcmp(root->file, "fuzz.conf") != 0)
        abort();
    check_tree(root, root->file, 0);
    round_trip(root);
    settings_free(root);
    return 0;
}
