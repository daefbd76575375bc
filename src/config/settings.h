/* SPDX-License-Identifier: MIT */
/*
 * The syntax layer of uipsecd's configuration: strongSwan's settings format
 * (swanctl.conf, strongswan.conf) parsed into a tree of sections and keys.
 * What the sections and keys mean is the interpreter's business; this layer
 * only guarantees that the tree is exactly what the text says, or that the
 * text is refused with "FILE:LINE:COL: what is wrong; what to do".
 *
 * The text is untrusted: sizes, nesting and includes are bounded (limits
 * below), nothing recurses without a bound, and no input can make the
 * parser read outside its buffer.  docs/CONFIGURATION.md, "Syntax",
 * describes the accepted language and where it differs from strongSwan.
 */
#ifndef UIPSEC_SETTINGS_H
#define UIPSEC_SETTINGS_H

#include <stddef.h>

#define SETTINGS_MAX_FILE_SIZE     (1024 * 1024) /* bytes per file or text */
#define SETTINGS_MAX_DEPTH         64            /* sections inside sections */
#define SETTINGS_MAX_INCLUDES      100           /* files included in one parse */
#define SETTINGS_MAX_INCLUDE_DEPTH 16            /* files including files */
#define SETTINGS_MAX_NAME          255           /* bytes in a key or section name */
#define SETTINGS_ERR_LEN           512           /* enough for any message */

/* Flag of settings_parse_file()/settings_parse_text(): every file read (the file
 * itself and every included file) must pass settings_check_private().  The check
 * is made on the open descriptor, so it holds for the bytes actually read. */
#define SETTINGS_PRIVATE 1u

/*
 * One key or section.  Children are in file order (a section's position is
 * where it was first opened; sections of the same name are merged into it).
 * All strings and nodes belong to the tree and live until settings_free().
 */
struct settings_node {
    char *name;                     /* key or section name; "" for the root */
    char *value;                    /* NULL for a section; "" for "key =" */
    struct settings_node *children; /* sections: first child, in file order */
    struct settings_node *next;     /* next sibling */
    const char *file;               /* owned by the tree (interned) */
    unsigned line, col;             /* 1-based position of the name; 0 for the root */
    /* Keys only: the earlier definition this one replaced in the same
     * section (later wins, as in strongSwan), whose own shadowed goes further
     * back; NULL if the key was set once.  Lets the interpreter warn. */
    struct settings_node *shadowed;
};

/* Parses the file at path and the files it includes.  Returns the root (a
 * section named "" holding the top-level entries), to be freed with
 * settings_free().  On error returns NULL and writes a one-line message
 * "FILE:LINE:COL: what is wrong; what to do" into err (err_len bytes,
 * SETTINGS_ERR_LEN is enough).  flags: 0 or SETTINGS_PRIVATE. */
__attribute__((warn_unused_result)) struct settings_node *
settings_parse_file(const char *path, unsigned flags, char *err, size_t err_len);

/* Parses len bytes of text (no NUL needed); name is the file name used in
 * positions and messages.  With base_dir NULL an include is an error (no
 * file is touched: this is what the fuzzer runs); otherwise relative
 * includes start at base_dir.  Returns and fails as settings_parse_file(). */
__attribute__((warn_unused_result)) struct settings_node *
settings_parse_text(const char *text, size_t len, const char *name, const char *base_dir,
                    unsigned flags, char *err, size_t err_len);

/* Frees a tree returned by settings_parse_file() or settings_parse_text() (only the
 * root may be passed).  NULL is allowed. */
void settings_free(struct settings_node *root);

/* The child of section called name (a key or a section), or NULL.
 * Borrowed from the tree. */
const struct settings_node *settings_child(const struct settings_node *section, const char *name);

/* Writes "FILE:LINE:COL: " and the formatted message into err, for the
 * interpreter's errors about a node ("FILE: " for the root). */
void settings_node_error(const struct settings_node *n, char *err, size_t err_len, const char *fmt,
                         ...) __attribute__((format(printf, 4, 5)));

/* Returns 0 if path is a regular file owned by root or the effective user
 * that group and others can neither read nor write.  Otherwise returns -1
 * and writes why and the command that fixes it (chmod 600, chown) into err. */
__attribute__((warn_unused_result)) int settings_check_private(const char *path, char *err,
                                                               size_t err_len);

/* The tree as canonical settings text that parses back to the same tree
 * (final values only, sections merged, 4-space indents, values quoted only
 * when needed).  Returns a malloc'd string the caller frees, or NULL when
 * out of memory.  For tests, the fuzzer's round trip and diagnostics. */
__attribute__((warn_unused_result)) char *settings_to_text(const struct settings_node *root);

/* A tree built by a program rather than parsed (VICI's load-conn): an
 * empty root whose nodes say they come from file.  settings_free frees
 * it.  NULL when out of memory. */
__attribute__((warn_unused_result)) struct settings_node *settings_new(const char *file);
/* Adds a child to section of the tree root (from settings_new): a section
 * when value is NULL, else a key whose value is value[0, value_len), after
 * the section's child after (NULL: first).  line and col place it in the
 * messages about it.  NULL when out of memory. */
__attribute__((warn_unused_result)) struct settings_node *
settings_add(struct settings_node *root, struct settings_node *section, struct settings_node *after,
             const char *name, size_t name_len, const char *value, size_t value_len, unsigned line,
             unsigned col);

#endif
