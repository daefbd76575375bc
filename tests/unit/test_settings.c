/* SPDX-License-Identifier: MIT */
/*
 * The swanctl.conf syntax layer (src/config/settings.c): tables of good texts
 * with the tree they give (in settings_to_text()'s canonical form, which must
 * also parse back to itself) and of bad texts with the exact message,
 * line and column; positions, shadowed keys, limits; includes on real
 * files in a temporary directory (relative paths, globs, nesting, loops,
 * counts, privacy); the interop harness's strongSwan configurations.
 * Texts are parsed from heap copies of exactly their length, without a
 * NUL, so that any read past the end trips ASan.
 */
#define _XOPEN_SOURCE 700

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "settings.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define MIB      (1024 * 1024)

/* ---- helpers ---- */

static char err[SETTINGS_ERR_LEN];

/* Parses text[0, len) from a heap copy of exactly len bytes. */
static struct settings_node *parse_len(const char *text, size_t len, const char *base_dir,
                                       unsigned flags)
{
    char *copy = malloc(len ? len : 1);
    struct settings_node *root;

    assert_non_null(copy);
    memcpy(copy, text, len);
    root = settings_parse_text(copy, len, "t.conf", base_dir, flags, err, sizeof err);
    free(copy);
    return root;
}

static struct settings_node *parse(const char *text)
{
    return parse_len(text, strlen(text), NULL, 0);
}

/* The canonical text of a tree, checked to parse back to itself. */
static char *canon(const struct settings_node *root)
{
    char *text = settings_to_text(root), *again;
    struct settings_node *back;

    assert_non_null(text);
    back = parse(text);
    if (!back)
        fail_msg("canonical text does not parse: %s\n%s", err, text);
    again = settings_to_text(back);
    assert_string_equal(again, text);
    free(again);
    settings_free(back);
    return text;
}

static void expect_tree(const char *what, struct settings_node *root, const char *tree)
{
    char *text;

    if (!root)
        fail_msg("%s: refused: %s", what, err);
    text = canon(root);
    if (strcmp(text, tree) != 0)
        fail_msg("%s: tree\n%s\nexpected\n%s", what, text, tree);
    free(text);
    settings_free(root);
}

static void expect_error(const char *what, struct settings_node *root, const char *msg)
{
    if (root) {
        settings_free(root);
        fail_msg("%s: accepted, expected: %s", what, msg);
    }
    if (strcmp(err, msg) != 0)
        fail_msg("%s: message\n  %s\nexpected\n  %s", what, err, msg);
}

/* The value at a dotted path ("connections.net.version"), or NULL. */
static const char *get(const struct settings_node *n, const char *path)
{
    char part[SETTINGS_MAX_NAME + 1];

    while (n && *path) {
        size_t len = strcspn(path, ".");

        assert_true(len < sizeof part);
        memcpy(part, path, len);
        part[len] = '\0';
        n = settings_child(n, part);
        path += len + (path[len] == '.');
    }
    return n ? n->value : NULL;
}

/* The line of text on which needle first appears. */
static unsigned line_of(const char *text, const char *needle)
{
    const char *end = strstr(text, needle);
    unsigned line = 1;

    assert_non_null(end);
    for (; text < end; text++)
        line += *text == '\n';
    return line;
}

static size_t count_children(const struct settings_node *n)
{
    size_t k = 0;

    for (n = n->children; n; n = n->next)
        k++;
    return k;
}

/* ---- good texts ---- */

struct good {
    const char *name, *text, *tree;
};

static const struct good goods[] = {
    {"empty", "", ""},
    {"comments and blank lines", "# a\n\n  \t# b { } = \"\r\n\n", ""},
    {"key", "a = b\n", "a = b\n"},
    {"blanks trimmed, inner runs made one", "  a   =   b \t  c   \n", "a = b c\n"},
    {"no final newline", "a = b", "a = b\n"},
    {"tabs and CRLF", "a\t=\tb\r\nc = d\r\n", "a = b\nc = d\n"},
    {"empty values", "a =\nb = \t# nothing\nc = \"\"\n", "a = \"\"\nb = \"\"\nc = \"\"\n"},
    {"comment after a value", "a = b # c = d\n", "a = b\n"},
    {"'#' in quotes", "a = \"b # c\"\n", "a = \"b # c\"\n"},
    {"escapes", "a = \"q\\\"b\\\\s\\n\\t\\r\"\n", "a = \"q\\\"b\\\\s\\n\\t\\r\"\n"},
    {"string over lines", "a = \"l1\nl2\"\nb = c\n", "a = \"l1\\nl2\"\nb = c\n"},
    {"continued line", "a = \"x\\\ny\"\n", "a = xy\n"},
    {"continued line, CRLF", "a = \"x\\\r\ny\"\r\n", "a = xy\n"},
    {"CR in a string dropped", "a = \"x\r\ny\"", "a = \"x\\ny\"\n"},
    {"parts joined by one space", "a = \"x  y\" z \"\" w\n", "a = \"x  y z  w\"\n"},
    {"quote right after a bare part", "a = x\"y\"\n", "a = x y\n"},
    {"section on one line", "s { a = b }", "s {\n    a = b\n}\n"},
    {"sections on one line", "s { t { } } u { }\n", "s {\n    t {\n    }\n}\nu {\n}\n"},
    {"'{' on a later line", "s # c\n\n{\n a = 1\n}\n", "s {\n    a = 1\n}\n"},
    {"value ends at '}'", "s { a = b c}", "s {\n    a = b c\n}\n"},
    {"statement after '}'", "s { a = b } t = c", "s {\n    a = b\n}\nt = c\n"},
    {"same-named sections merged", "s { a = 1 }\ns { b = 2 }\n", "s {\n    a = 1\n    b = 2\n}\n"},
    {"merged at every level", "s { t { a = 1 } u = 0 }\nv = 9\ns { t { b = 2 } w { } }\n",
     "s {\n    t {\n        a = 1\n        b = 2\n    }\n    u = 0\n    w {\n    }\n}\nv = 9\n"},
    {"later key wins, first place kept", "a = 1\nb = 2\na = 3\n", "a = 3\nb = 2\n"},
    {"name characters", "%any-1_x*!@/+~'\\ = y\n", "%any-1_x*!@/+~'\\ = y\n"},
    {"value characters", "a = b=c,d:e.f/g%[]\\h\n", "a = \"b=c,d:e.f/g%[]\\\\h\"\n"},
    {"one value, not two keys", "x = 1 y = 2\n", "x = 1 y = 2\n"},
    {"UTF-8 value", "a = \xc3\xa9t\xc3\xa9\n", "a = \"\xc3\xa9t\xc3\xa9\"\n"},
    {"'}' in quotes", "s { a = \"}\" }", "s {\n    a = \"}\"\n}\n"},
    {"include as a key and a section", "include = x\nsub {\n include {\n }\n}\nincludes = 1\n",
     "include = x\nsub {\n    include {\n    }\n}\nincludes = 1\n"},
    {"strongswan.conf(5) example",
     "a = b\nsection-one {\n somevalue = asdf\n subsection {\n  othervalue = xxx\n }\n"
     " # yei, a comment\n yetanother = zz\n}\nsection-two {\n x = 12\n}\n",
     "a = b\nsection-one {\n    somevalue = asdf\n    subsection {\n        othervalue = xxx\n"
     "    }\n    yetanother = zz\n}\nsection-two {\n    x = 12\n}\n"},
};

