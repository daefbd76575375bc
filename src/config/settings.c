/* SPDX-License-Identifier: MIT */
/*
 * strongSwan settings text (swanctl.conf) to a tree of struct settings_node.
 *
 * A hand-written recursive-descent parser over one reader (struct src):
 * every byte is reached through peek() and step(), which check the length
 * first, so the text needs no NUL and is never read past its end.  The
 * grammar follows strongSwan 5.9's settings_lexer.l and settings_parser.y:
 *
 *   body    := (section | key | include)*      blanks, newlines, # comments between
 *   section := NAME '{' body '}'               NAME '{' may be split over lines
 *   key     := NAME '=' value                  value ends at newline, '#' or '}'
 *   value   := (BARE | "QUOTED")*              parts joined by one space
 *   include := 'include' blank PATTERN         glob, relative to the file's directory
 *
 * Recursion is bounded by SETTINGS_MAX_DEPTH sections and SETTINGS_MAX_INCLUDE_DEPTH
 * files.  The first error stops the parse and frees the partial tree.
 */
#define _POSIX_C_SOURCE 200809L

#include "settings.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <malloc.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define END (-1) /* what peek() returns past the last byte */

/* ---- memory that held configuration text ----
 * Any byte of the text may be a secret (a PSK, a manual SA's key): every
 * block that held some is wiped before it goes back to the allocator, and
 * blocks grow by copy and wipe, for realloc() would leave the old copy. */

static void wipe_free(void *p)
{
    if (p) {
        OPENSSL_cleanse(p, malloc_usable_size(p));
        free(p);
    }
}

/* realloc(p, cap) for a block whose first used bytes matter. */
static void *wipe_grow(void *p, size_t used, size_t cap)
{
    char *np = malloc(cap);

    if (np && p) {
        memcpy(np, p, used < cap ? used : cap);
        wipe_free(p);
    }
    return np;
}

struct settings_str {
    struct settings_str *next;
    char text[];
};

/* The root comes first so that settings_free() can get back to the tree. */
struct settings_tree {
    struct settings_node root;
    struct settings_str *files; /* interned file names */
};

/* (section, name) -> node: merging sections and replacing keys cost O(1)
 * instead of a walk over a section that may hold thousands of entries. */
struct slot {
    const struct settings_node *parent;
    struct settings_node *node;
};

struct parser {
    struct settings_tree *tree;
    struct slot *slots;
    size_t cap, used;
    unsigned flags;
    unsigned files; /* files included so far */
    char *err;
    size_t err_len;
};

/* One text being read, and the chain of files that included it. */
struct src {
    const char *text;
    size_t len, pos;
    unsigned line;
    size_t line_start; /* offset of the current line's first byte */
    const char *name;  /* interned */
    const char *dir;   /* relative includes start here; NULL: refused */
    size_t dir_len;
    const struct src *up; /* the including file */
    unsigned level;       /* include nesting, 0 for the top */
    bool on_disk;         /* dev and ino are set: include loops are caught by them */
    dev_t dev;
    ino_t ino;
};

struct pos {
    unsigned line, col;
};

/* The section whose '}' a body waits for. */
struct open_sec {
    const char *name;
    struct pos at;
};

struct buf {
    char *p;
    size_t len, cap;
};

static char root_name[] = "";

static bool parse_body(struct parser *p, struct src *s, struct settings_node *sec, unsigned depth,
                       const struct open_sec *open);

/* ---- reader ---- */

static int peek(const struct src *s)
{
    return s->pos < s->len ? (unsigned char)s->text[s->pos] : END;
}

static void step(struct src *s)
{
    if (s->pos >= s->len)
        return;
    if (s->text[s->pos] == '\n') {
        s->line++;
        s->line_start = s->pos + 1;
    }
    s->pos++;
}

/* Columns count bytes: a tab is one column, as in most editors' status line. */
static struct pos here(const struct src *s)
{
    return (struct pos){s->line, (unsigned)(s->pos - s->line_start + 1)};
}

/* c is one of the bytes of set (never true for END or NUL). */
static bool is(int c, const char *set)
{
    return c > 0 && strchr(set, c) != NULL;
}

/* ---- messages ---- */

