/* SPDX-License-Identifier: MIT */
/*
 * list-certs and the expiry warning against certificates strongSwan's pki
 * makes at test time (tests/unit/certs_pki.sh passes their folder, with a
 * uipsecd.conf, as argv[1]): every field list-certs shows is compared with
 * what `openssl x509` printed of the same file (ref/F.ref for F.pem); the
 * connections using each certificate and the warnings with what the
 * configuration says.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "certwatch.h"
#include "config.h"
#include "control_certs.h"

static const char *dir;

static void load(struct cfg *cfg)
{
    char path[300], err[600] = "";

    snprintf(path, sizeof path, "%s/uipsecd.conf", dir);
    if (cfg_load(path, cfg, err, sizeof err) < 0)
        fail_msg("%s", err);
}

/* The value of "key=" in ref/F.ref, what openssl printed for F.pem. */
static char *ref(const char *pem, const char *key, char *buf, size_t len)
{
    const char *base = strrchr(pem, '/') ? strrchr(pem, '/') + 1 : pem;
    char path[600], line[1200];
    size_t klen = strlen(key);
    FILE *f;

    snprintf(path, sizeof path, "%s/ref/%.*s.ref", dir, (int)(strlen(base) - 4), base);
    f = fopen(path, "r");
    assert_non_null(f);
    buf[0] = '\0';
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, klen) && line[klen] == '=') {
            line[strcspn(line, "\n")] = '\0';
            snprintf(buf, len, "%s", line + klen + 1);
        }
    fclose(f);
    return buf;
}

static const char *get(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    assert_true(cJSON_IsString(v));
    return v->valuestring;
}

/* openssl's hex (upper case; the serial without colons) as list-certs
 * writes it: lower case, colons between bytes. */
static void as_listed(const char *hex, char *out, size_t len)
{
    size_t o = 0;
    bool colons = strchr(hex, ':') != NULL;

    for (size_t i = 0; hex[i] && o + 2 < len; i++) {
        if (!colons && i && i % 2 == 0)
            out[o++] = ':';
        out[o++] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] + 32 : hex[i]);
    }
    out[o] = '\0';
}

/* "2027-01-06 17:40:00Z" (openssl -dateopt iso_8601) as list-certs'
 * "2027-01-06T17:40:00Z". */
static char *iso(char *s)
{
    char *sp = strchr(s, ' ');

    if (sp)
        *sp = 'T';
    return s;
}

static const cJSON *by_file(const cJSON *certs, const char *name)
{
    const cJSON *c;

    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(certs, "certs"))
    {
        const char *f = get(c, "file"), *slash = strrchr(f, '/');

        if (!strcmp(slash ? slash + 1 : f, name))
            return c;
    }
    fail_msg("%s not listed", name);
    return NULL;
}

static void test_fields_match_openssl(void **state)
{
    struct cfg cfg;
    cJSON *r;
    const cJSON *c;
    char want[1200], got[300];

    (void)state;
    load(&cfg);
    r = control_list_certs(&cfg, time(NULL));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "certs")),
                     (int)cfg.n_certs);
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(r, "certs"))
    {
        const char *f = get(c, "file");

        assert_string_equal(get(c, "subject"), ref(f, "subject", want, sizeof want));
        as_listed(ref(f, "serial", want, sizeof want), got, sizeof got);
        assert_string_equal(get(c, "serial"), got);
        as_listed(ref(f, "sha256 Fingerprint", want, sizeof want), got, sizeof got);
        assert_string_equal(get(c, "sha256"), got);
        assert_string_equal(get(c, "not_before"), iso(ref(f, "notBefore", want, sizeof want)));
        assert_string_equal(get(c, "not_after"), iso(ref(f, "notAfter", want, sizeof want)));
    }
    cJSON_Delete(r);
    cfg_free(&cfg);
}

/* Whole days from now to notAfter as read back with strptime/timegm. */
static long days_to(const char *iso_time, time_t now)
{
    struct tm tm = {0};
    long diff;

    assert_non_null(strptime(iso_time, "%Y-%m-%dT%H:%M:%SZ", &tm));
    diff = (long)(timegm(&tm) - now);
    return diff >= 0 ? diff / 86400 : -((-diff + 86399) / 86400);
}