static void test_good(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(goods); i++)
        expect_tree(goods[i].name, parse(goods[i].text), goods[i].tree);
}

/* ---- bad texts ---- */

struct bad {
    const char *name, *text;
    size_t len; /* 0: strlen(text) */
    const char *msg;
};

static const struct bad bads[] = {
    {"'}' with nothing open", "}", 0,
     "t.conf:1:1: unexpected '}': no section is open in this file; remove it"},
    {"one '}' too many", "s {\n  a = 1\n}\n}\n", 0,
     "t.conf:4:1: unexpected '}': no section is open in this file; remove it"},
    {"'}' after a top-level value", "a = 1 }", 0,
     "t.conf:1:7: unexpected '}': no section is open in this file; remove it"},
    {"missing '}'", "s {\n a = 1\n", 0,
     "t.conf:3:1: missing '}' for section \"s\" opened at 1:1; add it where the section ends"},
    {"missing '}' deep down",
     "connections {\n  net {\n    children {\n      net {\n        mode = tunnel\n      }\n"
     "  }\n}\n",
     0,
     "t.conf:9:1: missing '}' for section \"connections\" opened at 1:1; add it where the "
     "section ends"},
    {"'{' without a name", "{ a = 1 }", 0,
     "t.conf:1:1: unexpected '{'; a section needs a name: NAME {"},
    {"'=' without a name", "s {\n  = 1\n}", 0,
     "t.conf:2:3: unexpected '='; a key needs a name: NAME = VALUE"},
    {"quoted name", "\"a\" = b", 0, "t.conf:1:1: unexpected '\"'; only values can be quoted"},
    {"'.' in a name", "a.b = c", 0,
     "t.conf:1:2: '.' is not allowed in a name; use '-' or '_' instead"},
    {"',' in a name", "s {\n\ta,b {\n}}", 0,
     "t.conf:2:3: ',' is not allowed in a name; use '-' or '_' instead"},
    {"UTF-8 name", "\xc3\xa9 = c", 0,
     "t.conf:1:1: byte 0xc3 is not allowed in a name; names are printable ASCII"},
    {"control byte in a name", "ab\x01 = c", 0,
     "t.conf:1:3: byte 0x01 is not allowed in a name; names are printable ASCII"},
    {"name alone on its line", "foo\nbar = 1\n", 0,
     "t.conf:1:1: expected '=' or '{' after \"foo\"; write \"foo = VALUE\" for a key or "
     "\"foo {\" for a section"},
    {"name at the end", "s { foo }", 0,
     "t.conf:1:5: expected '=' or '{' after \"foo\"; write \"foo = VALUE\" for a key or "
     "\"foo {\" for a section"},
    {"section reference", "conn : base {\n}\n", 0,
     "t.conf:1:6: \"conn : ...\" (a section that inherits from others) is not supported; copy "
     "the inherited settings into \"conn\""},
    {"section reference, no blanks", "conn:a,b {}", 0,
     "t.conf:1:5: \"conn : ...\" (a section that inherits from others) is not supported; copy "
     "the inherited settings into \"conn\""},
    {"unclosed string", "a = \"abc\nb = 2\n", 0,
     "t.conf:1:5: string is not closed; add '\"' at its end"},
    {"unclosed string, backslash at the end", "a = \"abc\\", 0,
     "t.conf:1:5: string is not closed; add '\"' at its end"},
    {"unknown escape", "a = \"C:\\data\"", 0,
     "t.conf:1:8: unknown escape '\\d'; write '\\\\' for a backslash"},
    {"escaped control byte", "a = \"\\\x01\"", 0,
     "t.conf:1:6: backslash before byte 0x01; write '\\\\' for a backslash"},
    {"control byte in a value", "a = b\x07g", 0, "t.conf:1:6: control character 0x07; remove it"},
    {"DEL in a value", "a = b\x7f", 0, "t.conf:1:6: control character 0x7f; remove it"},
    {"control byte in a string", "a = \"\x1b\"", 0,
     "t.conf:1:6: control character 0x1b; remove it"},
    {"NUL byte", "a = b\n\0c", 8, "t.conf:2:1: NUL byte; the configuration must be text"},
    {"NUL byte in a comment", "# \0", 3, "t.conf:1:3: NUL byte; the configuration must be text"},
    {"section written as a key", "children = {\n}\n", 0,
     "t.conf:1:12: '{' in a value; drop the '=' to open a section, or quote the value"},
    {"'{' inside a value", "a = x{y", 0,
     "t.conf:1:6: '{' in a value; drop the '=' to open a section, or quote the value"},
    {"section after a key", "a = 1\na {\n}", 0,
     "t.conf:2:1: \"a\" is already a key (at 1:1); rename the key or the section"},
    {"key after a section", "a {\n}\n  a = 1", 0,
     "t.conf:3:3: \"a\" is already a section (opened at 1:1); rename the key or the section"},
    {"include without a base directory", "include x.conf", 0,
     "t.conf:1:9: include is not allowed in text parsed without a base directory; give the "
     "configuration as a file"},
    {"include without a pattern", "include \n", 0,
     "t.conf:1:1: include needs a file name or pattern"},
    {"include with an empty pattern", "include \"\"", 0,
     "t.conf:1:9: include needs a file name or pattern"},
    {"include with two words", "include a b", 0,
     "t.conf:1:11: text after the include pattern; quote a pattern that contains blanks"},
    {"include with a quote inside", "include a\"b\"", 0,
     "t.conf:1:10: '\"' inside an include pattern; quote the whole pattern"},
};

