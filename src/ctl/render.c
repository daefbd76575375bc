/* SPDX-License-Identifier: MIT */
/*
 * Human output of uipsecctl, modelled on swanctl: a short block for the
 * daemon, SAs grouped by name with one line per direction, policies as an
 * aligned table.  Also the generic "key: value" view and the JSON printer.
 */
#include "render.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NUM_LEN 32 /* any number or size as text */

static const char *str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsString(v) ? v->valuestring : "?";
}

static bool flag(const cJSON *obj, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

static const char *yes_no(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsBool(v) ? (cJSON_IsTrue(v) ? "yes" : "no") : "?";
}

/* A counter is a whole number from 0 to 2^64 - 1; anything else is not. */
static bool count_of(const cJSON *v, uint64_t *out)
{
    double d;

    if (!cJSON_IsNumber(v))
        return false;
    d = v->valuedouble;
    if (!(d >= 0 && d < 18446744073709551616.0) || (double)(uint64_t)d != d)
        return false;
    *out = (uint64_t)d;
    return true;
}

static bool count(const cJSON *obj, const char *key, uint64_t *out)
{
    return count_of(cJSON_GetObjectItemCaseSensitive(obj, key), out);
}

static const char *fmt_count(char *buf, const cJSON *obj, const char *key)
{
    uint64_t n;

    if (!count(obj, key, &n))
        return "?";
    snprintf(buf, NUM_LEN, "%" PRIu64, n);
    return buf;
}

/* "84 bytes", "1.2 KiB", ..., with one decimal from KiB on. */
static const char *fmt_size_n(char *buf, uint64_t n)
{
    static const char units[][4] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    size_t u = 0;
    double v;

    if (n < 1024) {
        snprintf(buf, NUM_LEN, "%" PRIu64 " %s", n, n == 1 ? "byte" : "bytes");
        return buf;
    }
    v = (double)n / 1024;
    /* 1023.95 would print as "1024.0": show it in the next unit. */
    while (v >= 1023.95 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024;
        u++;
    }
    snprintf(buf, NUM_LEN, "%.1f %s", v, units[u]);
    return buf;
}

static const char *fmt_size(char *buf, const cJSON *obj, const char *key)
{
    uint64_t n;

    return count(obj, key, &n) ? fmt_size_n(buf, n) : "?";
}

/* "42s", "5m 3s", "2h 0m 5s", "3d 1h 0m 0s". */
static const char *fmt_duration(char *buf, const cJSON *obj, const char *key)
{
    uint64_t s, d, h, m;

    if (!count(obj, key, &s))
        return "?";
    d = s / 86400;
    h = s / 3600 % 24;
    m = s / 60 % 60;
    s %= 60;
    if (d)
        snprintf(buf, NUM_LEN, "%" PRIu64 "d %" PRIu64 "h %" PRIu64 "m %" PRIu64 "s", d, h, m, s);
    else if (h)
        snprintf(buf, NUM_LEN, "%" PRIu64 "h %" PRIu64 "m %" PRIu64 "s", h, m, s);
    else if (m)
        snprintf(buf, NUM_LEN, "%" PRIu64 "m %" PRIu64 "s", m, s);
    else
        snprintf(buf, NUM_LEN, "%" PRIu64 "s", s);
    return buf;
}

/* A formatted string on the heap, or NULL when out of memory. */
__attribute__((format(printf, 1, 2))) static char *dupf(const char *fmt, ...)
{
    va_list ap;
    char *s;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0)
        return NULL;
    s = malloc((size_t)len + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)len + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* True if some drop counter is not a plain zero. */
static bool has_drops(const cJSON *drops)
{
    const cJSON *d;
    uint64_t n;

    cJSON_ArrayForEach(d, drops)
    {
        if (!count_of(d, &n) || n != 0)
            return true;
    }
    return false;
}

/* "auth-failed 3, replayed 1": the non-zero counters in the order received. */
static void put_drops(FILE *out, const cJSON *drops);

/* A whole "LABEL..." line of drops, "none" when there are none. */
static void put_drops_line(FILE *out, const char *label, const cJSON *drops)
{
    fputs(label, out);
    if (has_drops(drops))
        put_drops(out, drops);
    else
        fputs("none", out);
    fputc('\n', out);
}

static void put_drops(FILE *out, const cJSON *drops)
{
    const char *sep = "";
    char num[NUM_LEN];
    const cJSON *d;
    uint64_t n;

    cJSON_ArrayForEach(d, drops)
    {
        if (count_of(d, &n) && n == 0)
            continue;
        if (count_of(d, &n))
            snprintf(num, sizeof(num), "%" PRIu64, n);
        else
            snprintf(num, sizeof(num), "?");
        fprintf(out, "%s%s %s", sep, d->string ? d->string : "?", num);
        sep = ", ";
    }
}

/* "TUN: 3 reads (1 cut into 40 packets), 5 writes (2 coalesced from 30)"
 * and "UDP: 2 trains sent (50 packets), 1 coalesced receive (20)". */
static void put_datapath(FILE *out, const cJSON *dp)
{
    char a[NUM_LEN], b[NUM_LEN], c[NUM_LEN], e[NUM_LEN], f[NUM_LEN], g[NUM_LEN];

    if (!cJSON_IsObject(dp))
        return;
    fprintf(out,
            "  TUN:       %s reads (%s cut into %s packets), %s writes (%s coalesced from %s)\n",
            fmt_count(a, dp, "tun_reads"), fmt_count(b, dp, "tun_super"),
            fmt_count(c, dp, "tun_segments"), fmt_count(e, dp, "tun_writes"),
            fmt_count(f, dp, "tun_coalesced"), fmt_count(g, dp, "tun_merged"));
    fprintf(out, "  UDP:       %s trains sent (%s packets), %s coalesced receives (%s packets)\n",
            fmt_count(a, dp, "udp_gso_trains"), fmt_count(b, dp, "udp_gso_packets"),
            fmt_count(c, dp, "udp_gro_receives"), fmt_count(e, dp, "udp_gro_packets"));
}

/* "worker 1:  40 TUN reads, 75 TUN writes, 30 decrypted for others;
 * drops: none", one line per worker when there are several: who does the
 * work (reads: outbound, writes: inbound, decrypted for others: its
 * share of another's SA), who loses. */
static void put_workers(FILE *out, const cJSON *dp)
{
    const cJSON *ws = cJSON_IsObject(dp) ? cJSON_GetObjectItemCaseSensitive(dp, "workers") : NULL;
    const cJSON *w;

    if (!cJSON_IsArray(ws) || cJSON_GetArraySize(ws) < 2)
        return;
    cJSON_ArrayForEach(w, ws)
    {
        char id[NUM_LEN], a[NUM_LEN], b[NUM_LEN], c[NUM_LEN];

        fprintf(out, "  worker %s:  %s TUN reads, %s TUN writes, %s decrypted for others; ",
                fmt_count(id, w, "id"), fmt_count(a, w, "tun_reads"), fmt_count(b, w, "tun_writes"),
                fmt_count(c, w, "rx_helped"));
        put_drops_line(out, "drops: ", cJSON_GetObjectItemCaseSensitive(w, "drops"));
    }
}

const char *render_status(const cJSON *r, FILE *out)
{
    char pid[NUM_LEN], up[NUM_LEN], mtu[NUM_LEN], sas[NUM_LEN], pols[NUM_LEN];
    const cJSON *drops = cJSON_GetObjectItemCaseSensitive(r, "drops");

    fprintf(out, "%s %s, pid %s, up %s\n", str(r, "daemon"), str(r, "version"),
            fmt_count(pid, r, "pid"), fmt_duration(up, r, "uptime"));
    fprintf(out, "  config:    %s\n", str(r, "config"));
    fprintf(out, "  interface: %s, mtu %s", str(r, "interface"), fmt_count(mtu, r, "mtu"));
    if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r, "offload")))
        fprintf(out, ", offloads %s", str(r, "offload"));
    fputc('\n', out);
    fprintf(out, "  SAs:       %s\n", fmt_count(sas, r, "sas"));
    if (cJSON_GetObjectItemCaseSensitive(r, "ike_sas")) {
        char all[NUM_LEN], estab[NUM_LEN];

        fprintf(out, "  IKE SAs:   %s (%s established)\n", fmt_count(all, r, "ike_sas"),
                fmt_count(estab, r, "ike_sas_established"));
    }
    fprintf(out, "  policies:  %s\n", fmt_count(pols, r, "policies"));
    put_datapath(out, cJSON_GetObjectItemCaseSensitive(r, "datapath"));
    put_workers(out, cJSON_GetObjectItemCaseSensitive(r, "datapath"));
    put_drops_line(out, "  drops:     ", drops);
    return NULL;
}