static void vreport(char *err, size_t err_len, const char *file, unsigned line, unsigned col,
                    const char *fmt, va_list ap)
{
    int n;

    if (!err || err_len == 0)
        return;
    if (line)
        n = snprintf(err, err_len, "%s:%u:%u: ", file, line, col);
    else
        n = snprintf(err, err_len, "%s: ", file);
    if (n >= 0 && (size_t)n < err_len)
        vsnprintf(err + n, err_len - (size_t)n, fmt, ap);
    /* Names of files and patterns come from the disk and the text: keep
     * the message one printable line. */
    for (char *c = err; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
}

static void report(char *err, size_t err_len, const char *file, unsigned line, unsigned col,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void report(char *err, size_t err_len, const char *file, unsigned line, unsigned col,
                   const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport(err, err_len, file, line, col, fmt, ap);
    va_end(ap);
}

static bool fail(struct parser *p, const struct src *s, struct pos at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool fail(struct parser *p, const struct src *s, struct pos at, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport(p->err, p->err_len, s->name, at.line, at.col, fmt, ap);
    va_end(ap);
    return false;
}

static bool oom(struct parser *p, const struct src *s)
{
    return fail(p, s, here(s), "out of memory");
}

static bool bad_control(struct parser *p, const struct src *s)
{
    return fail(p, s, here(s), "control character 0x%02x; remove it", peek(s));
}

/* "L:C" of a node in the file s reads, "FILE:L:C" of one elsewhere. */
static const char *where(char *buf, size_t n, const struct src *s, const struct settings_node *node)
{
    if (node->file == s->name)
        snprintf(buf, n, "%u:%u", node->line, node->col);
    else
        snprintf(buf, n, "%s:%u:%u", node->file, node->line, node->col);
    return buf;
}

/* ---- growing strings ---- */

static bool buf_add(struct buf *b, char c)
{
    if (b->len + 1 >= b->cap) { /* keeps room for the NUL */
        size_t cap = b->cap ? b->cap * 2 : 64;
        char *np = wipe_grow(b->p, b->len, cap);

        if (!np)
            return false;
        b->p = np;
        b->cap = cap;
    }
    b->p[b->len++] = c;
    return true;
}

static bool buf_put(struct buf *b, const char *str)
{
    for (; *str; str++)
        if (!buf_add(b, *str))
            return false;
    return true;
}

/* Terminates b and hands its string over (b is then empty); NULL when out
 * of memory, and b still holds what it had. */
static char *buf_take(struct buf *b)
{
    char *str;

    if (!buf_add(b, '\0'))
        return NULL;
    str = b->p;
    *b = (struct buf){0};
    return str;
}

/* ---- the tree ---- */

static const char *intern(struct settings_tree *t, const char *name)
{
    struct settings_str *s;
    size_t n = strlen(name);

    for (s = t->files; s; s = s->next)
        if (strcmp(s->text, name) == 0)
            return s->text;
    s = malloc(sizeof *s + n + 1);
    if (!s)
        return NULL;
    memcpy(s->text, name, n + 1);
    s->next = t->files;
    t->files = s;
    return s->text;
}

static struct settings_node *node_new(char *name, char *value, const char *file, struct pos at)
{
    struct settings_node *n = calloc(1, sizeof *n);

    if (n) {
        n->name = name;
        n->value = value;
        n->file = file;
        n->line = at.line;
        n->col = at.col;
    }
    return n;
}

static void node_free(struct settings_node *n)
{
    wipe_free(n->name);
    wipe_free(n->value);
    wipe_free(n);
}

/* Frees a sibling list and all below it without recursion: a section's
 * children are spliced in after it before it goes. */
static void free_nodes(struct settings_node *n)
{
    while (n) {
        struct settings_node *next, *sh, *up;

        if (n->children) {
            struct settings_node *last = n->children;

            while (last->next)
                last = last->next;
            last->next = n->next;
            n->next = n->children;
        }
        next = n->next;
        for (sh = n->shadowed; sh; sh = up) {
            up = sh->shadowed;
            node_free(sh);
        }
        node_free(n);
        n = next;
    }
}

void settings_free(struct settings_node *root)
{
    struct settings_tree *t = (struct settings_tree *)root;
    struct settings_str *s, *next;

    if (!root)
        return;
    free_nodes(root->children);
    for (s = t->files; s; s = next) {
        next = s->next;
        wipe_free(s);
    }
    wipe_free(t);
}

/* Children were prepended while parsing: put every list in file order.
 * Recursion is bounded by SETTINGS_MAX_DEPTH. */
static void reorder(struct settings_node *sec)
{
    struct settings_node *rev = NULL;

    while (sec->children) {
        struct settings_node *n = sec->children;

        sec->children = n->next;
        n->next = rev;
        rev = n;
        if (!n->value)
            reorder(n);
    }
    sec->children = rev;
}

/* ---- the (section, name) index ---- */

static size_t slot_at(const struct parser *p, const struct settings_node *parent, const char *name)
{
    uint64_t h = 0xcbf29ce484222325u ^ (uint64_t)(uintptr_t)parent; /* FNV-1a */
    size_t i;

    for (const char *c = name; *c; c++) {
        h ^= (unsigned char)*c;
        h *= 0x100000001b3u;
    }
    i = (size_t)h & (p->cap - 1);
    while (p->slots[i].node &&
           (p->slots[i].parent != parent || strcmp(p->slots[i].node->name, name) != 0))
        i = (i + 1) & (p->cap - 1);
    return i;
}

/* Makes room for one more entry, keeping the table at most half full. */
static bool index_reserve(struct parser *p)
{
    struct slot *old = p->slots;
    size_t old_cap = p->cap, cap = p->cap ? p->cap * 2 : 64;

    if ((p->used + 1) * 2 <= p->cap)
        return true;
    p->slots = calloc(cap, sizeof *p->slots);
    if (!p->slots) {
        p->slots = old;
        return false;
    }
    p->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].node)
            p->slots[slot_at(p, old[i].parent, old[i].node->name)] = old[i];
    wipe_free(old);
    return true;
}

static void attach(struct parser *p, struct settings_node *sec, size_t slot,
                   struct settings_node *n)
{
    p->slots[slot] = (struct slot){sec, n};
    p->used++;
    n->next = sec->children; /* reorder() restores file order at the end */
    sec->children = n;
}

/* ---- lexical pieces ---- */

/* Blanks, newlines and comments between statements. */
static void skip_space(struct src *s)
{
    for (;;) {
        int c = peek(s);

        if (c == '#')
            while (peek(s) != END && peek(s) != '\n')
                step(s);
        else if (is(c, " \t\r\n"))
            step(s);
        else
            return;
    }
}

/* Blanks within a line.  '\r' is one, so CRLF files read as LF files
 * (strongSwan ignores it too). */
static void skip_blanks(struct src *s)
{
    while (is(peek(s), " \t\r"))
        step(s);
}

static bool read_escape(struct parser *p, struct src *s, struct buf *b)
{
    struct pos at = here(s);
    int c;
    char out;

    step(s); /* the backslash */
    c = peek(s);
    if (c == '\r' && s->pos + 1 < s->len && s->text[s->pos + 1] == '\n') {
        step(s); /* "\" CR LF continues the line as "\" LF does */
        c = '\n';
    }
    switch (c) {
    case END:
        return true; /* read_quoted() reports the unclosed string */
    case '\n':
        step(s); /* a continued line: both characters vanish */
        return true;
    case 'n':
        out = '\n';
        break;
    case 't':
        out = '\t';
        break;
    case 'r':
        out = '\r';
        break;
    case '"':
    case '\\':
        out = (char)c;
        break;
    default:
        /* strongSwan drops the backslash of any other escape; refusing it
         * catches "C:\data" or "\d" written for a literal backslash. */
        if (c >= 0x20 && c < 0x7f)
            return fail(p, s, at, "unknown escape '\\%c'; write '\\\\' for a backslash", c);
        return fail(p, s, at, "backslash before byte 0x%02x; write '\\\\' for a backslash", c);
    }
    step(s);
    return buf_add(b, out) || oom(p, s);
}

/* A "quoted string", which may span lines. */
static bool read_quoted(struct parser *p, struct src *s, struct buf *b)
{
    struct pos open = here(s);

    step(s);
    for (;;) {
        int c = peek(s);

        if (c == END)
            return fail(p, s, open, "string is not closed; add '\"' at its end");
        if (c == '"') {
            step(s);
            return true;
        }
        if (c == '\\') {
            if (!read_escape(p, s, b))
                return false;
            continue;
        }
        if (c == '\r') { /* as strongSwan: CRLF strings keep only the LF */
            step(s);
            continue;
        }
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
            return bad_control(p, s);
        if (!buf_add(b, (char)c))
            return oom(p, s);
        step(s);
    }
}

/* An unquoted run of a value. */
static bool read_bare(struct parser *p, struct src *s, struct buf *b)
{
    int c;

    while ((c = peek(s)) != END && !is(c, " \t\r\n#}\"")) {
        /* "name = {" is a section written wrongly; strongSwan would take
         * "{" as the value and mis-nest everything after it. */
        if (c == '{')
            return fail(p, s, here(s),
                        "'{' in a value; drop the '=' to open a section, or quote the value");
        if (c < 0x20 || c == 0x7f)
            return bad_control(p, s);
        if (!buf_add(b, (char)c))
            return oom(p, s);
        step(s);
    }
    return true;
}

/* The value after '=': up to the end of the line, a '#' or a '}'. */
static char *read_value(struct parser *p, struct src *s)
{
    struct buf b = {0};
    bool first = true;
    char *value;

    for (;;) {
        int c;

        skip_blanks(s);
        c = peek(s);
        if (c == END || is(c, "\n#}"))
            break;
        /* Parts are joined by one space, as in strongSwan: "a   b" is "a b". */
        if (!first && !buf_add(&b, ' ')) {
            oom(p, s);
            goto fail;
        }
        first = false;
        if (!(c == '"' ? read_quoted(p, s, &b) : read_bare(p, s, &b)))
            goto fail;
    }
    value = buf_take(&b);
    if (value)
        return value;
    oom(p, s);
fail:
    wipe_free(b.p);
    return NULL;
}

/* strongSwan's NAME: printable ASCII but . , : { } = " # (and no blanks). */
static bool name_char(int c)
{
    return c > 0x20 && c < 0x7f && !is(c, "#{}:.,=\"");
}

static bool bad_name_char(struct parser *p, const struct src *s)
{
    int c = peek(s);

    if (c > 0x20 && c < 0x7f)
        return fail(p, s, here(s), "'%c' is not allowed in a name; use '-' or '_' instead", c);
    return fail(p, s, here(s), "byte 0x%02x is not allowed in a name; names are printable ASCII",
                c);
}

/* A key or section name; NULL with the error reported if there is none. */
static char *read_name(struct parser *p, struct src *s)
{
    struct pos at = here(s);
    size_t start = s->pos, n;
    char *name;
    int c;

    while (name_char(peek(s)))
        step(s);
    n = s->pos - start;
    c = peek(s);
    /* A name ends where strongSwan's would, so "a.b" is refused, not read as "a". */
    if (n == 0 || (c != END && !is(c, " \t\r\n#{}=:\""))) {
        bad_name_char(p, s);
        return NULL;
    }
    if (n > SETTINGS_MAX_NAME) {
        fail(p, s, at, "name longer than %d bytes; shorten it", SETTINGS_MAX_NAME);
        return NULL;
    }
    name = malloc(n + 1);
    if (!name) {
        oom(p, s);
        return NULL;
    }
    memcpy(name, s->text + start, n);
    name[n] = '\0';
    return name;
}

/* ---- files ---- */

static bool private_ok(const struct stat *st, const char *path, char *why, size_t n)
{
    unsigned mode = (unsigned)st->st_mode & 07777;
    const char *who, *what;

    if (st->st_uid != 0 && st->st_uid != geteuid()) {
        snprintf(why, n,
                 "owned by uid %u, which is neither root nor uid %u that reads it; run: "
                 "chown root %s",
                 (unsigned)st->st_uid, (unsigned)geteuid(), path);
        return false;
    }
    if (!(mode & 066))
        return true;
    who = (mode & 060) && (mode & 006) ? "group and others" : (mode & 060) ? "group" : "others";
    what = (mode & 044) && (mode & 022) ? "read and write" : (mode & 044) ? "read" : "write";
    snprintf(why, n, "mode %04o lets %s %s it, and it may hold secrets; run: chmod 600 %s", mode,
             who, what, path);
    return false;
}

static const char *too_big(char *why, size_t n)
{
    snprintf(why, n, "larger than %d bytes; split it into files that include each other",
             SETTINGS_MAX_FILE_SIZE);
    return why;
}

/* Opens path if it is a regular file (and private, with SETTINGS_PRIVATE);
 * else -1 and why.  Non-blocking, so a FIFO cannot hang the daemon. */
static int open_file(const char *path, unsigned flags, struct stat *st, char *why, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

    if (fd < 0) {
        snprintf(why, n, "cannot open: %s", strerror(errno));
        return -1;
    }
    if (fstat(fd, st) != 0)
        snprintf(why, n, "cannot stat: %s", strerror(errno));
    else if (!S_ISREG(st->st_mode))
        snprintf(why, n, "not a regular file; give a file, not a directory or device");
    else if (!(flags & SETTINGS_PRIVATE) || private_ok(st, path, why, n))
        return fd;
    close(fd);
    return -1;
}

/* Reads fd to its end.  The file may have grown since fstat(), so the
 * limit is checked on what is read. */
static char *read_all(int fd, size_t hint, size_t *len, char *why, size_t n)
{
    size_t cap = hint + 1, got = 0;
    char *text = malloc(cap);

    while (text) {
        ssize_t r;

        if (got == cap) {
            char *more;

            if (cap > SETTINGS_MAX_FILE_SIZE) {
                too_big(why, n);
                wipe_free(text);
                return NULL;
            }
            cap = cap * 2 > SETTINGS_MAX_FILE_SIZE + 1 ? SETTINGS_MAX_FILE_SIZE + 1 : cap * 2;
            more = wipe_grow(text, got, cap);
            if (!more)
                break;
            text = more;
        }
        r = read(fd, text + got, cap - got);
        if (r == 0) {
            *len = got;
            return text;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(why, n, "cannot read: %s", strerror(errno));
            wipe_free(text);
            return NULL;
        }
        got += (size_t)r;
    }
    snprintf(why, n, "out of memory");
    wipe_free(text);
    return NULL;
}

/* Reads the file at path into a new src; from is the including file (NULL
 * for the top) and at the include's position, for messages. */
static bool load(struct parser *p, const char *path, const struct src *from, struct pos at,
                 struct src *out, char **text)
{
    char why[SETTINGS_ERR_LEN];
    const char *slash, *name = NULL;
    struct stat st;
    size_t len = 0;
    int fd = open_file(path, p->flags, &st, why, sizeof why);

    *text = NULL;
    if (fd >= 0 && st.st_size > SETTINGS_MAX_FILE_SIZE)
        too_big(why, sizeof why);
    else if (fd >= 0)
        *text = read_all(fd, (size_t)st.st_size, &len, why, sizeof why);
    if (fd >= 0)
        close(fd);
    if (*text && !(name = intern(p->tree, path)))
        snprintf(why, sizeof why, "out of memory");
    if (!name) {
        wipe_free(*text);
        *text = NULL;
        if (from)
            return fail(p, from, at, "included file \"%s\": %s", path, why);
        report(p->err, p->err_len, path, 0, 0, "%s", why);
        return false;
    }
    slash = strrchr(name, '/');
    *out = (struct src){.text = *text,
                        .len = len,
                        .line = 1,
                        .name = name,
                        .dir = name,
                        .dir_len = slash ? (size_t)(slash - name) + 1 : 0,
                        .up = from,
                        .level = from ? from->level + 1 : 0,
                        .on_disk = true,
                        .dev = st.st_dev,
                        .ino = st.st_ino};
    return true;
}

/* ---- statements ---- */

/* Parses a whole file or text into sec: a file closes every section it
 * opens, so an included file cannot close its includer's section. */
static bool parse_src(struct parser *p, struct src *s, struct settings_node *sec, unsigned depth)
{
    const char *nul = s->len ? memchr(s->text, '\0', s->len) : NULL;

    if (nul) {
        while (s->pos < (size_t)(nul - s->text))
            step(s);
        return fail(p, s, here(s), "NUL byte; the configuration must be text");
    }
    return parse_body(p, s, sec, depth, NULL);
}

static bool include_file(struct parser *p, const struct src *from, struct settings_node *sec,
                         unsigned depth, struct pos at, const char *path)
{
    struct src s;
    char *text;
    bool ok;

    if (p->files >= SETTINGS_MAX_INCLUDES)
        return fail(p, from, at, "more than %d files included; merge some of them",
                    SETTINGS_MAX_INCLUDES);
    if (from->level >= SETTINGS_MAX_INCLUDE_DEPTH)
        return fail(p, from, at,
                    "includes nested more than %d deep; include the files from "
                    "fewer levels",
                    SETTINGS_MAX_INCLUDE_DEPTH);
    p->files++;
    if (!load(p, path, from, at, &s, &text))
        return false;
    for (const struct src *u = from; u; u = u->up) {
        if (u->on_disk && u->dev == s.dev && u->ino == s.ino) {
            wipe_free(text);
            return fail(p, from, at,
                        "include loop: \"%s\" is already being read; remove this "
                        "include",
                        path);
        }
    }
    ok = parse_src(p, &s, sec, depth);
    wipe_free(text);
    return ok;
}

/* The including file's directory + pattern, with the glob(3) characters of
 * the directory escaped: only the pattern was written as a pattern. */
static char *join_dir(const struct src *s, const char *pattern)
{
    struct buf b = {0};
    bool ok = true;
    char *path;

    if (pattern[0] != '/') {
        for (size_t i = 0; ok && i < s->dir_len; i++) {
            if (is((unsigned char)s->dir[i], "*?[\\"))
                ok = buf_add(&b, '\\');
            ok = ok && buf_add(&b, s->dir[i]);
        }
        if (ok && s->dir_len && s->dir[s->dir_len - 1] != '/')
            ok = buf_add(&b, '/');
    }
    ok = ok && buf_put(&b, pattern);
    path = ok ? buf_take(&b) : NULL;
    if (!path)
        wipe_free(b.p);
    return path;
}

static _Thread_local int glob_errno;

/* A directory that does not exist matches nothing (strongSwan: no error);
 * one that cannot be read stops the include. */
static int glob_error(const char *path, int e)
{
    (void)path;
    if (e == ENOENT || e == ENOTDIR)
        return 0;
    glob_errno = e;
    return 1;
}

static bool include_pattern(struct parser *p, const struct src *s, struct settings_node *sec,
                            unsigned depth, struct pos at, const char *pattern)
{
    char *full = join_dir(s, pattern);
    glob_t g;
    bool ok = true;
    int rc;

    if (!full)
        return oom(p, s);
    memset(&g, 0, sizeof g);
    glob_errno = 0;
    rc = glob(full, 0, glob_error, &g);
    wipe_free(full);
    /* A pattern that matches nothing is fine (strongSwan), but a plain
     * file name that names nothing is a mistake worth stopping for. */
    if (rc == GLOB_NOMATCH && !strpbrk(pattern, "*?["))
        ok = fail(p, s, at,
                  "include \"%s\": no such file; fix the path (relative paths start in "
                  "the including file's directory)",
                  pattern);
    else if (rc == GLOB_ABORTED)
        ok = fail(p, s, at, "include \"%s\": cannot read a directory: %s", pattern,
                  strerror(glob_errno ? glob_errno : EIO));
    else if (rc != 0 && rc != GLOB_NOMATCH)
        ok = oom(p, s);
    for (size_t i = 0; ok && rc == 0 && i < g.gl_pathc; i++)
        ok = include_file(p, s, sec, depth, at, g.gl_pathv[i]);
    globfree(&g);
    return ok;
}

/* An unquoted pattern ends at a blank, '#', '}' or the line's end; "\ ",
 * "\#", "\}" and "\"" stand for the character (strongSwan), any other
 * backslash is kept for glob(3). */
static bool read_pattern(struct parser *p, struct src *s, struct buf *b)
{
    int c;

    while ((c = peek(s)) != END && !is(c, " \t\r\n#}")) {
        if (c == '"')
            return fail(p, s, here(s), "'\"' inside an include pattern; quote the whole pattern");
        if (c < 0x20 || c == 0x7f)
            return bad_control(p, s);
        if (c == '\\' && s->pos + 1 < s->len && is((unsigned char)s->text[s->pos + 1], " #}\""))
            step(s);
        if (!buf_add(b, (char)peek(s)))
            return oom(p, s);
        step(s);
    }
    return true;
}

static bool parse_include(struct parser *p, struct src *s, struct settings_node *sec,
                          unsigned depth)
{
    struct buf b = {0};
    struct pos at;
    char *pattern;
    bool ok;
    int c;

    skip_blanks(s);
    at = here(s);
    ok = peek(s) == '"' ? read_quoted(p, s, &b) : read_pattern(p, s, &b);
    pattern = ok ? buf_take(&b) : NULL;
    if (!pattern) {
        wipe_free(b.p);
        return ok ? oom(p, s) : false;
    }
    skip_blanks(s);
    c = peek(s);
    if (c != END && !is(c, "\n#}"))
        ok = fail(p, s, here(s),
                  "text after the include pattern; quote a pattern that "
                  "contains blanks");
    else if (pattern[0] == '\0')
        ok = fail(p, s, at, "include needs a file name or pattern");
    else if (!s->dir)
        ok = fail(p, s, at,
                  "include is not allowed in text parsed without a base directory; "
                  "give the configuration as a file");
    else
        ok = include_pattern(p, s, sec, depth, at, pattern);
    wipe_free(pattern);
    return ok;
}

/* Is the name just read the keyword of "include PATTERN"?  As in
 * strongSwan only if a blank and then anything but '=' follows, so a key
 * may still be called include; "include {" opens a section, too. */
static int include_ahead(const struct src *s, const char *name)
{
    size_t i = s->pos;

    if (strcmp(name, "include") != 0 || i >= s->len || !is((unsigned char)s->text[i], " \t"))
        return 0;
    while (i < s->len && is((unsigned char)s->text[i], " \t\r"))
        i++;
    if (i == s->len || is((unsigned char)s->text[i], "\n#}"))
        return -1; /* an include without a pattern */
    return is((unsigned char)s->text[i], "={") ? 0 : 1;
}

/* name = value into sec; a key set before keeps its place in file order
 * (as in strongSwan) with the new value, and its old value is shadowed. */
static bool set_key(struct parser *p, const struct src *s, struct settings_node *sec, char *name,
                    char *value, struct pos at)
{
    struct settings_node *old, *prev;
    char other[SETTINGS_ERR_LEN];
    size_t i;

    if (!index_reserve(p))
        return oom(p, s);
    i = slot_at(p, sec, name);
    old = p->slots[i].node;
    if (!old) {
        struct settings_node *n = node_new(name, value, s->name, at);

        if (!n)
            return oom(p, s);
        attach(p, sec, i, n);
        return true;
    }
    if (!old->value)
        return fail(p, s, at,
                    "\"%s\" is already a section (opened at %s); rename the key or "
                    "the section",
                    name, where(other, sizeof other, s, old));
    prev = node_new(old->name, old->value, old->file, (struct pos){old->line, old->col});
    if (!prev)
        return oom(p, s);
    prev->shadowed = old->shadowed;
    old->shadowed = prev;
    old->name = name;
    old->value = value;
    old->file = s->name;
    old->line = at.line;
    old->col = at.col;
    return true;
}

static bool parse_key(struct parser *p, struct src *s, struct settings_node *sec, char *name,
                      struct pos at)
{
    char *value;

    step(s); /* '=' */
    value = read_value(p, s);
    if (value && set_key(p, s, sec, name, value, at))
        return true;
    wipe_free(name);
    wipe_free(value);
    return false;
}

/* Opens section name (owned) in sec, or reopens it: same-named sections
 * are merged, as strongSwan merges them. */
static bool parse_section(struct parser *p, struct src *s, struct settings_node *sec, char *name,
                          struct pos at, unsigned depth)
{
    struct settings_node *node;
    struct open_sec open;
    char other[SETTINGS_ERR_LEN];
    size_t i;

    if (depth >= SETTINGS_MAX_DEPTH) {
        wipe_free(name);
        return fail(p, s, at, "sections nested more than %d deep; flatten the configuration",
                    SETTINGS_MAX_DEPTH);
    }
    if (!index_reserve(p)) {
        wipe_free(name);
        return oom(p, s);
    }
    i = slot_at(p, sec, name);
    node = p->slots[i].node;
    if (node && node->value) {
        fail(p, s, at, "\"%s\" is already a key (at %s); rename the key or the section", name,
             where(other, sizeof other, s, node));
        wipe_free(name);
        return false;
    }
    if (node) {
        wipe_free(name);
    } else if ((node = node_new(name, NULL, s->name, at))) {
        attach(p, sec, i, node);
    } else {
        wipe_free(name);
        return oom(p, s);
    }
    step(s); /* '{' */
    open = (struct open_sec){node->name, at};
    return parse_body(p, s, node, depth + 1, &open);
}

static bool parse_statement(struct parser *p, struct src *s, struct settings_node *sec,
                            unsigned depth)
{
    struct pos at = here(s);
    char *name;
    int inc;

    switch (peek(s)) {
    case '{':
        return fail(p, s, at, "unexpected '{'; a section needs a name: NAME {");
    case '=':
        return fail(p, s, at, "unexpected '='; a key needs a name: NAME = VALUE");
    case '"':
        return fail(p, s, at, "unexpected '\"'; only values can be quoted");
    }
    if (!(name = read_name(p, s)))
        return false;
    inc = include_ahead(s, name);
    if (inc) {
        wipe_free(name);
        return inc > 0 ? parse_include(p, s, sec, depth)
                       : fail(p, s, at, "include needs a file name or pattern");
    }
    skip_space(s);
    switch (peek(s)) {
    case '{':
        return parse_section(p, s, sec, name, at, depth);
    case '=':
        return parse_key(p, s, sec, name, at);
    case ':':
        fail(p, s, here(s),
             "\"%s : ...\" (a section that inherits from others) is not "
             "supported; copy the inherited settings into \"%s\"",
             name, name);
        break;
    default:
        fail(p, s, at,
             "expected '=' or '{' after \"%s\"; write \"%s = VALUE\" for a key or "
             "\"%s {\" for a section",
             name, name, name);
    }
    wipe_free(name);
    return false;
}

static bool parse_body(struct parser *p, struct src *s, struct settings_node *sec, unsigned depth,
                       const struct open_sec *open)
{
    for (;;) {
        int c;

        skip_space(s);
        c = peek(s);
        if (c == END && open)
            return fail(p, s, here(s),
                        "missing '}' for section \"%s\" opened at %u:%u; add "
                        "it where the section ends",
                        open->name, open->at.line, open->at.col);
        if (c == END)
            return true;
        if (c == '}' && !open)
            return fail(p, s, here(s),
                        "unexpected '}': no section is open in this file; "
                        "remove it");
        if (c == '}') {
            step(s);
            return true;
        }
        if (!parse_statement(p, s, sec, depth))
            return false;
    }
}

/* ---- public ---- */

static bool start(struct parser *p, const char *name, unsigned flags, char *err, size_t err_len)
{
    *p = (struct parser){.flags = flags, .err = err, .err_len = err_len};
    if (err && err_len)
        err[0] = '\0';
    p->tree = calloc(1, sizeof *p->tree);
    if (p->tree) {
        p->tree->root.name = root_name;
        p->tree->root.file = intern(p->tree, name);
        if (p->tree->root.file)
            return true;
        wipe_free(p->tree);
    }
    report(err, err_len, name, 0, 0, "out of memory");
    return false;
}

static struct settings_node *finish(struct parser *p, bool ok)
{
    wipe_free(p->slots);
    if (!ok) {
        settings_free(&p->tree->root);
        return NULL;
    }
    reorder(&p->tree->root);
    return &p->tree->root;
}

struct settings_node *settings_parse_file(const char *path, unsigned flags, char *err,
                                          size_t err_len)
{
    struct parser p;
    struct src s;
    char *text;
    bool ok;

    if (!start(&p, path, flags, err, err_len))
        return NULL;
    ok = load(&p, path, NULL, (struct pos){0, 0}, &s, &text) && parse_src(&p, &s, &p.tree->root, 0);
    wipe_free(text);
    return finish(&p, ok);
}

struct settings_node *settings_parse_text(const char *text, size_t len, const char *name,
                                          const char *base_dir, unsigned flags, char *err,
                                          size_t err_len)
{
    char why[SETTINGS_ERR_LEN];
    struct parser p;
    struct src s;

    if (!name)
        name = "-";
    if (len > SETTINGS_MAX_FILE_SIZE) {
        report(err, err_len, name, 0, 0, "%s", too_big(why, sizeof why));
        return NULL;
    }
    if (!start(&p, name, flags, err, err_len))
        return NULL;
    s = (struct src){.text = text ? text : "",
                     .len = text ? len : 0,
                     .line = 1,
                     .name = p.tree->root.file,
                     .dir = base_dir,
                     .dir_len = base_dir ? strlen(base_dir) : 0};
    return finish(&p, parse_src(&p, &s, &p.tree->root, 0));
}

const struct settings_node *settings_child(const struct settings_node *section, const char *name)
{
    if (!section || !name)
        return NULL;
    for (const struct settings_node *n = section->children; n; n = n->next)
        if (strcmp(n->name, name) == 0)
            return n;
    return NULL;
}

void settings_node_error(const struct settings_node *n, char *err, size_t err_len, const char *fmt,
                         ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport(err, err_len, n->file, n->line, n->col, fmt, ap);
    va_end(ap);
}

int settings_check_private(const char *path, char *err, size_t err_len)
{
    char why[SETTINGS_ERR_LEN];
    struct stat st;
    int fd = open_file(path, SETTINGS_PRIVATE, &st, why, sizeof why);

    if (fd < 0) {
        report(err, err_len, path, 0, 0, "%s", why);
        return -1;
    }
    close(fd);
    return 0;
}

/* ---- canonical text ---- */

/* Written bare only if it reads back the same: not empty, single inner
 * blanks, nothing the parser treats specially, printable ASCII. */
static bool bare_ok(const char *v)
{
    if (!v[0] || v[0] == ' ')
        return false;
    for (const char *c = v; *c; c++) {
        unsigned char u = (unsigned char)*c;

        if (u == ' ' && (c[1] == ' ' || c[1] == '\0'))
            return false;
        if (u < 0x20 || u >= 0x7f || is(u, "#{}\"\\"))
            return false;
    }
    return true;
}

static bool put_value(struct buf *b, const char *v)
{
    bool ok;

    if (bare_ok(v))
        return buf_put(b, v);
    ok = buf_add(b, '"');
    for (; ok && *v; v++) {
        const char *esc = *v == '"'    ? "\\\""
                          : *v == '\\' ? "\\\\"
                          : *v == '\n' ? "\\n"
                          : *v == '\t' ? "\\t"
                          : *v == '\r' ? "\\r"
                                       : NULL;

        ok = esc ? buf_put(b, esc) : buf_add(b, *v);
    }
    return ok && buf_add(b, '"');
}

static bool put_indent(struct buf *b, unsigned indent)
{
    for (unsigned i = 0; i < indent; i++)
        if (!buf_put(b, "    "))
            return false;
    return true;
}

/* Recursion is bounded by the tree's depth, at most SETTINGS_MAX_DEPTH. */
static bool put_section(struct buf *b, const struct settings_node *sec, unsigned indent)
{
    for (const struct settings_node *n = sec->children; n; n = n->next) {
        bool ok = put_indent(b, indent) && buf_put(b, n->name);

        if (n->value)
            ok = ok && buf_put(b, " = ") && put_value(b, n->value) && buf_add(b, '\n');
        else
            ok = ok && buf_put(b, " {\n") && put_section(b, n, indent + 1) &&
                 put_indent(b, indent) && buf_put(b, "}\n");
        if (!ok)
            return false;
    }
    return true;
}

char *settings_to_text(const struct settings_node *root)
{
    struct buf b = {0};
    char *text = NULL;

    if (root && put_section(&b, root, 0))
        text = buf_take(&b);
    wipe_free(b.p);
    return text;
}

/* ---- trees built by a program ---- */

struct settings_node *settings_new(const char *file)
{
    struct settings_tree *t = calloc(1, sizeof *t);

    if (!t)
        return NULL;
    t->root.name = root_name;
    t->root.file = intern(t, file);
    if (!t->root.file) {
        wipe_free(t);
        return NULL;
    }
    return &t->root;
}

static char *copy_text(const char *s, size_t n)
{
    char *p = malloc(n + 1);

    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

struct settings_node *settings_add(struct settings_node *root, struct settings_node *section,
                                   struct settings_node *after, const char *name, size_t name_len,
                                   const char *value, size_t value_len, unsigned line, unsigned col)
{
    char *nm = copy_text(name, name_len), *v = value ? copy_text(value, value_len) : NULL;
    struct settings_node *n =
        nm && (v || !value) ? node_new(nm, v, root->file, (struct pos){line, col}) : NULL;

    if (!n) {
        wipe_free(nm);
        wipe_free(v);
        return NULL;
    }
    if (after) {
        n->next = after->next;
        after->next = n;
    } else {
        n->next = section->children;
        section->children = n;
    }
    return n;
}