static void test_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(bads); i++) {
        const struct bad *b = &bads[i];

        expect_error(b->name, parse_len(b->text, b->len ? b->len : strlen(b->text), NULL, 0),
                     b->msg);
    }
}

/* ---- the tree itself ---- */

static void test_not_nul_terminated(void **state)
{
    (void)state;
    expect_tree("cut short", parse_len("a = bc", 5, NULL, 0), "a = b\n");
    expect_error("cut in a name", parse_len("abc = d", 2, NULL, 0),
                 "t.conf:1:1: expected '=' or '{' after \"ab\"; write \"ab = VALUE\" for a key or "
                 "\"ab {\" for a section");
}

static void test_positions(void **state)
{
    struct settings_node *root = parse("s {\n\tk = v\r\n  t\n  {\n  }\n}\n");
    const struct settings_node *s, *k, *t;

    (void)state;
    assert_non_null(root);
    s = settings_child(root, "s");
    k = settings_child(s, "k");
    t = settings_child(s, "t");
    assert_non_null(t);
    assert_string_equal(root->name, "");
    assert_null(root->value);
    assert_int_equal(root->line, 0);
    assert_string_equal(root->file, "t.conf");
    assert_ptr_equal(s->file, root->file); /* interned */
    assert_int_equal(s->line, 1);
    assert_int_equal(s->col, 1);
    assert_int_equal(k->line, 2);
    assert_int_equal(k->col, 2); /* a tab is one column */
    assert_string_equal(k->value, "v");
    assert_int_equal(t->line, 3);
    assert_int_equal(t->col, 3);
    assert_null(t->value);
    assert_null(t->children);
    assert_ptr_equal(s->children, k);
    assert_ptr_equal(k->next, t);
    assert_null(t->next);
    assert_null(settings_child(s, "nope"));
    assert_null(settings_child(NULL, "s"));
    settings_free(root);
    settings_free(NULL);
}

static void test_shadowed(void **state)
{
    struct settings_node *root = parse("a = 1\nb = x\ns { a = 9 }\na = 2\n  a = 3\n");
    const struct settings_node *a, *b;

    (void)state;
    assert_non_null(root);
    a = root->children;
    b = a->next;
    assert_string_equal(a->name, "a");
    assert_string_equal(a->value, "3");
    assert_int_equal(a->line, 5);
    assert_int_equal(a->col, 3);
    assert_string_equal(a->shadowed->value, "2");
    assert_int_equal(a->shadowed->line, 4);
    assert_string_equal(a->shadowed->shadowed->value, "1");
    assert_int_equal(a->shadowed->shadowed->line, 1);
    assert_string_equal(a->shadowed->shadowed->name, "a");
    assert_null(a->shadowed->shadowed->shadowed);
    assert_string_equal(b->name, "b");
    assert_null(b->shadowed);
    assert_null(settings_child(settings_child(root, "s"), "a")->shadowed); /* other section */
    settings_free(root);
}

static void test_node_error(void **state)
{
    struct settings_node *root = parse("s {\n  k = v\n}\n");
    char msg[64];

    (void)state;
    assert_non_null(root);
    settings_node_error(settings_child(settings_child(root, "s"), "k"), msg, sizeof msg,
                        "bad value \"%s\"", "v");
    assert_string_equal(msg, "t.conf:2:3: bad value \"v\"");
    settings_node_error(root, msg, sizeof msg, "no %s section", "connections");
    assert_string_equal(msg, "t.conf: no connections section");
    settings_node_error(root, msg, 10, "cut %s", "short");
    assert_string_equal(msg, "t.conf: c");
    settings_free(root);
}

/* ---- limits ---- */

static char *repeat(const char *a, size_t n, const char *b, size_t m)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la * n + lb * m + 1), *p = s;

    assert_non_null(s);
    for (size_t i = 0; i < n; i++, p += la)
        memcpy(p, a, la);
    for (size_t i = 0; i < m; i++, p += lb)
        memcpy(p, b, lb);
    *p = '\0';
    return s;
}