/* ---- list-sas ---- */

struct sa_row {
    const cJSON *sa;
    char *head;   /* "net: ESP tunnel, aes256gcm16, encap no, backend ipsec-mb" */
    char *peers;  /* "192.0.2.1 === 192.0.2.2" */
    size_t index; /* position in the answer */
    size_t group; /* index of the first SA with the same head and peers */
};

static char *sa_head(const cJSON *sa)
{
    const char *proto = str(sa, "protocol");

    if (strcmp(proto, "esp") == 0)
        proto = "ESP";
    else if (strcmp(proto, "ah") == 0)
        proto = "AH";
    return dupf("%s: %s %s, %s%s, encap %s, backend %s", str(sa, "name"), proto, str(sa, "mode"),
                str(sa, "suite"), flag(sa, "esn") ? ", ESN" : "", yes_no(sa, "encap"),
                str(sa, "backend"));
}

static int cmp_by_group_key(const void *a, const void *b)
{
    const struct sa_row *x = a, *y = b;
    int c = strcmp(x->head, y->head);

    if (c == 0)
        c = strcmp(x->peers, y->peers);
    if (c == 0)
        c = (x->index > y->index) - (x->index < y->index);
    return c;
}

static int cmp_by_group_order(const void *a, const void *b)
{
    const struct sa_row *x = a, *y = b;

    if (x->group != y->group)
        return (x->group > y->group) - (x->group < y->group);
    return (x->index > y->index) - (x->index < y->index);
}

