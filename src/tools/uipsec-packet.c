/* SPDX-License-Identifier: MIT */
/*
 * uipsec-packet: runs hex packets through one SA described by an SA file,
 * offline.  It lets a user check a captured packet against known keys, and
 * anyone test the engine from outside.
 */
#define _POSIX_C_SOURCE 200809L

#include "sa_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define MAX_PACKET  70000     /* IPv6: 40 + 65535 without jumbograms, and slack */
#define MAX_SA_FILE (1 << 20) /* far above any real SA file */
#define EXIT_PACKET 1
#define EXIT_USAGE  2

static const char usage_text[] =
    "Usage: uipsec-packet encap SA_FILE   protect inner packets read from stdin\n"
    "       uipsec-packet decap SA_FILE   unprotect outer packets read from stdin\n"
    "       uipsec-packet suites          list the suites and the backends that run them\n"
    "       uipsec-packet --help\n"
    "\n"
    "Packets are hex, one per line, on stdin and stdout.  Empty lines and lines\n"
    "starting with # are skipped.  A packet that fails gives the line\n"
    "\"error: REASON\".  All lines go through one SA, so on decap replay\n"
    "protection applies across lines.\n"
    "\n"
    "SA_FILE is a JSON object, for example\n"
    "  {\"protocol\": \"esp\", \"mode\": \"tunnel\", \"suite\": \"aes128gcm16\",\n"
    "   \"spi\": \"c0ffee01\", \"enc_key\": \"<16 bytes hex>\", \"salt\": \"<4 bytes hex>\",\n"
    "   \"tunnel_src\": \"203.0.113.1\", \"tunnel_dst\": \"203.0.113.2\"}\n"
    "with the fields (in brackets: optional, default)\n"
    "  protocol            \"esp\" or \"ah\"\n"
    "  mode                \"tunnel\" or \"transport\"\n"
    "  suite               strongSwan keyword: aes128gcm16, aes256gcm16, chacha20poly1305,\n"
    "                      aes128-sha256, aes256-sha512, null-sha256, aes128gmac,\n"
    "                      sha256 (AH), ...; see uipsec-packet suites\n"
    "  spi                 4 bytes of hex\n"
    "  enc_key salt auth_key  hex (no 0x), as many bytes as the suite needs\n"
    "  [esn]               true for 64-bit extended sequence numbers [false]\n"
    "  [esn_high]          encap: high half of the first sequence number;\n"
    "                      decap: the high half the receiver starts from [0]\n"
    "  [seq]               encap: sequence number of the first packet, as sent [1]\n"
    "  [iv]                encap: IV of the first packet [generated]\n"
    "  [replay_window]     decap: window in packets, 0 = off [64]\n"
    "  tunnel_src tunnel_dst  tunnel mode: outer IPv4 or IPv6 addresses\n"
    "  [udp_encapsulation] {\"sport\": 4500, \"dport\": 4500} for RFC 3948 [null]\n"
    "  [backend]           \"auto\", \"openssl\" or \"ipsec-mb\" [auto]\n"
    "  [ip_id] [ttl]       first outer IPv4 ID [random], outer TTL [64]\n"
    "  [df]                outer DF bit: \"clear\", \"set\" or \"copy\" [clear]\n"
    "  [tfc_pad]           pad tunnelled payloads up to this size [0]\n"
    "  [lifetime]          {\"soft_bytes\", \"hard_bytes\", \"soft_packets\", \"hard_packets\"}\n"
    "  [comment]           any string\n"
    "\n"
    "Exit status: 0 all packets done, 1 some packet failed,\n"
    "2 usage, SA file or I/O error.\n";

/* One packet at a time, so that output lines follow input lines. */
static uint8_t mem[UIPSEC_HEADROOM + MAX_PACKET + UIPSEC_TAILROOM];
static char hex_line[2 * sizeof mem + 1];

static int usage_error(const char *why)
{
    fprintf(stderr, "uipsec-packet: %s\n%.*s(uipsec-packet --help says more)\n", why,
            (int)(strstr(usage_text, "\n\n") - usage_text + 1), usage_text);
    return EXIT_USAGE;
}