static void test_limits(void **state)
{
    char name[SETTINGS_MAX_NAME + 8];
    struct settings_node *root;
    char *text;

    (void)state;
    text = repeat("a{", SETTINGS_MAX_DEPTH, "}", SETTINGS_MAX_DEPTH);
    root = parse(text);
    assert_non_null(root);
    settings_free(root);
    free(text);
    text = repeat("a{", SETTINGS_MAX_DEPTH + 1, "}", SETTINGS_MAX_DEPTH + 1);
    expect_error("65 levels", parse(text),
                 "t.conf:1:129: sections nested more than 64 deep; flatten the configuration");
    free(text);

    memset(name, 'n', SETTINGS_MAX_NAME);
    strcpy(name + SETTINGS_MAX_NAME, " = 1");
    root = parse(name);
    strcat(name, "\n");
    expect_tree("longest name", root, name);
    memset(name, 'n', SETTINGS_MAX_NAME + 1);
    strcpy(name + SETTINGS_MAX_NAME + 1, " = 1");
    expect_error("name too long", parse(name),
                 "t.conf:1:1: name longer than 255 bytes; shorten it");

    text = malloc(MIB + 1);
    assert_non_null(text);
    memset(text, '#', MIB + 1);
    expect_tree("1 MiB", parse_len(text, MIB, NULL, 0), "");
    expect_error("1 MiB + 1", parse_len(text, MIB + 1, NULL, 0),
                 "t.conf: larger than 1048576 bytes; split it into files that include each "
                 "other");
    free(text);
}

/* Big flat sections, reopened sections and long shadow chains stay linear
 * (the (section, name) index) and are freed without recursion. */
static void test_big(void **state)
{
    enum { KEYS = 40000, REOPEN = 20000, SAME = 20000 };
    size_t cap = KEYS * 24 + REOPEN * 8 + SAME * 12 + 16, len = 0;
    char *text = malloc(cap);
    struct settings_node *root;
    const struct settings_node *s, *k;
    size_t chain = 0;

    (void)state;
    assert_non_null(text);
    len += (size_t)snprintf(text + len, cap - len, "s {\n");
    for (int i = 0; i < KEYS; i++)
        len += (size_t)snprintf(text + len, cap - len, " k%d = %d\n", i, i);
    len += (size_t)snprintf(text + len, cap - len, "}\n");
    for (int i = 0; i < REOPEN; i++)
        len += (size_t)snprintf(text + len, cap - len, "s { }\n");
    for (int i = 0; i < SAME; i++)
        len += (size_t)snprintf(text + len, cap - len, "x = %d\n", i);
    assert_true(len < MIB);
    root = parse_len(text, len, NULL, 0);
    free(text);
    assert_non_null(root);
    s = settings_child(root, "s");
    assert_int_equal(count_children(s), KEYS);
    assert_string_equal(get(root, "s.k39999"), "39999");
    for (k = settings_child(root, "x"); k->shadowed; k = k->shadowed)
        chain++;
    assert_int_equal(chain, SAME - 1);
    assert_string_equal(get(root, "x"), "19999");
    settings_free(root);
}

/* ---- the interop harness's strongSwan configurations ---- */

/* interop/strongswan/conf/right/swanctl.conf, whole. */
static const char right_conf[] =
    "# Right side = RESPONDER role, in namespace ipsec-right.\n"
    "#   outer 192.0.2.2 / 2001:db8::2, protects 10.10.2.0/24 and 2001:db8:2::/64\n"
    "# (comments trimmed)\n"
    "\n"
    "connections {\n"
    "    net {\n"
    "        version = 2\n"
    "        local_addrs = 192.0.2.2\n"
    "        remote_addrs = %any\n"
    "        proposals = aes256gcm16-prfsha256-x25519, aes128gcm16-prfsha256-x25519, "
    "chacha20poly1305-prfsha256-x25519, aes128-sha256-modp2048\n"
    "        encap = yes\n"
    "        rekey_time = 0\n"
    "        dpd_delay = 0\n"
    "        local {\n"
    "            auth = psk\n"
    "            id = right.ipsec.test\n"
    "        }\n"
    "        remote {\n"
    "            auth = psk\n"
    "            id = left.ipsec.test\n"
    "        }\n"
    "        children {\n"
    "            net {\n"
    "                mode = tunnel\n"
    "                local_ts = 10.10.2.0/24\n"
    "                remote_ts = 10.10.1.0/24\n"
    "                esp_proposals = aes256gcm16, aes128gcm16, chacha20poly1305, aes128-sha256\n"
    "                rekey_time = 0\n"
    "            }\n"
    "        }\n"
    "    }\n"
    "\n"
    "    net6 {\n"
    "        version = 2\n"
    "        local_addrs = 2001:db8::2\n"
    "        remote_addrs = %any\n"
    "        proposals = aes256gcm16-prfsha256-x25519, aes128gcm16-prfsha256-x25519, "
    "chacha20poly1305-prfsha256-x25519, aes128-sha256-modp2048\n"
    "        encap = yes\n"
    "        rekey_time = 0\n"
    "        dpd_delay = 0\n"
    "        local {\n"
    "            auth = psk\n"
    "            id = right.ipsec.test\n"
    "        }\n"
    "        remote {\n"
    "            auth = psk\n"
    "            id = left.ipsec.test\n"
    "        }\n"
    "        children {\n"
    "            net6 {\n"
    "                mode = tunnel\n"
    "                local_ts = 2001:db8:2::/64\n"
    "                remote_ts = 2001:db8:1::/64\n"
    "                esp_proposals = aes256gcm16, aes128gcm16, chacha20poly1305, aes128-sha256\n"
    "                rekey_time = 0\n"
    "            }\n"
    "        }\n"
    "    }\n"
    "}\n"
    "\n"
    "secrets {\n"
    "    ike-harness {\n"
    "        id-left = left.ipsec.test\n"
    "        id-right = right.ipsec.test\n"
    "        secret = \"interop-harness-psk-not-secret\"\n"
    "    }\n"
    "}\n";

