/* SPDX-License-Identifier: MIT */
/*
 * uipsecctl: the control CLI of uipsecd.  A command is one line of the table
 * below: its name, the request fields it takes as options, the function that
 * shows its result to people, and its help.  The exchange with the daemon is
 * in client.c, the output in render.c, the protocol in docs/CONTROL.md.
 */
#include "client.h"
#include "render.h"
#include "wait.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef UIPSEC_VERSION
#define UIPSEC_VERSION "unknown"
#endif

#define EXIT_USAGE CTL_FAILED
#define MAX_FIELDS 8
#define FIELD_LEN  32
#define SYN_LEN    128
#define SYN_COLUMN 20 /* longer synopses get their help on the next line */

/* --timeout SECONDS of a command that waits for the daemon to finish. */
struct wait {
    unsigned min, def, max; /* seconds */
    bool sent;              /* also sent as "timeout": SECONDS */
    const char *help;       /* the option's line in 'COMMAND --help' */
};

static const struct wait initiate_wait = {1, 30, 3599, true,
                                          "how long uipsecd waits, 1 to 3599 (default 30);\n"
                                          "                     uipsecctl waits 5 s more"};
static const struct wait terminate_wait = {
    0, 10, 3600, false,
    "how long to wait for the DELETE, 0 to 3600 (default 10);\n"
    "                     0: do not wait"};

struct options;
typedef int run_fn(const struct options *o);

struct command {
    const char *name;
    /* Request fields taken as options, space-separated: "child" is a
     * required --child NAME, "[ike]" an optional --ike NAME, "ike|child"
     * exactly one of --ike NAME and --child NAME.  NULL: none. */
    const char *args;
    const struct wait *wait; /* NULL: no --timeout */
    run_fn *run;             /* NULL: run_call() */
    ctl_render_fn *render;
    const char *help;
    const char *notes; /* more for 'COMMAND --help', or NULL */
};

static run_fn run_initiate, run_terminate;

