/* SPDX-License-Identifier: MIT */
/*
 * terminate's wait: each IKE SA is known by its unique id ("7"), each
 * CHILD_SA by its IKE SA's id and its inbound SPI ("7/c0de0001"), so that
 * a new SA of the same name is told apart from the one being deleted.
 */
#include "wait.h"

#include "client.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define KEY_LEN 48

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        continue;
}

static bool named(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "name");

    return cJSON_IsString(v) && strcmp(v->valuestring, name) == 0;
}

static void id_key(const cJSON *ike_sa, const cJSON *child, char *key)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(ike_sa, "id");
    const cJSON *spi = cJSON_GetObjectItemCaseSensitive(child, "spi_in");

    snprintf(key, KEY_LEN, "%.0f", cJSON_IsNumber(id) ? id->valuedouble : -1.0);
    if (child)
        snprintf(key + strlen(key), KEY_LEN - strlen(key), "/%.16s",
                 cJSON_IsString(spi) ? spi->valuestring : "?");
}

/* The keys of the SAs named name in a list-sas result; false when out of memory. */
static bool collect(const cJSON *result, bool ike, const char *name, cJSON *keys)
{
    const cJSON *sa, *child;
    char key[KEY_LEN];

    cJSON_ArrayForEach(sa, cJSON_GetObjectItemCaseSensitive(result, "ike_sas"))
    {
        const cJSON *children = ike ? NULL : cJSON_GetObjectItemCaseSensitive(sa, "children");

        if (ike && named(sa, name)) {
            id_key(sa, NULL, key);
            if (!cJSON_AddItemToArray(keys, cJSON_CreateString(key)))
                return false;
        }
        cJSON_ArrayForEach(child, children)
        {
            if (!named(child, name))
                continue;
            id_key(sa, child, key);
            if (!cJSON_AddItemToArray(keys, cJSON_CreateString(key)))
                return false;
        }
    }
    return true;
}

/* Whether a key of now is among those waited for. */
static bool any_left(const cJSON *waited, const cJSON *now)
{
    const cJSON *a, *b;

    cJSON_ArrayForEach(a, now)
    {
        cJSON_ArrayForEach(b, waited)
        {
            if (strcmp(a->valuestring, b->valuestring) == 0)
                return true;
        }
    }
    return false;
}

/* One list-sas; *keys the SAs named name in it. */
static enum gone list_keys(const char *path, bool ike, const char *name, cJSON **keys, char *err,
                           size_t err_len)
{
    cJSON *req = cJSON_CreateObject(), *result = NULL;
    enum ctl_status st = CTL_FAILED;

    *keys = cJSON_CreateArray();
    snprintf(err, err_len, "out of memory");
    if (req && *keys && cJSON_AddStringToObject(req, "command", "list-sas"))
        st = ctl_call(path, req, &result, err, err_len);
    cJSON_Delete(req);
    if (st == CTL_OK && !collect(result, ike, name, *keys)) {
        snprintf(err, err_len, "out of memory");
        st = CTL_FAILED;
    }
    cJSON_Delete(result);
    if (st == CTL_OK)
        return GONE_YES;
    cJSON_Delete(*keys);
    *keys = NULL;
    return st == CTL_REFUSED ? GONE_REFUSED : GONE_FAILED;
}

enum gone ctl_wait_gone(const char *path, bool ike, const char *name, int timeout_ms, char *err,
                        size_t err_len)
{
    long long deadline = now_ms() + timeout_ms;
    cJSON *waited = NULL, *now = NULL;
    enum gone g;

    for (;;) {
        long long left;

        g = list_keys(path, ike, name, &now, err, err_len);
        if (g != GONE_YES)
            break;
        if (!waited) {
            waited = now;
            now = NULL;
        }
        if (!any_left(waited, now ? now : waited))
            break;
        cJSON_Delete(now);
        now = NULL;
        left = deadline - now_ms();
        if (left <= 0) {
            snprintf(err, err_len,
                     "terminate: %s %s is still there after %d s; the DELETE may "
                     "finish later (see uipsecctl list-sas)",
                     ike ? "IKE SA" : "CHILD_SA", name, (timeout_ms + 999) / 1000);
            g = GONE_TIME_UP;
            break;
        }
        sleep_ms(left < CTL_POLL_MS ? left : CTL_POLL_MS);
    }
    cJSON_Delete(waited);
    cJSON_Delete(now);
    return g;
}