static void test_strongswan_right(void **state)
{
    struct settings_node *root = parse(right_conf);
    char *text, *want = malloc(sizeof right_conf), *w = want;

    (void)state;
    assert_non_null(root);
    assert_non_null(want);
    /* The file is canonical already but for its comments, blank lines and
     * the quotes of a secret that needs none. */
    for (const char *c = strstr(right_conf, "connections {"); *c; c++)
        if (*c != '"' && !(*c == '\n' && c[1] == '\n'))
            *w++ = *c;
    *w = '\0';
    text = canon(root);
    assert_string_equal(text, want);
    free(want);
    assert_string_equal(get(root, "connections.net.remote_addrs"), "%any");
    assert_string_equal(get(root, "connections.net6.local_addrs"), "2001:db8::2");
    assert_string_equal(get(root, "connections.net.proposals"),
                        "aes256gcm16-prfsha256-x25519, aes128gcm16-prfsha256-x25519, "
                        "chacha20poly1305-prfsha256-x25519, aes128-sha256-modp2048");
    assert_string_equal(get(root, "connections.net6.children.net6.esp_proposals"),
                        "aes256gcm16, aes128gcm16, chacha20poly1305, aes128-sha256");
    assert_string_equal(get(root, "connections.net6.children.net6.remote_ts"), "2001:db8:1::/64");
    assert_string_equal(get(root, "secrets.ike-harness.secret"), "interop-harness-psk-not-secret");
    assert_int_equal(count_children(settings_child(root, "connections")), 2);
    assert_int_equal(count_children(settings_child(settings_child(root, "connections"), "net")),
                     10);
    assert_int_equal(settings_child(root, "secrets")->line, line_of(right_conf, "secrets {"));
    free(text);
    settings_free(root);
}

/* interop/strongswan/conf/left/swanctl.conf: five connections of one
 * shape (the template below, filled from left_conns[]) between the header
 * comment and the secrets. */
static const char left_head[] =
    "# Left side = INITIATOR role, in namespace ipsec-left.\n"
    "#   swan.sh swanctl ipsec-left --initiate --ike gcm256 --child gcm256\n"
    "#\n"
    "#   name      IKE proposal                        ESP proposal\n"
    "#   gcm256    aes256gcm16-prfsha256-x25519        aes256gcm16\n"
    "# encap = yes forces UDP encapsulation (ESP-in-UDP on port 4500) by faking\n"
    "# the NAT_DETECTION_SOURCE_IP hash. kernel-libipsec already forces that on\n"
    "\n"
    "connections {\n";

static const char left_conn[] = "    %s {\n"
                                "        version = 2\n"
                                "        local_addrs = %s\n"
                                "        remote_addrs = %s\n"
                                "        proposals = %s\n"
                                "        encap = yes\n"
                                "        local {\n"
                                "            auth = psk\n"
                                "            id = left.ipsec.test\n"
                                "        }\n"
                                "        remote {\n"
                                "            auth = psk\n"
                                "            id = right.ipsec.test\n"
                                "        }\n"
                                "        children {\n"
                                "            %s {\n"
                                "                mode = tunnel\n"
                                "                local_ts = %s\n"
                                "                remote_ts = %s\n"
                                "                esp_proposals = %s\n"
                                "            }\n"
                                "        }\n"
                                "    }\n";

static const char left_tail[] = "}\n"
                                "\n"
                                "secrets {\n"
                                "    ike-harness {\n"
                                "        id-left = left.ipsec.test\n"
                                "        id-right = right.ipsec.test\n"
                                "        secret = \"interop-harness-psk-not-secret\"\n"
                                "    }\n"
                                "}\n";

static const struct {
    const char *name, *local, *remote, *ike, *ts_l, *ts_r, *esp;
} left_conns[] = {
    {"gcm256", "192.0.2.1", "192.0.2.2", "aes256gcm16-prfsha256-x25519", "10.10.1.0/24",
     "10.10.2.0/24", "aes256gcm16"},
    {"gcm128", "192.0.2.1", "192.0.2.2", "aes128gcm16-prfsha256-x25519", "10.10.1.0/24",
     "10.10.2.0/24", "aes128gcm16"},
    {"chacha", "192.0.2.1", "192.0.2.2", "chacha20poly1305-prfsha256-x25519", "10.10.1.0/24",
     "10.10.2.0/24", "chacha20poly1305"},
    {"cbc", "192.0.2.1", "192.0.2.2", "aes128-sha256-modp2048", "10.10.1.0/24", "10.10.2.0/24",
     "aes128-sha256"},
    {"net6", "2001:db8::1", "2001:db8::2", "aes256gcm16-prfsha256-x25519", "2001:db8:1::/64",
     "2001:db8:2::/64", "aes256gcm16"},
};

static char left_conf[8192];

static void make_left_conf(void)
{
    size_t len = (size_t)snprintf(left_conf, sizeof left_conf, "%s", left_head);

    for (size_t i = 0; i < COUNT(left_conns); i++) {
        len += (size_t)snprintf(left_conf + len, sizeof left_conf - len, "%s", i ? "\n" : "");
        len += (size_t)snprintf(left_conf + len, sizeof left_conf - len, left_conn,
                                left_conns[i].name, left_conns[i].local, left_conns[i].remote,
                                left_conns[i].ike, left_conns[i].name, left_conns[i].ts_l,
                                left_conns[i].ts_r, left_conns[i].esp);
        assert_true(len < sizeof left_conf);
    }
    len += (size_t)snprintf(left_conf + len, sizeof left_conf - len, "%s", left_tail);
    assert_true(len < sizeof left_conf);
}