/* Orders the rows so that each group is together, the groups in the order
 * of their first SA and the SAs of a group in the order received. */
static void group_rows(struct sa_row *rows, size_t n)
{
    size_t i;

    qsort(rows, n, sizeof(*rows), cmp_by_group_key);
    for (i = 0; i < n; i++) {
        bool same = i > 0 && strcmp(rows[i].head, rows[i - 1].head) == 0 &&
                    strcmp(rows[i].peers, rows[i - 1].peers) == 0;

        rows[i].group = same ? rows[i - 1].group : rows[i].index;
    }
    qsort(rows, n, sizeof(*rows), cmp_by_group_order);
}

/* "1.0 GiB (soft 921.6 MiB)" or "1000 packets (soft 900)" or "soft 900 packets". */
static void put_limit(FILE *out, uint64_t hard, uint64_t soft, bool bytes)
{
    char h[NUM_LEN], s[NUM_LEN];
    const char *unit = bytes ? "" : " packets";

    if (bytes) {
        fmt_size_n(h, hard);
        fmt_size_n(s, soft);
    } else {
        snprintf(h, sizeof(h), "%" PRIu64, hard);
        snprintf(s, sizeof(s), "%" PRIu64, soft);
    }
    if (hard && soft)
        fprintf(out, "%s%s (soft %s)", h, unit, s);
    else if (hard)
        fprintf(out, "%s%s", h, unit);
    else
        fprintf(out, "soft %s%s", s, unit);
}