static void test_keys_sans_validity(void **state)
{
    static const char *const keys[][2] = {
        {"gwCert.pem", "ECDSA P-256"}, {"soonCert.pem", "RSA 3072"},
        {"oldCert.pem", "Ed25519"},    {"rootCert.pem", "ECDSA P-384"},
        {"interCert.pem", "RSA 2048"}, {"otherCert.pem", "Ed25519"},
    };
    time_t now = time(NULL);
    struct cfg cfg;
    cJSON *r;
    const cJSON *c;

    (void)state;
    load(&cfg);
    r = control_list_certs(&cfg, now);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_string_equal(get(by_file(r, keys[i][0]), "key"), keys[i][1]);
    c = by_file(r, "gwCert.pem");
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "sans"), 0)->valuestring,
                        "gw.uipsec.test");
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(r, "certs"))
    {
        assert_int_equal(cJSON_GetObjectItem(c, "expires_in_days")->valueint,
                         days_to(get(c, "not_after"), now));
        assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItem(c, "expired")),
                         !strcmp(get(c, "subject"), "C=CH, O=uipsec test, CN=old.uipsec.test"));
    }
    /* pki --lifetime 10: 10 days in the second pki made it, 9 after */
    assert_in_range(cJSON_GetObjectItem(by_file(r, "soonCert.pem"), "expires_in_days")->valueint, 9,
                    10);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(by_file(r, "rootCert.pem"), "trusted")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(by_file(r, "interCert.pem"), "ca")));
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(by_file(r, "interCert.pem"), "trusted")));
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(by_file(r, "gwCert.pem"), "ca")));
    cJSON_Delete(r);
    cfg_free(&cfg);
}

/* "conn/as conn/as" of a certificate's used_by. */
static char *uses(const cJSON *c, char *buf, size_t len)
{
    const cJSON *u;
    size_t o = 0;

    buf[0] = '\0';
    cJSON_ArrayForEach(u, cJSON_GetObjectItem(c, "used_by")) o += (size_t)snprintf(
        buf + o, len - o, "%s%s/%s", o ? " " : "", get(u, "connection"), get(u, "as"));
    return buf;
}

static void test_chain_and_uses(void **state)
{
    struct cfg cfg;
    cJSON *r;
    const cJSON *gw, *chain;
    char text[300];

    (void)state;
    load(&cfg);
    r = control_list_certs(&cfg, time(NULL));
    gw = by_file(r, "gwCert.pem");
    chain = cJSON_GetObjectItem(gw, "chain");
    assert_int_equal(cJSON_GetArraySize(chain), 3);
    assert_string_equal(cJSON_GetArrayItem(chain, 1)->valuestring,
                        "C=CH, O=uipsec test, CN=uipsec Intermediate CA");
    assert_string_equal(cJSON_GetArrayItem(chain, 2)->valuestring,
                        "C=CH, O=uipsec test, CN=uipsec Root CA");
    assert_null(cJSON_GetObjectItem(gw, "chain_error"));
    /* an expired one still has its chain: dates are shown apart */
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(by_file(r, "oldCert.pem"), "chain")),
                     3);
    assert_non_null(cJSON_GetObjectItem(by_file(r, "otherCert.pem"), "chain_error"));
    assert_string_equal(uses(gw, text, sizeof text), "gw/local");
    assert_string_equal(uses(by_file(r, "soonCert.pem"), text, sizeof text), "soon/local");
    assert_string_equal(uses(by_file(r, "interCert.pem"), text, sizeof text), "");
    assert_string_equal(uses(by_file(r, "otherCert.pem"), text, sizeof text), "");
    /* trusted: for gw and old any CA, soon names it in cacerts; psk none */
    assert_string_equal(uses(by_file(r, "rootCert.pem"), text, sizeof text),
                        "gw/ca soon/ca old/ca");
    cJSON_Delete(r);
    cfg_free(&cfg);
}

struct lines {
    char text[8][1200];
    int level[8];
    int n;
};

static void keep(void *arg, int level, const char *line)
{
    struct lines *l = arg;

    assert_true(l->n < 8);
    snprintf(l->text[l->n], sizeof l->text[0], "%s", line);
    l->level[l->n++] = level;
}

static const char *line_of(const struct lines *l, const char *what, int level)
{
    for (int i = 0; i < l->n; i++)
        if (strstr(l->text[i], what)) {
            assert_int_equal(l->level[i], level);
            return l->text[i];
        }
    fail_msg("no line with %s", what);
    return NULL;
}

