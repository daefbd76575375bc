/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the SA-file parser of uipsec-packet: any bytes, in
 * both directions.  The parser must not crash, leak or read past len (the
 * input is not NUL-terminated), and must either fill the struct or say why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sa_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse(const uint8_t *data, size_t size, enum uipsec_dir dir)
{
    struct uipsec_safile f;
    char err[UIPSEC_SAFILE_ERR_LEN];
    size_t enc, salt, auth;

    if (uipsec_safile_parse((const char *)data, size, "fuzz.json", dir, &f, err, sizeof err)) {
        /* What the parser accepts must be sized as the suite says. */
        uipsec_suite_key_sizes(&f.params, &enc, &salt, &auth);
        if (f.params.auth_key_len != auth || f.params.dir != dir || f.iv_len > sizeof f.iv)
            abort();
        uipsec_safile_wipe(&f);
    } else if (err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL) {
        abort(); /* a refusal must say why */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes, so that ASan sees any read past the end. */
    uint8_t *copy = malloc(size ? size : 1);

    if (!copy)
        return 0;
    if (size)
        memcpy(copy, data, size);
    parse(copy, size, UIPSEC_DIR_OUT);
    parse(copy, size, UIPSEC_DIR_IN);
    free(copy);
    return 0;
}