/* One line, only for an SA with a limit set or reached. */
static void put_lifetime(FILE *out, const cJSON *lt)
{
    uint64_t sb = 0, hb = 0, sp = 0, hp = 0;
    bool soft_expired = flag(lt, "soft_expired"), hard_expired = flag(lt, "hard_expired");
    const char *sep = "";

    count(lt, "soft_bytes", &sb);
    count(lt, "hard_bytes", &hb);
    count(lt, "soft_packets", &sp);
    count(lt, "hard_packets", &hp);
    if (!(sb | hb | sp | hp) && !soft_expired && !hard_expired)
        return;
    fputs("    lifetime: ", out);
    if (sb | hb) {
        put_limit(out, hb, sb, true);
        sep = ", ";
    }
    if (sp | hp) {
        fputs(sep, out);
        put_limit(out, hp, sp, false);
        sep = ", ";
    }
    if (hard_expired || soft_expired)
        fprintf(out, "%s%s limit reached", *sep ? "; " : "", hard_expired ? "hard" : "soft");
    fputc('\n', out);
}

/* "  in  c0de0001  1.2 KiB, 12 packets, seq 12, replay 12/64" and the
 * lifetime and drops of that SA below it. */
static void put_sa(FILE *out, const cJSON *sa)
{
    char bytes[NUM_LEN], packets[NUM_LEN], seq[NUM_LEN], seen[NUM_LEN], window[NUM_LEN];
    const cJSON *drops = cJSON_GetObjectItemCaseSensitive(sa, "drops");
    const char *dir = str(sa, "direction");
    uint64_t n;

    fprintf(out, "  %-3s %s  %s, %s %s, seq %s", dir, str(sa, "spi"), fmt_size(bytes, sa, "bytes"),
            fmt_count(packets, sa, "packets"),
            count(sa, "packets", &n) && n == 1 ? "packet" : "packets", fmt_count(seq, sa, "seq"));
    if (strcmp(dir, "in") == 0) {
        if (count(sa, "replay_window", &n) && n == 0)
            fputs(", replay off", out);
        else
            fprintf(out, ", replay %s/%s", fmt_count(seen, sa, "replay_seen"),
                    fmt_count(window, sa, "replay_window"));
    }
    fputc('\n', out);
    put_lifetime(out, cJSON_GetObjectItemCaseSensitive(sa, "lifetime"));
    if (has_drops(drops)) {
        fputs("    drops: ", out);
        put_drops(out, drops);
        fputc('\n', out);
    }
}

/* Whether sa, an entry of "sas", is a CHILD_SA listed under "ike_sas":
 * same direction and SPI. */
static bool is_ike_child(const cJSON *sa, const cJSON *ike_sas)
{
    const char *spi = str(sa, "spi"), *dir = str(sa, "direction");
    const char *key = strcmp(dir, "in") == 0    ? "spi_in"
                      : strcmp(dir, "out") == 0 ? "spi_out"
                                                : NULL;
    const cJSON *ike, *child;

    if (!key || strcmp(spi, "?") == 0)
        return false;
    cJSON_ArrayForEach(ike, ike_sas)
    {
        cJSON_ArrayForEach(child, cJSON_GetObjectItemCaseSensitive(ike, "children"))
        {
            if (strcmp(str(child, key), spi) == 0)
                return true;
        }
    }
    return false;
}

/* Fills rows from the list, but for the CHILD_SAs of IKE SAs (shown with
 * those); false when out of memory (rows freed by the caller). */
static bool collect_rows(const cJSON *sas, const cJSON *ike_sas, struct sa_row *rows)
{
    const cJSON *sa;
    size_t i = 0;

    cJSON_ArrayForEach(sa, sas)
    {
        struct sa_row *row = &rows[i];

        if (is_ike_child(sa, ike_sas))
            continue;
        row->sa = sa;
        row->index = i++;
        row->head = sa_head(sa);
        row->peers = dupf("%s === %s", str(sa, "local"), str(sa, "remote"));
        if (!row->head || !row->peers)
            return false;
    }
    return true;
}

static void free_rows(struct sa_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].head);
        free(rows[i].peers);
    }
    free(rows);
}

static size_t list_size(const cJSON *list)
{
    const cJSON *e;
    size_t n = 0;

    cJSON_ArrayForEach(e, list)
    {
        n++;
    }
    return n;
}