static void test_strongswan_left(void **state)
{
    struct settings_node *root;
    const struct settings_node *conn;
    char path[128];
    size_t i = 0;

    (void)state;
    make_left_conf();
    root = parse(left_conf);
    assert_non_null(root);
    assert_int_equal(count_children(root), 2);
    for (conn = settings_child(root, "connections")->children; conn; conn = conn->next, i++) {
        assert_true(i < COUNT(left_conns));
        assert_string_equal(conn->name, left_conns[i].name);
        assert_null(conn->value);
        assert_int_equal(count_children(conn), 8);
        assert_string_equal(get(conn, "proposals"), left_conns[i].ike);
        snprintf(path, sizeof path, "children.%s.esp_proposals", left_conns[i].name);
        assert_string_equal(get(conn, path), left_conns[i].esp);
        snprintf(path, sizeof path, "children.%s.remote_ts", left_conns[i].name);
        assert_string_equal(get(conn, path), left_conns[i].ts_r);
        assert_string_equal(get(conn, "local.id"), "left.ipsec.test");
        assert_string_equal(get(conn, "remote.auth"), "psk");
        assert_string_equal(get(conn, "encap"), "yes");
    }
    assert_int_equal(i, COUNT(left_conns));
    assert_string_equal(get(root, "connections.net6.children.net6.local_ts"), "2001:db8:1::/64");
    assert_string_equal(get(root, "connections.cbc.proposals"), "aes128-sha256-modp2048");
    assert_int_equal(settings_child(root, "connections")->line,
                     line_of(left_conf, "connections {"));
    assert_int_equal(settings_child(settings_child(root, "connections"), "gcm128")->line,
                     line_of(left_conf, "gcm128 {"));
    assert_int_equal(settings_child(settings_child(root, "connections"), "gcm128")->col, 5);
    settings_free(root);
}

/* ---- files ---- */

static char tmp[64]; /* the test's directory */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(path);
}

static int make_tmp(void **state)
{
    (void)state;
    strcpy(tmp, "/tmp/test_settings.XXXXXX");
    return mkdtemp(tmp) ? 0 : -1;
}