/* Reads the whole SA file into a NUL-terminated heap buffer. */
static char *read_sa_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *text = f ? malloc(MAX_SA_FILE + 1) : NULL;

    if (!f || !text) {
        fprintf(stderr, "uipsec-packet: %s: %s\n", path, strerror(errno));
        goto fail;
    }
    *len = fread(text, 1, MAX_SA_FILE + 1, f);
    if (ferror(f) || *len > MAX_SA_FILE) {
        fprintf(stderr, "uipsec-packet: %s: %s\n", path,
                ferror(f) ? "read error" : "larger than 1 MiB: not an SA file");
        goto fail;
    }
    fclose(f);
    text[*len] = '\0';
    return text;
fail:
    free(text);
    if (f)
        fclose(f);
    return NULL;
}

static bool parse_sa_file(const char *path, enum uipsec_dir dir, struct uipsec_safile *f)
{
    char err[UIPSEC_SAFILE_ERR_LEN];
    size_t len = 0;
    char *text = read_sa_file(path, &len);
    bool ok;

    if (!text)
        return false;
    ok = uipsec_safile_parse(text, len, path, dir, f, err, sizeof err);
    memset(text, 0, len); /* it held the keys */
    free(text);
    if (!ok)
        fprintf(stderr, "uipsec-packet: %s\n", err);
    return ok;
}

static int refuse(const char *path, const char *what, int result, const struct uipsec_safile *f)
{
    fprintf(stderr, "uipsec-packet: %s: %s: %s (suite %s, backend %s)\n", path, what,
            uipsec_result_name(result), f->suite, uipsec_backend_name(f->params.backend));
    return EXIT_USAGE;
}

/* Makes the SA of the file; on decap starts the receiver's ESN high half,
 * on encap fixes the first IV when the file gives one. */
static int open_sa(const char *path, enum uipsec_dir dir, struct uipsec_sa **sa)
{
    struct uipsec_safile f;
    int r;

    if (!parse_sa_file(path, dir, &f))
        return EXIT_USAGE;
    r = uipsec_sa_new(&f.params, sa);
    if (r != UIPSEC_OK) {
        refuse(path, "the engine refused the SA", r, &f);
        goto out;
    }
    if (dir == UIPSEC_DIR_IN && f.params.esn)
        uipsec_sa_set_esn_high(*sa, f.esn_high);
    if (dir == UIPSEC_DIR_OUT && f.iv_len)
        r = uipsec_sa_set_next_iv(*sa, f.iv, f.iv_len);
    if (r != UIPSEC_OK) {
        refuse(path, "the engine refused the IV", r, &f);
        uipsec_sa_free(*sa);
        *sa = NULL;
    }
out:
    uipsec_safile_wipe(&f);
    return r == UIPSEC_OK ? 0 : EXIT_USAGE;
}

static void put_hex(const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        hex_line[2 * i] = digits[p[i] >> 4];
        hex_line[2 * i + 1] = digits[p[i] & 15];
    }
    hex_line[2 * n] = '\n';
    fwrite(hex_line, 1, 2 * n + 1, stdout);
}

static bool put_error(const char *reason)
{
    printf("error: %s\n", reason);
    return false;
}

/* Runs one line's packet through the SA and prints the result line. */
static bool process(struct uipsec_sa *sa, enum uipsec_dir dir, const char *hex, size_t n)
{
    struct uipsec_buf b = {.base = mem, .cap = sizeof mem, .off = UIPSEC_HEADROOM};
    size_t len = 0;

    if (n > 2 * MAX_PACKET)
        return put_error("too-long");
    if (!uipsec_safile_unhex(hex, n, mem + UIPSEC_HEADROOM, MAX_PACKET, &len))
        return put_error("bad-hex");
    b.len = (uint32_t)len;
    if (dir == UIPSEC_DIR_OUT)
        uipsec_encap(sa, &b, 1);
    else
        uipsec_decap(sa, &b, 1);
    if (b.result != UIPSEC_OK)
        return put_error(uipsec_result_name(b.result));
    put_hex(mem + b.off, b.len);
    return true;
}

static char *trim(char *s, size_t *n)
{
    while (*n > 0 && strchr(" \t\r\n\v\f", s[*n - 1]) && s[*n - 1] != '\0')
        (*n)--;
    while (*n > 0 && strchr(" \t\r\n\v\f", *s) && *s != '\0') {
        s++;
        (*n)--;
    }
    return s;
}