static size_t manual_count(const cJSON *sas, const cJSON *ike_sas)
{
    const cJSON *sa;
    size_t n = 0;

    cJSON_ArrayForEach(sa, sas)
    {
        n += !is_ike_child(sa, ike_sas);
    }
    return n;
}

/* The SAs set by hand, grouped; n of them. */
static const char *put_manual_sas(FILE *out, const cJSON *sas, const cJSON *ike_sas, size_t n)
{
    struct sa_row *rows = calloc(n, sizeof(*rows));
    size_t i;

    if (!rows || !collect_rows(sas, ike_sas, rows)) {
        free_rows(rows, rows ? n : 0);
        return "out of memory";
    }
    group_rows(rows, n);
    for (i = 0; i < n; i++) {
        if (i == 0 || rows[i].group != rows[i - 1].group)
            fprintf(out, "%s%s\n  %s\n", i ? "\n" : "", rows[i].head, rows[i].peers);
        put_sa(out, rows[i].sa);
    }
    free_rows(rows, n);
    return NULL;
}

static void put_ike_sa(FILE *out, const cJSON *ike);

const char *render_sas(const cJSON *r, FILE *out)
{
    const cJSON *sas = cJSON_GetObjectItemCaseSensitive(r, "sas");
    const cJSON *ike_sas = cJSON_GetObjectItemCaseSensitive(r, "ike_sas"), *ike;
    const char *fail, *sep = "";
    size_t n;

    if (!cJSON_IsArray(sas))
        return "daemon sent a malformed answer (\"sas\" is not a list)";
    if (ike_sas && !cJSON_IsArray(ike_sas))
        return "daemon sent a malformed answer (\"ike_sas\" is not a list)";
    n = manual_count(sas, ike_sas);
    if (n == 0 && list_size(ike_sas) == 0) {
        fputs("no SAs\n", out);
        return NULL;
    }
    if (n > 0) {
        fail = put_manual_sas(out, sas, ike_sas, n);
        if (fail)
            return fail;
        sep = "\n";
    }
    cJSON_ArrayForEach(ike, ike_sas)
    {
        fputs(sep, out);
        put_ike_sa(out, ike);
        sep = "\n";
    }
    return NULL;
}

/* ---- list-pols ---- */

enum { P_NAME, P_DIR, P_ACTION, P_PRIO, P_LOCAL, P_REMOTE, P_SPI, P_PACKETS, P_BYTES, P_COLS };

static const char *const pol_heads[P_COLS] = {"NAME",   "DIR", "ACTION",  "PRIO", "LOCAL",
                                              "REMOTE", "SPI", "PACKETS", "BYTES"};
static const bool pol_right[P_COLS] = {[P_PRIO] = true, [P_PACKETS] = true, [P_BYTES] = true};

/* The cells of one policy, on the heap; false when out of memory. */
static bool pol_cells(const cJSON *p, char **cells)
{
    const cJSON *spi = cJSON_GetObjectItemCaseSensitive(p, "spi");
    char prio[NUM_LEN], packets[NUM_LEN], bytes[NUM_LEN];
    const char *text[P_COLS] = {
        [P_NAME] = str(p, "name"),
        [P_DIR] = str(p, "direction"),
        [P_ACTION] = str(p, "action"),
        [P_PRIO] = fmt_count(prio, p, "priority"),
        [P_LOCAL] = str(p, "local_ts"),
        [P_REMOTE] = str(p, "remote_ts"),
        [P_SPI] = cJSON_IsNull(spi) ? "-" : str(p, "spi"),
        [P_PACKETS] = fmt_count(packets, p, "packets"),
        [P_BYTES] = fmt_size(bytes, p, "bytes"),
    };

    for (size_t c = 0; c < P_COLS; c++) {
        cells[c] = dupf("%s", text[c]);
        if (!cells[c])
            return false;
    }
    return true;
}

static void put_row(FILE *out, char *const *cells, const int *width)
{
    for (size_t c = 0; c < P_COLS; c++) {
        if (pol_right[c])
            fprintf(out, "%*s", width[c], cells[c]);
        else if (c + 1 < P_COLS)
            fprintf(out, "%-*s", width[c], cells[c]);
        else
            fputs(cells[c], out);
        fputs(c + 1 < P_COLS ? "  " : "\n", out);
    }
}