static int remove_tmp(void **state)
{
    (void)state;
    return nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes dir/rel (making its directories) with the given mode. */
static void put_file(const char *dir, const char *rel, const char *text, mode_t mode)
{
    char path[512];
    FILE *f;

    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    for (char *c = path + strlen(dir) + 1; (c = strchr(c, '/')); c++) {
        *c = '\0';
        mkdir(path, 0700);
        *c = '/';
    }
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

/* fmt with every '@' replaced by dir. */
static const char *at_dir(char *out, size_t n, const char *fmt, const char *dir)
{
    size_t len = 0, dl = strlen(dir);

    for (; *fmt; fmt++) {
        assert_true(len + dl + 1 < n);
        if (*fmt == '@') {
            memcpy(out + len, dir, dl);
            len += dl;
        } else {
            out[len++] = *fmt;
        }
    }
    out[len] = '\0';
    return out;
}

struct file {
    const char *path, *text;
};

struct inc_case {
    const char *name;
    struct file files[5];
    const char *tree; /* expected tree, or NULL */
    const char *msg;  /* else the message, '@' for the case's directory */
};

static const struct inc_case inc_cases[] = {
    {"relative, globs in order, nested, quoted, matching nothing",
     {{"main.conf", "connections {\n    include conf.d/*.conf\n}\nsecrets {\n"
                    "    include \"secrets dir/psk.conf\"   # a blank in the path\n}\n"
                    "include none/*.conf\ninclude conf.d/*.none\n"},
      {"conf.d/b.conf", "b { x = 2 }\n"},
      {"conf.d/a.conf", "a {\n    x = 1\n    include sub/c.inc\n}\n"},
      {"conf.d/sub/c.inc", "y = 3\n"},
      {"secrets dir/psk.conf", "ike { secret = s }\n"}},
     "connections {\n    a {\n        x = 1\n        y = 3\n    }\n    b {\n        x = 2\n"
     "    }\n}\nsecrets {\n    ike {\n        secret = s\n    }\n}\n",
     NULL},
    {"merged across files, later wins",
     {{"main.conf", "s { a = 1 }\ninclude more.conf\ns { c = 3 }\n"},
      {"more.conf", "s { a = 2\n b = 2 }\n"}},
     "s {\n    a = 2\n    b = 2\n    c = 3\n}\n",
     NULL},
    {"strongswan.conf including ../charon.conf",
     {{"left/strongswan.conf", "# harness\ninclude ../charon.conf\n"},
      {"charon.conf", "charon {\n    load_modular = no\n    load = random nonce openssl  aes\n"
                      "    retransmit_timeout = 2.0\n    filelog {\n        harness {\n"
                      "            default = 1\n            time_format = %H:%M:%S\n"
                      "        }\n    }\n}\n"}},
     "charon {\n    load_modular = no\n    load = random nonce openssl aes\n"
     "    retransmit_timeout = 2.0\n    filelog {\n        harness {\n            default = 1\n"
     "            time_format = %H:%M:%S\n        }\n    }\n}\n",
     NULL},
    {"included twice, not a loop",
     {{"main.conf", "a { include x.conf }\nb { include x.conf }\n"}, {"x.conf", "k = v\n"}},
     "a {\n    k = v\n}\nb {\n    k = v\n}\n",
     NULL},
    {"plain name that names nothing",
     {{"main.conf", "s {\n  include nothere.conf\n}\n"}},
     NULL,
     "@/main.conf:2:11: include \"nothere.conf\": no such file; fix the path (relative paths "
     "start in the including file's directory)"},
    {"a file including itself through a glob",
     {{"main.conf", "include *.conf\n"}},
     NULL,
     "@/main.conf:1:9: include loop: \"@/main.conf\" is already being read; remove this include"},
    {"two files including each other",
     {{"main.conf", "include a.conf\n"},
      {"a.conf", "x = 1\ninclude b.conf\n"},
      {"b.conf", "include \"a.conf\"\n"}},
     NULL,
     "@/b.conf:1:9: include loop: \"@/a.conf\" is already being read; remove this include"},
    {"'}' of the includer's section",
     {{"main.conf", "s {\n include x.conf\n}\n"}, {"x.conf", "a = 1\n}\n"}},
     NULL,
     "@/x.conf:2:1: unexpected '}': no section is open in this file; remove it"},
    {"section left open by an included file",
     {{"main.conf", "include x.conf\n}\n"}, {"x.conf", "t {\n"}},
     NULL,
     "@/x.conf:2:1: missing '}' for section \"t\" opened at 1:1; add it where the section ends"},
    {"error inside an included file",
     {{"main.conf", "include x.conf\n"}, {"x.conf", "a.b = 1"}},
     NULL,
     "@/x.conf:1:2: '.' is not allowed in a name; use '-' or '_' instead"},
    {"key and section in two files",
     {{"main.conf", "a = 1\ninclude x.conf\n"}, {"x.conf", "\n a {\n}\n"}},
     NULL,
     "@/x.conf:2:2: \"a\" is already a key (at @/main.conf:1:1); rename the key or the section"},
    {"a directory",
     {{"main.conf", "include d\n"}, {"d/f", ""}},
     NULL,
     "@/main.conf:1:9: included file \"@/d\": not a regular file; give a file, not a directory "
     "or device"},
    {"the top file missing",
     {{"other.conf", ""}},
     NULL,
     "@/main.conf: cannot open: No such file or directory"},
};

static void test_include_cases(void **state)
{
    char dir[128], path[256], msg[SETTINGS_ERR_LEN];

    (void)state;
    for (size_t i = 0; i < COUNT(inc_cases); i++) {
        const struct inc_case *c = &inc_cases[i];
        const char *top = c->files[0].path;

        snprintf(dir, sizeof dir, "%s/case%zu", tmp, i);
        assert_int_equal(mkdir(dir, 0700), 0);
        for (size_t f = 0; f < COUNT(c->files) && c->files[f].path; f++)
            put_file(dir, c->files[f].path, c->files[f].text, 0600);
        if (strcmp(top, "other.conf") == 0)
            top = "main.conf";
        snprintf(path, sizeof path, "%s/%s", dir, top);
        if (c->tree)
            expect_tree(c->name, settings_parse_file(path, 0, err, sizeof err), c->tree);
        else
            expect_error(c->name, settings_parse_file(path, 0, err, sizeof err),
                         at_dir(msg, sizeof msg, c->msg, dir));
    }
}

/* Where included entries come from, and includes from text. */
static void test_include_positions(void **state)
{
    char dir[128], path[256];
    struct settings_node *root;
    const struct settings_node *y;

    (void)state;
    snprintf(dir, sizeof dir, "%s/pos", tmp);
    put_file(dir, "main.conf", "a {\n    include sub/c.inc\n}\n", 0600);
    put_file(dir, "sub/c.inc", "\n  y = 3\n", 0600);
    snprintf(path, sizeof path, "%s/main.conf", dir);
    root = settings_parse_file(path, 0, err, sizeof err);
    assert_non_null(root);
    assert_string_equal(root->file, path);
    y = settings_child(settings_child(root, "a"), "y");
    snprintf(path, sizeof path, "%s/sub/c.inc", dir);
    assert_string_equal(y->file, path);
    assert_int_equal(y->line, 2);
    assert_int_equal(y->col, 3);
    settings_free(root);

    root = parse_len("include sub/c.inc\n", 18, dir, 0);
    assert_non_null(root);
    assert_string_equal(root->file, "t.conf");
    assert_string_equal(root->children->file, path);
    assert_string_equal(get(root, "y"), "3");
    settings_free(root);
}

static void test_include_depth(void **state)
{
    char dir[128], name[32], text[64], path[256], msg[SETTINGS_ERR_LEN];

    (void)state;
    snprintf(dir, sizeof dir, "%s/depth", tmp);
    /* f0 (the top) includes f1 ... up to f<last>. */
    for (int last = SETTINGS_MAX_INCLUDE_DEPTH; last <= SETTINGS_MAX_INCLUDE_DEPTH + 1; last++) {
        for (int i = 0; i <= last; i++) {
            snprintf(name, sizeof name, "f%d.conf", i);
            if (i < last)
                snprintf(text, sizeof text, "k%d = %d\ninclude f%d.conf\n", i, i, i + 1);
            else
                snprintf(text, sizeof text, "k%d = %d\n", i, i);
            put_file(dir, name, text, 0600);
        }
        snprintf(path, sizeof path, "%s/f0.conf", dir);
        if (last == SETTINGS_MAX_INCLUDE_DEPTH) {
            struct settings_node *root = settings_parse_file(path, 0, err, sizeof err);

            assert_non_null(root);
            assert_int_equal(count_children(root), SETTINGS_MAX_INCLUDE_DEPTH + 1);
            settings_free(root);
        } else {
            expect_error("17 levels", settings_parse_file(path, 0, err, sizeof err),
                         at_dir(msg, sizeof msg,
                                "@/f16.conf:2:9: includes nested more than 16 deep; include the "
                                "files from fewer levels",
                                dir));
        }
    }
}

static void test_include_count(void **state)
{
    char dir[128], name[32], path[256], msg[SETTINGS_ERR_LEN];
    struct settings_node *root;

    (void)state;
    snprintf(dir, sizeof dir, "%s/count", tmp);
    put_file(dir, "main.conf", "include many/*.conf\n", 0600);
    for (int i = 0; i < SETTINGS_MAX_INCLUDES; i++) {
        snprintf(name, sizeof name, "many/%03d.conf", i);
        put_file(dir, name, "s { n = 1 }\n", 0600);
    }
    snprintf(path, sizeof path, "%s/main.conf", dir);
    root = settings_parse_file(path, 0, err, sizeof err);
    assert_non_null(root);
    assert_true(strstr(settings_child(settings_child(root, "s"), "n")->file, "/many/099.conf") !=
                NULL);
    settings_free(root);
    put_file(dir, "many/100.conf", "\n", 0600);
    expect_error("101 files", settings_parse_file(path, 0, err, sizeof err),
                 at_dir(msg, sizeof msg,
                        "@/main.conf:1:9: more than 100 files included; merge some of them", dir));
}

static void test_file_size(void **state)
{
    char dir[128], path[256], msg[SETTINGS_ERR_LEN];
    char *big = malloc(MIB + 2);

    (void)state;
    assert_non_null(big);
    memset(big, '#', MIB + 1);
    big[MIB + 1] = '\0';
    snprintf(dir, sizeof dir, "%s/size", tmp);
    put_file(dir, "big.conf", big, 0600);
    put_file(dir, "main.conf", "include big.conf\n", 0600);
    big[MIB] = '\0';
    put_file(dir, "ok.conf", big, 0600);
    free(big);
    snprintf(path, sizeof path, "%s/ok.conf", dir);
    expect_tree("1 MiB file", settings_parse_file(path, 0, err, sizeof err), "");
    snprintf(path, sizeof path, "%s/big.conf", dir);
    expect_error("big file", settings_parse_file(path, 0, err, sizeof err),
                 at_dir(msg, sizeof msg,
                        "@/big.conf: larger than 1048576 bytes; split it into files that include "
                        "each other",
                        dir));
    snprintf(path, sizeof path, "%s/main.conf", dir);
    expect_error("big included file", settings_parse_file(path, 0, err, sizeof err),
                 at_dir(msg, sizeof msg,
                        "@/main.conf:1:9: included file \"@/big.conf\": larger than 1048576 "
                        "bytes; split it into files that include each other",
                        dir));
}

static void test_check_private(void **state)
{
    static const struct {
        mode_t mode;
        const char *msg; /* NULL: accepted */
    } modes[] = {
        {0600, NULL},
        {0400, NULL},
        {0700, NULL},
        {0644, "@/p.conf: mode 0644 lets group and others read it, and it may hold secrets; "
               "run: chmod 600 @/p.conf"},
        {0640, "@/p.conf: mode 0640 lets group read it, and it may hold secrets; run: chmod 600 "
               "@/p.conf"},
        {0660, "@/p.conf: mode 0660 lets group read and write it, and it may hold secrets; run: "
               "chmod 600 @/p.conf"},
        {0602, "@/p.conf: mode 0602 lets others write it, and it may hold secrets; run: chmod "
               "600 @/p.conf"},
    };
    char dir[128], path[256], msg[SETTINGS_ERR_LEN];

    (void)state;
    snprintf(dir, sizeof dir, "%s/private", tmp);
    snprintf(path, sizeof path, "%s/p.conf", dir);
    for (size_t i = 0; i < COUNT(modes); i++) {
        put_file(dir, "p.conf", "a = 1\n", modes[i].mode);
        err[0] = '\0';
        if (!modes[i].msg) {
            assert_int_equal(settings_check_private(path, err, sizeof err), 0);
            continue;
        }
        assert_int_equal(settings_check_private(path, err, sizeof err), -1);
        assert_string_equal(err, at_dir(msg, sizeof msg, modes[i].msg, dir));
    }
    assert_int_equal(settings_check_private(dir, err, sizeof err), -1);
    assert_string_equal(err, at_dir(msg, sizeof msg,
                                    "@: not a regular file; give a file, not a directory or "
                                    "device",
                                    dir));
    if (geteuid() == 0) { /* only root can give a file away */
        put_file(dir, "p.conf", "a = 1\n", 0600);
        assert_int_equal(chown(path, 4242, 4242), 0);
        assert_int_equal(settings_check_private(path, err, sizeof err), -1);
        assert_string_equal(err, at_dir(msg, sizeof msg,
                                        "@/p.conf: owned by uid 4242, which is neither root nor "
                                        "uid 0 that reads it; run: chown root @/p.conf",
                                        dir));
    }
}

/* SETTINGS_PRIVATE holds every file read, the included ones too. */
static void test_parse_private(void **state)
{
    char dir[128], path[256], msg[SETTINGS_ERR_LEN];
    struct settings_node *root;

    (void)state;
    snprintf(dir, sizeof dir, "%s/parse-private", tmp);
    put_file(dir, "main.conf", "include x.conf\n", 0600);
    put_file(dir, "x.conf", "a = 1\n", 0644);
    snprintf(path, sizeof path, "%s/main.conf", dir);
    root = settings_parse_file(path, 0, err, sizeof err);
    assert_non_null(root);
    settings_free(root);
    expect_error("open included file", settings_parse_file(path, SETTINGS_PRIVATE, err, sizeof err),
                 at_dir(msg, sizeof msg,
                        "@/main.conf:1:9: included file \"@/x.conf\": mode 0644 lets group and "
                        "others read it, and it may hold secrets; run: chmod 600 @/x.conf",
                        dir));
    put_file(dir, "x.conf", "a = 1\n", 0600);
    put_file(dir, "main.conf", "include x.conf\n", 0640);
    expect_error("open top file", settings_parse_file(path, SETTINGS_PRIVATE, err, sizeof err),
                 at_dir(msg, sizeof msg,
                        "@/main.conf: mode 0640 lets group read it, and it may hold secrets; run: "
                        "chmod 600 @/main.conf",
                        dir));
    put_file(dir, "main.conf", "include x.conf\n", 0600);
    root = settings_parse_file(path, SETTINGS_PRIVATE, err, sizeof err);
    assert_non_null(root);
    settings_free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_not_nul_terminated),
        cmocka_unit_test(test_positions),
        cmocka_unit_test(test_shadowed),
        cmocka_unit_test(test_node_error),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_big),
        cmocka_unit_test(test_strongswan_right),
        cmocka_unit_test(test_strongswan_left),
        cmocka_unit_test(test_include_cases),
        cmocka_unit_test(test_include_positions),
        cmocka_unit_test(test_include_depth),
        cmocka_unit_test(test_include_count),
        cmocka_unit_test(test_file_size),
        cmocka_unit_test(test_check_private),
        cmocka_unit_test(test_parse_private),
    };

    return cmocka_run_group_tests(tests, make_tmp, remove_tmp);
}