static const struct command commands[] = {
    {"status", NULL, NULL, NULL, render_status,
     "Shows the daemon, its interface and its drop counters", NULL},
    {"list-sas", NULL, NULL, NULL, render_sas,
     "Lists the SAs: traffic, replay windows, lifetimes, drops", NULL},
    {"list-conns", NULL, NULL, NULL, render_conns,
     "Lists the IKE connections and their children as configured", NULL},
    {"list-pols", NULL, NULL, NULL, render_policies,
     "Lists the security policies and the policy drops", NULL},
    {"list-certs", NULL, NULL, NULL, render_certs,
     "Lists the certificates: validity, chain, the connections using them", NULL},
    {"initiate", "child", &initiate_wait, run_initiate, render_initiate,
     "Brings up the CHILD_SA NAME (and its IKE SA) and waits for it",
     "CHILD_SA names are unique across connections: NAME also chooses the IKE\n"
     "connection, so there is no --ike as in swanctl."},
    {"terminate", "ike|child", &terminate_wait, run_terminate, NULL,
     "Deletes an IKE SA with its CHILD_SAs, or a CHILD_SA, and waits",
     "Waits until the SAs named NAME that list-sas shows after the request are gone;\n"
     "one that comes up again meanwhile does not hold it up."},
    {"reload", NULL, NULL, NULL, render_fields,
     "Reads the configuration again and applies the changes", NULL},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

struct field {
    char name[FIELD_LEN];
    bool optional;
    unsigned group; /* 0, or the same number for "a|b": exactly one of them */
};

struct options {
    const char *socket;
    bool json;
    const struct command *cmd;
    struct field fields[MAX_FIELDS]; /* cmd->args, parsed */
    size_t n_fields;
    const char *values[MAX_FIELDS]; /* by field; NULL: not given */
    const char *timeout_arg;        /* --timeout as given; NULL: not given */
    unsigned timeout;               /* seconds, with cmd->wait */
};

/* Splits a command's args into fields.  The table is ours: a bad entry is a
 * bug, caught by assert. */
static size_t parse_args_spec(const char *spec, struct field *f)
{
    size_t n = 0;
    unsigned groups = 0;

    while (spec && *spec) {
        size_t len = strcspn(spec, " |");
        bool optional = spec[0] == '[';
        size_t name_len = len - (optional ? 2 : 0);

        assert(n < MAX_FIELDS && len > 0 && name_len > 0 && name_len < FIELD_LEN);
        assert(!optional || spec[len - 1] == ']');
        memcpy(f[n].name, spec + optional, name_len);
        f[n].name[name_len] = '\0';
        f[n].optional = optional;
        f[n].group = n > 0 && spec[-1] == '|' ? f[n - 1].group : 0;
        if (spec[len] == '|' && !f[n].group)
            f[n].group = ++groups;
        assert(!optional || !f[n].group);
        n++;
        spec += len;
        spec += strspn(spec, " |");
    }
    return n;
}

/* "--ike NAME | --child NAME" (sep " | ") for the group of field k. */
static void group_synopsis(const struct field *f, size_t n, size_t k, const char *sep, char *buf,
                           size_t len)
{
    size_t used = 0;

    for (size_t i = k; i < n && f[i].group == f[k].group && used < len; i++)
        used +=
            (size_t)snprintf(buf + used, len - used, "%s--%s NAME", i > k ? sep : "", f[i].name);
}

/* "initiate --child NAME [--timeout SECONDS]",
 * "terminate (--ike NAME | --child NAME) [--timeout SECONDS]" */
static void command_synopsis(const struct command *cmd, char *buf, size_t len)
{
    struct field f[MAX_FIELDS];
    size_t n = parse_args_spec(cmd->args, f), used;
    char group[SYN_LEN];

    used = (size_t)snprintf(buf, len, "%s", cmd->name);
    for (size_t i = 0; i < n && used < len; i++) {
        if (f[i].group && i > 0 && f[i - 1].group == f[i].group)
            continue;
        if (f[i].group) {
            group_synopsis(f, n, i, " | ", group, sizeof(group));
            used += (size_t)snprintf(buf + used, len - used, " (%s)", group);
        } else {
            used += (size_t)snprintf(buf + used, len - used,
                                     f[i].optional ? " [--%s NAME]" : " --%s NAME", f[i].name);
        }
    }
    if (cmd->wait && used < len)
        snprintf(buf + used, len - used, " [--timeout SECONDS]");
}

static void print_usage(FILE *out)
{
    char syn[N_COMMANDS][SYN_LEN];
    int width = 0;

    for (size_t i = 0; i < N_COMMANDS; i++) {
        int len;

        command_synopsis(&commands[i], syn[i], sizeof(syn[i]));
        len = (int)strlen(syn[i]);
        if (len <= SYN_COLUMN && len > width)
            width = len;
    }
    fprintf(out, "Usage: uipsecctl [--socket PATH] [--json] COMMAND [OPTIONS]\n\n"
                 "Talks to uipsecd over its control socket: PATH, else $" CTL_SOCKET_ENV
                 ",\nelse " CTL_DEFAULT_SOCKET ".\n\nCommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if ((int)strlen(syn[i]) > width)
            fprintf(out, "  %s\n  %*s  %s\n", syn[i], width, "", commands[i].help);
        else
            fprintf(out, "  %-*s  %s\n", width, syn[i], commands[i].help);
    }
    fprintf(out, "\nOptions:\n"
                 "  --socket PATH  the daemon's control socket\n"
                 "  --json         print the daemon's result as JSON\n"
                 "  --help         this text; 'uipsecctl COMMAND --help' for one command\n"
                 "  --version      print the version of uipsecctl\n\n"
                 "Exit status: 0 done, 1 the daemon refused or did not finish in time,\n"
                 "2 usage or connection error.\n");
}

static void print_command_usage(FILE *out, const struct command *cmd)
{
    char syn[SYN_LEN];

    command_synopsis(cmd, syn, sizeof(syn));
    fprintf(out, "Usage: uipsecctl [--socket PATH] [--json] %s\n\n%s.\n", syn, cmd->help);
    if (cmd->wait)
        fprintf(out, "\n  --timeout SECONDS  %s\n", cmd->wait->help);
    if (cmd->notes)
        fprintf(out, "\n%s\n", cmd->notes);
}

/* Reports a mistake on the command line; cmd NULL for the global options. */
__attribute__((format(printf, 2, 3))) static int usage_error(const struct command *cmd,
                                                             const char *fmt, ...)
{
    va_list ap;

    fputs("uipsecctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'uipsecctl %s%s--help'.\n", cmd ? cmd->name : "", cmd ? " " : "");
    return EXIT_USAGE;
}

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    }
    return NULL;
}

static bool is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* Options before COMMAND, and COMMAND.  Returns an exit status, or -1 to go
 * on with the command's own options from *next. */
static int parse_global(int argc, char **argv, struct options *o, int *next)
{
    int i;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];

        if (is_help(a)) {
            print_usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("uipsecctl %s\n", UIPSEC_VERSION);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strcmp(a, "--socket") == 0 && i + 1 < argc) {
            o->socket = argv[++i];
        } else if (strncmp(a, "--socket=", 9) == 0) {
            o->socket = a + 9;
        } else {
            return usage_error(
                NULL, strcmp(a, "--socket") == 0 ? "%s needs a PATH" : "unknown option '%s'", a);
        }
    }
    if (i == argc)
        return usage_error(NULL, "no COMMAND given");
    o->cmd = find_command(argv[i]);
    if (!o->cmd)
        return usage_error(NULL, "unknown command '%s'", argv[i]);
    *next = i + 1;
    return -1;
}