/* Row 0 holds the headings; rows 1..n the policies. */
static void put_table(FILE *out, char **cells, size_t rows)
{
    int width[P_COLS] = {0};

    for (size_t i = 0; i < rows * P_COLS; i++) {
        int len = (int)strlen(cells[i]);

        if (len > width[i % P_COLS])
            width[i % P_COLS] = len;
    }
    for (size_t i = 0; i < rows; i++)
        put_row(out, cells + i * P_COLS, width);
}

static const char *put_policies(FILE *out, const cJSON *pols, size_t n)
{
    char **cells = calloc((n + 1) * P_COLS, sizeof(*cells));
    const char *fail = "out of memory";
    const cJSON *p;
    size_t i = 1;

    if (!cells)
        return fail;
    for (size_t c = 0; c < P_COLS; c++)
        cells[c] = dupf("%s", pol_heads[c]);
    cJSON_ArrayForEach(p, pols)
    {
        if (!pol_cells(p, cells + i++ * P_COLS))
            goto out;
    }
    for (size_t c = 0; c < P_COLS; c++) {
        if (!cells[c])
            goto out;
    }
    put_table(out, cells, n + 1);
    fail = NULL;
out:
    for (i = 0; i < (n + 1) * P_COLS; i++)
        free(cells[i]);
    free(cells);
    return fail;
}

const char *render_policies(const cJSON *r, FILE *out)
{
    const cJSON *pols = cJSON_GetObjectItemCaseSensitive(r, "policies");
    const cJSON *drops = cJSON_GetObjectItemCaseSensitive(r, "drops");
    size_t n = list_size(pols);
    const char *fail;

    if (!cJSON_IsArray(pols))
        return "daemon sent a malformed answer (\"policies\" is not a list)";
    if (n == 0) {
        fputs("no policies\n", out);
    } else {
        fail = put_policies(out, pols, n);
        if (fail)
            return fail;
    }
    put_drops_line(out, "drops: ", drops);
    return NULL;
}

/* ---- IKE: list-sas, list-conns, initiate ---- */

/* A string, or a list of strings joined by sep ("?" for anything else,
 * "-" for an empty list). */
static void put_words(FILE *out, const cJSON *v, const char *sep)
{
    const cJSON *e;
    const char *s = "";

    if (cJSON_IsString(v)) {
        fputs(v->valuestring, out);
        return;
    }
    if (!cJSON_IsArray(v) || !v->child) {
        fputs(cJSON_IsArray(v) ? "-" : "?", out);
        return;
    }
    cJSON_ArrayForEach(e, v)
    {
        fprintf(out, "%s%s", s, cJSON_IsString(e) ? e->valuestring : "?");
        s = sep;
    }
}

/* "tunnel" as "TUNNEL"; at most len - 1 letters. */
static const char *upper(char *buf, size_t len, const char *s)
{
    size_t i;

    for (i = 0; s[i] && i + 1 < len; i++)
        buf[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 'a' + 'A') : s[i];
    buf[i] = '\0';
    return buf;
}

/* "    in  36cdaf36,    420 bytes,     5 packets", as swanctl. */
static void put_child_traffic(FILE *out, const cJSON *c, const char *dir)
{
    char key[16], num[NUM_LEN];

    snprintf(key, sizeof(key), "spi_%s", dir);
    fprintf(out, "    %-3s %s, ", dir, str(c, key));
    snprintf(key, sizeof(key), "bytes_%s", dir);
    fprintf(out, "%6s bytes, ", fmt_count(num, c, key));
    snprintf(key, sizeof(key), "packets_%s", dir);
    fprintf(out, "%5s packets\n", fmt_count(num, c, key));
}

