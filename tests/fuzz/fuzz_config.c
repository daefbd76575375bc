/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the configuration's meaning layer: whole files
 * through cfg_load_text(), the daemon's cfg_load() on text (config.c,
 * config_ike.c, value.c over the syntax layer), includes refused.  A file
 * is either refused with one printable line "NAME:..." or loaded into
 * a configuration whose values hold what the loaders promise, equal to
 * itself, and freed without a leak.  The text is named after a private,
 * empty file the fuzzer makes in a folder of its own, so that the check
 * that a file holding keys is private passes and keys are interpreted too.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_ike.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char dir[] = "/tmp/uipsec-fuzz-config-XXXXXX";
static char name[64]; /* dir/fuzz.conf */

static void clean_up(void)
{
    unlink(name);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    int fd;

    (void)argc, (void)argv;
    if (!mkdtemp(dir))
        abort();
    snprintf(name, sizeof name, "%s/fuzz.conf", dir);
    fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        abort();
    close(fd);
    atexit(clean_up);
    return 0;
}

static void check_string(const char *s, size_t cap)
{
    if (!memchr(s, '\0', cap))
        abort();
}

static void check_error(const char *err, size_t cap)
{
    check_string(err, cap);
    if (strncmp(err, name, strlen(name)) != 0)
        abort();
    for (const char *c = err; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            abort();
}

static void check_cfg(const struct cfg *cfg)
{
    check_string(cfg->ifname, sizeof cfg->ifname);
    check_string(cfg->socket_path, sizeof cfg->socket_path);
    check_string(cfg->wireshark_keys, sizeof cfg->wireshark_keys);
    check_string(cfg->state_dir, sizeof cfg->state_dir);
    if (!cfg->ifname[0] || cfg->path_mtu < 1280 || cfg->path_mtu > 65535)
        abort();
    if (cfg_fragment_size(cfg, 4) < CFG_FRAG_SIZE_MIN || cfg_fragment_size(cfg, 6) > cfg->path_mtu)
        abort(); /* uipsec.fragment_size: bounded, and fits the path */
    check_string(cfg->aa_files, sizeof cfg->aa_files);
    if ((cfg->n_manual && !cfg->manual) || (cfg->n_ike_conns && !cfg->ike_conns) ||
        (cfg->n_secrets && !cfg->secrets))
        abort();
    for (size_t i = 0; i < cfg->n_manual; i++) {
        const struct cfg_manual *m = &cfg->manual[i];

        if (!cfg_manual_equal(m, m) || m->in.enc_key_len > sizeof m->in.enc_key ||
            m->out.enc_key_len > sizeof m->out.enc_key ||
            m->in.integ_key_len > sizeof m->in.integ_key ||
            m->out.integ_key_len > sizeof m->out.integ_key)
            abort();
    }
    for (size_t i = 0; i < cfg->n_ike_conns; i++)
        if (!cfg_conn_equal(&cfg->ike_conns[i], &cfg->ike_conns[i]))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cfg cfg;
    char err[600];

    memset(err, 0x55, sizeof err);
    if (cfg_load_text((const char *)data, size, name, &cfg, err, sizeof err) < 0) {
        check_error(err, sizeof err);
        return 0;
    }
    check_cfg(&cfg);
    cfg_free(&cfg);
    return 0;
}
