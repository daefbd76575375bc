/* SPDX-License-Identifier: MIT */
/*
 * list-certs for people, in the manner of swanctl --list-certs: one block
 * per certificate (docs/CONTROL.md has the fields).
 */
#include "render.h"

#include <stdbool.h>
#include <string.h>

static const char *text(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsString(v) ? v->valuestring : "?";
}

static bool yes(const cJSON *obj, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

/* The strings of array key joined by sep, or none if it has none. */
static void put_list(FILE *out, const cJSON *obj, const char *key, const char *sep,
                     const char *none)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, key), *v;
    bool first = true;

    cJSON_ArrayForEach(v, a)
    {
        fprintf(out, "%s%s", first ? "" : sep, cJSON_IsString(v) ? v->valuestring : "?");
        first = false;
    }
    if (first)
        fputs(none, out);
}

static void put_validity(FILE *out, const cJSON *c)
{
    const cJSON *days = cJSON_GetObjectItemCaseSensitive(c, "expires_in_days");
    double n = cJSON_IsNumber(days) ? days->valuedouble : 0;

    fprintf(out, "  validity: not before %s\n            not after  %s, ", text(c, "not_before"),
            text(c, "not_after"));
    if (yes(c, "expired"))
        fputs("EXPIRED\n", out);
    else if (!cJSON_IsNumber(days))
        fputs("?\n", out);
    else
        fprintf(out, "expires in %.0f day%s\n", n, n == 1 ? "" : "s");
}

static void put_uses(FILE *out, const cJSON *c)
{
    const cJSON *u;
    bool first = true;

    fputs("  used by:  ", out);
    cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(c, "used_by"))
    {
        fprintf(out, "%s%s (%s)", first ? "" : ", ", text(u, "connection"), text(u, "as"));
        first = false;
    }
    fputs(first ? "no connection\n" : "\n", out);
}

static const char *flags(const cJSON *c)
{
    static const char *const words[] = {"none", "CA", "trusted", "CA, trusted"};

    return words[yes(c, "ca") + 2 * yes(c, "trusted")];
}

static void put_cert(FILE *out, const cJSON *c)
{
    fprintf(out, "subject:  \"%s\"\n  issuer:   \"%s\"\n  file:     %s\n", text(c, "subject"),
            text(c, "issuer"), text(c, "file"));
    put_validity(out, c);
    fprintf(out, "  serial:   %s\n  key:      %s\n  altNames: ", text(c, "serial"), text(c, "key"));
    put_list(out, c, "sans", ", ", "none");
    fprintf(out, "\n  flags:    %s\n  sha256:   %s\n  chain:    ", flags(c), text(c, "sha256"));
    put_list(out, c, "chain", " -> ", "");
    if (cJSON_GetObjectItemCaseSensitive(c, "chain_error"))
        fprintf(out, "none to a trusted CA: %s", text(c, "chain_error"));
    fputc('\n', out);
    put_uses(out, c);
}

const char *render_certs(const cJSON *r, FILE *out)
{
    const cJSON *certs = cJSON_GetObjectItemCaseSensitive(r, "certs"), *c;

    if (!cJSON_IsArray(certs))
        return "daemon sent a malformed answer (\"certs\" is not a list)";
    if (!certs->child)
        fputs("no certificates\n", out);
    cJSON_ArrayForEach(c, certs)
    {
        put_cert(out, c);
    }
    return NULL;
}