static void put_ike_child(FILE *out, const cJSON *c)
{
    char mode[32], ago[NUM_LEN];

    fprintf(out, "  %s: %s, %s%s, ESP: %s\n", str(c, "name"), str(c, "state"),
            upper(mode, sizeof(mode), str(c, "mode")), flag(c, "encap") ? "-in-UDP" : "",
            str(c, "proposal"));
    if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(c, "installed")))
        fprintf(out, "    installed %s ago\n", fmt_duration(ago, c, "installed"));
    put_child_traffic(out, c, "in");
    put_child_traffic(out, c, "out");
    fputs("    local  ", out);
    put_words(out, cJSON_GetObjectItemCaseSensitive(c, "local_ts"), " ");
    fputs("\n    remote ", out);
    put_words(out, cJSON_GetObjectItemCaseSensitive(c, "remote_ts"), " ");
    fputc('\n', out);
}

/* "gcm256: #1, ESTABLISHED, IKEv2, bc96b16eed150b6c_i* ba2134bd38e32d12_r":
 * the star marks this host's side. */
static void put_ike_head(FILE *out, const cJSON *ike)
{
    const char *role = str(ike, "role");
    char id[NUM_LEN];

    fprintf(out, "%s: #%s, %s, IKEv2, %s_i%s %s_r%s\n", str(ike, "name"), fmt_count(id, ike, "id"),
            str(ike, "state"), str(ike, "spi_i"), strcmp(role, "initiator") == 0 ? "*" : "",
            str(ike, "spi_r"), strcmp(role, "responder") == 0 ? "*" : "");
}

static void put_ike_sa(FILE *out, const cJSON *ike)
{
    const char *prop = str(ike, "proposal");
    char port[NUM_LEN], ago[NUM_LEN];
    const cJSON *c;

    put_ike_head(out, ike);
    fprintf(out, "  local  '%s' @ %s[%s]\n", str(ike, "local_id"), str(ike, "local"),
            fmt_count(port, ike, "local_port"));
    fprintf(out, "  remote '%s' @ %s[%s]\n", str(ike, "remote_id"), str(ike, "remote"),
            fmt_count(port, ike, "remote_port"));
    if (*prop || flag(ike, "nat"))
        fprintf(out, "  %s%s%s\n", prop, *prop && flag(ike, "nat") ? ", " : "",
                flag(ike, "nat") ? "NAT-T" : "");
    if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(ike, "established")))
        fprintf(out, "  established %s ago\n", fmt_duration(ago, ike, "established"));
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(ike, "children"))
    {
        put_ike_child(out, c);
    }
}

/* "psk" as "pre-shared key", as swanctl says it. */
static const char *auth_words(const char *auth)
{
    if (strcmp(auth, "psk") == 0)
        return "pre-shared key";
    if (strcmp(auth, "pubkey") == 0)
        return "public key";
    return auth;
}

static void put_conn_child(FILE *out, const cJSON *c)
{
    char mode[16];

    fprintf(out, "  %s: %s, start_action %s\n", str(c, "name"),
            upper(mode, sizeof(mode), str(c, "mode")), str(c, "start_action"));
    fprintf(out, "    esp_proposals: %s\n    local:  ", str(c, "esp_proposals"));
    put_words(out, cJSON_GetObjectItemCaseSensitive(c, "local_ts"), " ");
    fputs("\n    remote: ", out);
    put_words(out, cJSON_GetObjectItemCaseSensitive(c, "remote_ts"), " ");
    fputc('\n', out);
}

static void put_conn(FILE *out, const cJSON *conn)
{
    const char *auth = auth_words(str(conn, "auth"));
    const cJSON *c;

    fprintf(out, "%s: IKEv2%s\n  local:  ", str(conn, "name"),
            flag(conn, "encap") ? ", UDP encapsulation forced" : "");
    put_words(out, cJSON_GetObjectItemCaseSensitive(conn, "local_addrs"), " ");
    fputs("\n  remote: ", out);
    put_words(out, cJSON_GetObjectItemCaseSensitive(conn, "remote_addrs"), " ");
    fprintf(out, "\n  proposals: %s\n", str(conn, "proposals"));
    fprintf(out, "  local %s authentication:\n    id: %s\n", auth, str(conn, "local_id"));
    fprintf(out, "  remote %s authentication:\n    id: %s\n", auth, str(conn, "remote_id"));
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(conn, "children"))
    {
        put_conn_child(out, c);
    }
}