static size_t find_field(const struct options *o, const char *arg)
{
    size_t k;

    for (k = 0; k < o->n_fields; k++) {
        if (strncmp(arg, "--", 2) == 0 && strcmp(arg + 2, o->fields[k].name) == 0)
            break;
    }
    return k;
}

/* --timeout's value: a whole number of seconds within the command's limits. */
static int parse_timeout(struct options *o)
{
    const struct wait *w = o->cmd->wait;
    const char *a = o->timeout_arg;
    unsigned long v = 0;
    char *end = NULL;

    o->timeout = w->def;
    if (!a)
        return -1;
    errno = 0;
    if (a[0] >= '0' && a[0] <= '9')
        v = strtoul(a, &end, 10);
    if (!end || *end || errno || v < w->min || v > w->max)
        return usage_error(o->cmd,
                           "%s: --timeout takes SECONDS, a whole number from %u to %u, "
                           "not '%s'",
                           o->cmd->name, w->min, w->max, a);
    o->timeout = (unsigned)v;
    return -1;
}

/* Required fields and "a|b" groups, once all options are read. */
static int check_fields(const struct options *o)
{
    const struct command *cmd = o->cmd;
    char group[SYN_LEN];

    for (size_t k = 0; k < o->n_fields; k++) {
        const struct field *f = &o->fields[k];
        size_t given = 0;

        if (!f->group) {
            if (!f->optional && !o->values[k])
                return usage_error(cmd, "%s: missing --%s NAME", cmd->name, f->name);
            continue;
        }
        if (k > 0 && o->fields[k - 1].group == f->group)
            continue;
        for (size_t i = k; i < o->n_fields && o->fields[i].group == f->group; i++)
            given += o->values[i] != NULL;
        if (given != 1) {
            group_synopsis(o->fields, o->n_fields, k, " or ", group, sizeof(group));
            return usage_error(cmd, given ? "%s: give %s, not both" : "%s: missing %s", cmd->name,
                               group);
        }
    }
    return -1;
}

/* Stores the value of option a (argv[i]) in *slot; returns as parse_global(). */
static int take_value(const struct command *cmd, const char **slot, int argc, char **argv, int *i,
                      const char *what)
{
    const char *a = argv[*i];

    if (*slot)
        return usage_error(cmd, "%s: %s given twice", cmd->name, a);
    if (*i + 1 == argc)
        return usage_error(cmd, "%s: %s needs %s", cmd->name, a, what);
    *slot = argv[++*i];
    return -1;
}

/* The command's options from argv[i] on.  Returns as parse_global(). */
static int parse_command(int argc, char **argv, int i, struct options *o)
{
    const struct command *cmd = o->cmd;
    int rc = -1;

    o->n_fields = parse_args_spec(cmd->args, o->fields);
    for (; i < argc && rc < 0; i++) {
        const char *a = argv[i];
        size_t k = find_field(o, a);

        if (is_help(a)) {
            print_command_usage(stdout, cmd);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (cmd->wait && strcmp(a, "--timeout") == 0) {
            rc = take_value(cmd, &o->timeout_arg, argc, argv, &i, "SECONDS");
        } else if (k < o->n_fields) {
            rc = take_value(cmd, &o->values[k], argc, argv, &i, "a NAME");
        } else {
            return usage_error(cmd, "%s: unknown %s '%s'%s", cmd->name,
                               a[0] == '-' ? "option" : "argument", a,
                               strcmp(a, "--ike") == 0 && o->n_fields == 1 &&
                                       strcmp(o->fields[0].name, "child") == 0
                                   ? " (--child NAME alone chooses the connection)"
                                   : "");
        }
    }
    if (rc < 0)
        rc = check_fields(o);
    if (rc < 0 && cmd->wait)
        rc = parse_timeout(o);
    return rc;
}

/* {"command":"NAME", FIELD: VALUE, ...}; NULL when out of memory. */
static cJSON *build_request(const struct options *o)
{
    cJSON *req = cJSON_CreateObject();

    if (!req || !cJSON_AddStringToObject(req, "command", o->cmd->name))
        goto fail;
    for (size_t k = 0; k < o->n_fields; k++) {
        if (o->values[k] && !cJSON_AddStringToObject(req, o->fields[k].name, o->values[k]))
            goto fail;
    }
    if (o->cmd->wait && o->cmd->wait->sent &&
        !cJSON_AddNumberToObject(req, "timeout", (double)o->timeout))
        goto fail;
    return req;
fail:
    cJSON_Delete(req);
    return NULL;
}

/* Flushes stdout; an exit status. */
static int output_done(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "uipsecctl: cannot write the output: %s\n", strerror(errno));
        return CTL_FAILED;
    }
    return 0;
}

