/* SPDX-License-Identifier: MIT */
/*
 * The Wireshark key log (src/daemon/keylog.c, issue 8 finding 8): keys are
 * written only into a folder nobody but root may change, into a file
 * uipsecd made 0600 or one that is already root's alone; a file another
 * user planted (other owner, readable mode, symbolic or hard link, FIFO)
 * is refused and left as it was, and nothing is written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "keylog.h"
#include "testutil.h"

static char dir[64];
static char path[128]; /* dir/esp_sa */

static void one_sa(struct uipsec_sa_params *p)
{
    memset(p, 0, sizeof *p);
    p->proto = UIPSEC_PROTO_ESP;
    assert_int_equal(uipsec_suite_parse("aes128gcm16", UIPSEC_PROTO_ESP, p), UIPSEC_OK);
    p->spi = 0xc0de0102;
    p->tunnel_src.family = p->tunnel_dst.family = 4;
    memset(p->enc_key, 0x5e, 16);
}

/* What uipsecd does across its two processes: the child makes the line,
 * the parent appends it. */
static void log_one(void)
{
    struct uipsec_sa_params p;
    char line[KEYLOG_LINE_MAX];

    one_sa(&p);
    assert_true(keylog_esp_line(&p, line, sizeof line));
    keylog_append(dir, PRIV_KEYLOG_ESP, line);
}

static off_t size_of(const char *f)
{
    struct stat st;

    return lstat(f, &st) == 0 ? st.st_size : -1;
}

static int setup(void **state)
{
    (void)state;
    tmpdir_make(dir, sizeof dir, "uipsec-keylog");
    snprintf(path, sizeof path, "%s/esp_sa", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return tmpdir_remove(dir);
}

/* Made by us: 0600, one line per key. */
static void test_new_file_private(void **state)
{
    struct stat st;

    (void)state;
    log_one();
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_true(st.st_size > 0);
    log_one();
    assert_int_equal(size_of(path), 2 * st.st_size);
}

/* A folder others may write: nothing is made there. */
static void test_dir_writable_by_others(void **state)
{
    (void)state;
    assert_int_equal(chmod(dir, 01777), 0);
    log_one();
    assert_int_equal(size_of(path), -1);
    assert_int_equal(chmod(dir, 0770), 0);
    log_one();
    assert_int_equal(size_of(path), -1);
}

/* A file others may read, planted before: kept as it was, not written. */
static void test_file_readable_by_others(void **state)
{
    struct stat st;

    (void)state;
    file_write(path, "", 0644);
    log_one();
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 0);
    assert_int_equal(st.st_mode & 07777, 0644);
}

/* A 0600 file of another user's (who could chmod it later). */
static void test_file_of_another_user(void **state)
{
    (void)state;
    file_write(path, "", 0600);
    if (geteuid() != 0)
        skip(); /* chown needs root */
    assert_int_equal(chown(path, 4242, 4242), 0);
    log_one();
    assert_int_equal(size_of(path), 0);
}

/* Links: symbolic (to a file the attacker wants) and hard. */
static void test_links(void **state)
{
    char target[128];

    (void)state;
    snprintf(target, sizeof target, "%s/target", dir);
    file_write(target, "", 0600);
    assert_int_equal(symlink(target, path), 0);
    log_one();
    assert_int_equal(size_of(target), 0);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(link(target, path), 0);
    log_one();
    assert_int_equal(size_of(target), 0);
}

/* A FIFO: refused at once, not waited on. */
static void test_fifo(void **state)
{
    (void)state;
    assert_int_equal(mkfifo(path, 0600), 0);
    log_one(); /* would block forever without O_NONBLOCK */
    assert_int_equal(size_of(path), 0);
}

/* A private file of root's, there before: appended to. */
static void test_existing_private_file(void **state)
{
    (void)state;
    file_write(path, "# before\n", 0600);
    log_one();
    assert_true(size_of(path) > 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_file_private, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dir_writable_by_others, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_readable_by_others, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_of_another_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_links, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_existing_private_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