const char *render_conns(const cJSON *r, FILE *out)
{
    const cJSON *conns = cJSON_GetObjectItemCaseSensitive(r, "conns"), *conn;

    if (!cJSON_IsArray(conns))
        return "daemon sent a malformed answer (\"conns\" is not a list)";
    if (!conns->child)
        fputs("no connections\n", out);
    cJSON_ArrayForEach(conn, conns)
    {
        put_conn(out, conn);
    }
    return NULL;
}

const char *render_initiate(const cJSON *r, FILE *out)
{
    char id[NUM_LEN];

    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r, "spi_in"))) {
        /* {"child":..,"status":"negotiating"}: the daemon could not keep
         * the request open, so it did not wait */
        fprintf(out,
                "initiate started: CHILD_SA %s is being negotiated, but uipsecd did not wait "
                "for it (see uipsecctl list-sas)\n",
                str(r, "child"));
        return NULL;
    }
    fprintf(
        out,
        "initiate completed: CHILD_SA %s installed over IKE SA %s[%s] (SPIs in %s, out %s; %s)\n",
        str(r, "child"), str(r, "ike"), fmt_count(id, r, "id"), str(r, "spi_in"), str(r, "spi_out"),
        str(r, "proposal"));
    return NULL;
}

/* ---- any result, and JSON ---- */

/* A member's value: strings as they are, anything else as compact JSON. */
static void put_value(FILE *out, const cJSON *v)
{
    char *text;

    if (cJSON_IsString(v)) {
        fputs(v->valuestring, out);
        return;
    }
    text = cJSON_PrintUnformatted(v);
    fputs(text ? text : "?", out);
    cJSON_free(text);
}

const char *render_fields(const cJSON *r, FILE *out)
{
    const cJSON *m;
    int width = 0;

    cJSON_ArrayForEach(m, r)
    {
        int len = m->string ? (int)strlen(m->string) : 1;

        if (len > width)
            width = len;
    }
    cJSON_ArrayForEach(m, r)
    {
        fprintf(out, "%s:%*s ", m->string ? m->string : "?",
                width - (m->string ? (int)strlen(m->string) : 1), "");
        put_value(out, m);
        fputc('\n', out);
    }
    return NULL;
}

static void json_scalar(const cJSON *item, FILE *out)
{
    char *text = cJSON_PrintUnformatted(item);

    fputs(text ? text : "null", out);
    cJSON_free(text);
}

static void json_key(const char *key, FILE *out)
{
    cJSON *s = cJSON_CreateStringReference(key ? key : "");

    json_scalar(s, out);
    cJSON_Delete(s);
    fputs(": ", out);
}

/* Depth is bounded by cJSON's parser (CJSON_NESTING_LIMIT). */
static void json_write(const cJSON *item, int depth, FILE *out)
{
    bool object = cJSON_IsObject(item);
    const cJSON *c;

    if (!object && !cJSON_IsArray(item)) {
        json_scalar(item, out);
        return;
    }
    fputc(object ? '{' : '[', out);
    for (c = item->child; c; c = c->next) {
        fprintf(out, "\n%*s", 2 * (depth + 1), "");
        if (object)
            json_key(c->string, out);
        json_write(c, depth + 1, out);
        if (c->next)
            fputc(',', out);
    }
    if (item->child)
        fprintf(out, "\n%*s", 2 * depth, "");
    fputc(object ? '}' : ']', out);
}

void render_json(const cJSON *item, FILE *out)
{
    json_write(item, 0, out);
    fputc('\n', out);
}

void render_sanitize_text(char *s)
{
    for (; s && *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
    }
}

void render_sanitize(cJSON *item)
{
    for (; item; item = item->next) {
        render_sanitize_text(item->string);
        if (cJSON_IsString(item))
            render_sanitize_text(item->valuestring);
        render_sanitize(item->child);
    }
}