/* Writes the result with the command's renderer, or as JSON with --json. */
static int show(const struct options *o, cJSON *result)
{
    const char *fail = NULL;
    int rc;

    if (o->json) {
        render_json(result, stdout);
    } else {
        render_sanitize(result);
        fail = o->cmd->render(result, stdout);
    }
    rc = output_done();
    if (rc == 0 && fail) {
        fprintf(stderr, "uipsecctl: %s\n", fail);
        rc = CTL_FAILED;
    }
    return rc;
}

/* Sends the request; *result is the result (CTL_OK), else the message is out. */
static enum ctl_status call(const struct options *o, cJSON **result)
{
    const struct wait *w = o->cmd->wait;
    int timeout_ms = w && w->sent ? (int)o->timeout * 1000 + CTL_WAIT_GRACE_MS : CTL_TIMEOUT_MS;
    char err[CTL_ERR_LEN];
    cJSON *req = build_request(o);
    enum ctl_status status;

    *result = NULL;
    if (!req) {
        fprintf(stderr, "uipsecctl: out of memory\n");
        return CTL_FAILED;
    }
    status = ctl_call_within(o->socket, req, timeout_ms, result, err, sizeof(err));
    cJSON_Delete(req);
    if (status != CTL_OK) {
        render_sanitize_text(err);
        fprintf(stderr, "%s: %s\n", status == CTL_REFUSED ? "uipsecd" : "uipsecctl", err);
    }
    return status;
}

/* One request, its result shown. */
static int run_call(const struct options *o)
{
    cJSON *result;
    enum ctl_status status = call(o, &result);
    int rc;

    if (status != CTL_OK)
        return status;
    rc = show(o, result);
    cJSON_Delete(result);
    return rc;
}

/* initiate: as run_call(), but an answer without the CHILD_SA (uipsecd could
 * not keep the request open, so it did not wait) is not a success. */
static int run_initiate(const struct options *o)
{
    cJSON *result;
    enum ctl_status status = call(o, &result);
    bool installed;
    int rc;

    if (status != CTL_OK)
        return status;
    installed = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(result, "spi_in"));
    rc = show(o, result);
    cJSON_Delete(result);
    return rc == 0 && !installed ? CTL_REFUSED : rc;
}

/* terminate: the request, then list-sas until what it names is gone. */
static int run_terminate(const struct options *o)
{
    bool ike = o->values[0] != NULL; /* fields: ike|child */
    const char *what = ike ? "IKE SA" : "CHILD_SA", *name = ike ? o->values[0] : o->values[1];
    char err[CTL_ERR_LEN];
    cJSON *result;
    enum ctl_status status = call(o, &result);
    enum gone gone = GONE_YES;

    if (status != CTL_OK)
        return status;
    if (o->timeout > 0)
        gone = ctl_wait_gone(o->socket, ike, name, (int)o->timeout * 1000, err, sizeof(err));
    if (gone != GONE_YES) {
        cJSON_Delete(result);
        render_sanitize_text(err);
        fprintf(stderr, "uipsecctl: %s%s\n",
                gone == GONE_FAILED    ? "terminate sent, but list-sas failed: "
                : gone == GONE_REFUSED ? "terminate sent, but uipsecd refused list-sas: "
                                       : "",
                err);
        return gone == GONE_FAILED ? CTL_FAILED : CTL_REFUSED;
    }
    if (o->json)
        render_json(result, stdout);
    else if (o->timeout > 0)
        printf("terminate completed: %s %s deleted\n", what, name);
    else
        printf("terminate started: %s %s is being deleted (--timeout 0: not waiting)\n", what,
               name);
    cJSON_Delete(result);
    return output_done();
}

int main(int argc, char **argv)
{
    struct options o = {0};
    const char *env = getenv(CTL_SOCKET_ENV);
    int next = 0, rc;

    rc = parse_global(argc, argv, &o, &next);
    if (rc < 0)
        rc = parse_command(argc, argv, next, &o);
    if (rc >= 0)
        return rc;
    if (!o.socket)
        o.socket = env && *env ? env : CTL_DEFAULT_SOCKET;
    return o.cmd->run ? o.cmd->run(&o) : run_call(&o);
}