static void test_expiry_warning(void **state)
{
    static struct certwatch w;
    struct lines l = {.n = 0};
    time_t now = time(NULL);
    struct cfg cfg;
    const char *s;
    char in_days[40];
    cJSON *r;

    (void)state;
    load(&cfg);
    r = control_list_certs(&cfg, now);
    snprintf(in_days, sizeof in_days, " (in %d days); renew it",
             cJSON_GetObjectItem(by_file(r, "soonCert.pem"), "expires_in_days")->valueint);
    cJSON_Delete(r);
    /* soon (10 days), old (expired), the root (pki.sh: 30 days) */
    assert_int_equal(certwatch_check(&w, &cfg, now, keep, &l), 3);
    s = line_of(&l, "CN=soon.uipsec.test", 1);
    assert_non_null(strstr(s, "certificate \"C=CH, O=uipsec test, CN=soon.uipsec.test\" ("));
    assert_non_null(strstr(s, "/x509/soonCert.pem) used by connection soon expires on 20"));
    assert_non_null(strstr(s, in_days));
    s = line_of(&l, "CN=old.uipsec.test", 0);
    assert_non_null(strstr(s, "used by connection old EXPIRED on 2021-01-01T00:00:00Z; renew it"));
    s = line_of(&l, "CN=uipsec Root CA", 1);
    assert_non_null(strstr(s, "used by connection gw, soon, old expires on"));
    /* once a day: not again at once, nor at the next tick or an hour on */
    assert_int_equal(certwatch_check(&w, &cfg, now + 60, keep, &l), 0);
    certwatch_tick(&w, &cfg, now + CERTWATCH_EVERY_S, keep, &l);
    assert_int_equal(l.n, 3);
    /* but the next day, and then not again that day */
    certwatch_tick(&w, &cfg, now + CERTWATCH_REPEAT_S, keep, &l);
    assert_int_equal(l.n, 6);
    certwatch_tick(&w, &cfg, now + CERTWATCH_REPEAT_S + CERTWATCH_EVERY_S, keep, &l);
    assert_int_equal(l.n, 6);
    cfg_free(&cfg);
}

/* Whether the certificate of file base name is listed, and trusted. */
static int listed(const char *name, bool *trusted)
{
    struct cfg cfg;
    cJSON *r;
    const cJSON *c;
    int found = 0;

    load(&cfg);
    r = control_list_certs(&cfg, time(NULL));
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(r, "certs"))
    {
        if (!strcmp(strrchr(get(c, "file"), '/') + 1, name)) {
            found++;
            *trusted = cJSON_IsTrue(cJSON_GetObjectItem(c, "trusted"));
        }
    }
    cJSON_Delete(r);
    cfg_free(&cfg);
    return found;
}

/* What the daemon's reload does, load the configuration again, reads
 * x509ca/ again: a CA put there is listed, one taken away is not; a
 * certificate of x509/ put in x509ca/ too becomes trusted (listed once). */
static void test_reload_reads_folders(void **state)
{
    char from[300], to[300];
    bool trusted = false;

    (void)state;
    snprintf(from, sizeof from, "%s/pki/newCert.pem", dir);
    snprintf(to, sizeof to, "%s/x509ca/newCert.pem", dir);
    assert_int_equal(listed("newCert.pem", &trusted), 0);
    assert_int_equal(link(from, to), 0);
    assert_int_equal(listed("newCert.pem", &trusted), 1);
    assert_true(trusted);
    assert_int_equal(unlink(to), 0);
    assert_int_equal(listed("newCert.pem", &trusted), 0);
    snprintf(from, sizeof from, "%s/x509/otherCert.pem", dir);
    snprintf(to, sizeof to, "%s/x509ca/otherCert.pem", dir);
    assert_int_equal(listed("otherCert.pem", &trusted), 1);
    assert_false(trusted);
    assert_int_equal(link(from, to), 0);
    assert_int_equal(listed("otherCert.pem", &trusted), 1);
    assert_true(trusted);
    assert_int_equal(unlink(to), 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields_match_openssl), cmocka_unit_test(test_keys_sans_validity),
        cmocka_unit_test(test_chain_and_uses),       cmocka_unit_test(test_expiry_warning),
        cmocka_unit_test(test_reload_reads_folders),
    };

    if (argc < 2) {
        fprintf(stderr, "usage: certs_pki.sh test_certs\n");
        return 2;
    }
    dir = argv[1];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