static int run_lines(struct uipsec_sa *sa, enum uipsec_dir dir)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int status = 0;

    while ((got = getline(&line, &cap, stdin)) != -1) {
        size_t n = (size_t)got;
        char *s = trim(line, &n);

        if (n == 0 || s[0] == '#')
            continue;
        if (!process(sa, dir, s, n))
            status = EXIT_PACKET;
    }
    free(line);
    if (ferror(stdin)) {
        fprintf(stderr, "uipsec-packet: reading stdin: %s\n", strerror(errno));
        return EXIT_USAGE;
    }
    return status;
}

static int run_sa(int argc, char **argv, enum uipsec_dir dir)
{
    struct uipsec_sa *sa = NULL;
    int status;

    if (argc != 3)
        return usage_error("expected one SA_FILE");
    status = open_sa(argv[2], dir, &sa);
    if (status != 0)
        return status;
    status = run_lines(sa, dir);
    uipsec_sa_free(sa);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "uipsec-packet: writing stdout: %s\n", strerror(errno));
        return EXIT_USAGE;
    }
    return status;
}

static int cmd_encap(int argc, char **argv)
{
    return run_sa(argc, argv, UIPSEC_DIR_OUT);
}

static int cmd_decap(int argc, char **argv)
{
    return run_sa(argc, argv, UIPSEC_DIR_IN);
}

/* Whether backend can run the suite: an SA with all-zero keys says so. */
static bool suite_runs(const char *word, enum uipsec_proto proto, enum uipsec_backend backend)
{
    struct uipsec_sa_params p = {.spi = 0x100,
                                 .dir = UIPSEC_DIR_OUT,
                                 .proto = proto,
                                 .mode = UIPSEC_MODE_TRANSPORT,
                                 .backend = backend};
    struct uipsec_sa *sa = NULL;
    size_t enc, salt, auth;

    if (uipsec_suite_parse(word, proto, &p) != UIPSEC_OK)
        return false;
    uipsec_suite_key_sizes(&p, &enc, &salt, &auth);
    p.auth_key_len = (uint8_t)auth;
    if (uipsec_sa_new(&p, &sa) != UIPSEC_OK)
        return false;
    uipsec_sa_free(sa);
    return true;
}

static void list_suite(const char *word, enum uipsec_proto proto)
{
    static const enum uipsec_backend backends[] = {UIPSEC_BACKEND_OPENSSL, UIPSEC_BACKEND_IPSECMB};
    char names[64] = "";

    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
        size_t used = strlen(names);

        if (uipsec_backend_available(backends[i]) && suite_runs(word, proto, backends[i]))
            snprintf(names + used, sizeof names - used, " %s", uipsec_backend_name(backends[i]));
    }
    if (names[0])
        printf("%-5s %-18s%s\n", proto == UIPSEC_PROTO_AH ? "ah" : "esp", word, names);
}

/* Candidate keywords; only those the engine accepts and runs are listed. */
static int cmd_suites(int argc, char **argv)
{
    static const char *const esp[] = {
        "aes128gcm16",   "aes256gcm16",   "chacha20poly1305", "aes128gmac",    "aes256gmac",
        "aes128-sha256", "aes128-sha384", "aes128-sha512",    "aes256-sha256", "aes256-sha384",
        "aes256-sha512", "null-sha256",   "null-sha384",      "null-sha512"};
    static const char *const ah[] = {"sha256", "sha384", "sha512"};

    (void)argv;
    if (argc != 2)
        return usage_error("suites takes no arguments");
    printf("%-5s %-18s%s\n", "proto", "suite", " backends");
    for (size_t i = 0; i < sizeof esp / sizeof esp[0]; i++)
        list_suite(esp[i], UIPSEC_PROTO_ESP);
    for (size_t i = 0; i < sizeof ah / sizeof ah[0]; i++)
        list_suite(ah[i], UIPSEC_PROTO_AH);
    return 0;
}

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
    {"encap", cmd_encap},
    {"decap", cmd_decap},
    {"suites", cmd_suites},
};

int main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (argc < 2)
        return usage_error("missing command");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc, argv);
    fprintf(stderr, "uipsec-packet: unknown command \"%.40s\"\n", argv[1]);
    return usage_error("the commands are encap, decap and suites");
}
