/* SPDX-License-Identifier: MIT */
/*
 * uipsecctl: the control CLI of uipsecd.  A command is one line of the table
 * below: its name, the request fields it takes as options, the function that
 * shows its result to people, and its help.  The exchange with the daemon is
 * in client.c, the output in render.c, the protocol in docs/CONTROL.md.
 */
#include "client.h"
#include "render.h"

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

struct command {
    const char *name;
    /* Request fields taken as options, space-separated: "child" is a
     * required --child NAME, "[ike]" an optional --ike NAME.  NULL: none. */
    const char *args;
    ctl_render_fn *render;
    const char *help;
};

static const struct command commands[] = {
    {"status", NULL, render_status, "Shows the daemon, its interface and its drop counters"},
    {"list-sas", NULL, render_sas, "Lists the SAs: traffic, replay windows, lifetimes, drops"},
    {"list-pols", NULL, render_policies, "Lists the security policies and the policy drops"},
    {"reload", NULL, render_fields, "Reads the configuration again and applies the changes"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

struct field {
    char name[FIELD_LEN];
    bool optional;
};

struct options {
    const char *socket;
    bool json;
    const struct command *cmd;
    struct field fields[MAX_FIELDS]; /* cmd->args, parsed */
    size_t n_fields;
    const char *values[MAX_FIELDS]; /* by field; NULL: not given */
};

/* Splits a command's args into fields.  The table is ours: a bad entry is a
 * bug, caught by assert. */
static size_t parse_args_spec(const char *spec, struct field *f)
{
    size_t n = 0;

    while (spec && *spec) {
        size_t len = strcspn(spec, " ");
        bool optional = spec[0] == '[';
        size_t name_len = len - (optional ? 2 : 0);

        assert(n < MAX_FIELDS && len > 0 && name_len > 0 && name_len < FIELD_LEN);
        assert(!optional || spec[len - 1] == ']');
        memcpy(f[n].name, spec + optional, name_len);
        f[n].name[name_len] = '\0';
        f[n].optional = optional;
        n++;
        spec += len;
        spec += strspn(spec, " ");
    }
    return n;
}

/* "initiate --child NAME [--ike NAME]" */
static void command_synopsis(const struct command *cmd, char *buf, size_t len)
{
    struct field f[MAX_FIELDS];
    size_t n = parse_args_spec(cmd->args, f), used;

    used = (size_t)snprintf(buf, len, "%s", cmd->name);
    for (size_t i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used,
                                 f[i].optional ? " [--%s NAME]" : " --%s NAME", f[i].name);
}

static void print_usage(FILE *out)
{
    char syn[N_COMMANDS][128];
    int width = 0;

    for (size_t i = 0; i < N_COMMANDS; i++) {
        command_synopsis(&commands[i], syn[i], sizeof(syn[i]));
        if ((int)strlen(syn[i]) > width)
            width = (int)strlen(syn[i]);
    }
    fprintf(out, "Usage: uipsecctl [--socket PATH] [--json] COMMAND [OPTIONS]\n\n"
                 "Talks to uipsecd over its control socket: PATH, else $" CTL_SOCKET_ENV
                 ",\nelse " CTL_DEFAULT_SOCKET ".\n\nCommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-*s  %s\n", width, syn[i], commands[i].help);
    fprintf(out, "\nOptions:\n"
                 "  --socket PATH  the daemon's control socket\n"
                 "  --json         print the daemon's result as JSON\n"
                 "  --help         this text; 'uipsecctl COMMAND --help' for one command\n"
                 "  --version      print the version of uipsecctl\n\n"
                 "Exit status: 0 done, 1 the daemon refused, 2 usage or connection error.\n");
}

static void print_command_usage(FILE *out, const struct command *cmd)
{
    char syn[128];

    command_synopsis(cmd, syn, sizeof(syn));
    fprintf(out, "Usage: uipsecctl [--socket PATH] [--json] %s\n\n%s.\n", syn, cmd->help);
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

/* The command's options from argv[i] on.  Returns as parse_global(). */
static int parse_command(int argc, char **argv, int i, struct options *o)
{
    const struct command *cmd = o->cmd;

    o->n_fields = parse_args_spec(cmd->args, o->fields);
    for (; i < argc; i++) {
        const char *a = argv[i];
        size_t k = find_field(o, a);

        if (is_help(a)) {
            print_command_usage(stdout, cmd);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (k == o->n_fields) {
            return usage_error(cmd, "%s: unknown %s '%s'", cmd->name,
                               a[0] == '-' ? "option" : "argument", a);
        } else if (o->values[k]) {
            return usage_error(cmd, "%s: %s given twice", cmd->name, a);
        } else if (i + 1 == argc) {
            return usage_error(cmd, "%s: %s needs a NAME", cmd->name, a);
        } else {
            o->values[k] = argv[++i];
        }
    }
    for (size_t k = 0; k < o->n_fields; k++) {
        if (!o->fields[k].optional && !o->values[k])
            return usage_error(cmd, "%s: missing --%s NAME", cmd->name, o->fields[k].name);
    }
    return -1;
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
    return req;
fail:
    cJSON_Delete(req);
    return NULL;
}

static int show(const struct options *o, cJSON *result)
{
    const char *fail = NULL;

    if (o->json) {
        render_json(result, stdout);
    } else {
        render_sanitize(result);
        fail = o->cmd->render(result, stdout);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "uipsecctl: cannot write the output: %s\n", strerror(errno));
        return CTL_FAILED;
    }
    if (fail) {
        fprintf(stderr, "uipsecctl: %s\n", fail);
        return CTL_FAILED;
    }
    return 0;
}

static int run(const struct options *o)
{
    char err[CTL_ERR_LEN];
    cJSON *req = build_request(o), *result = NULL;
    enum ctl_status status;
    int rc;

    if (!req) {
        fprintf(stderr, "uipsecctl: out of memory\n");
        return CTL_FAILED;
    }
    status = ctl_call(o->socket, req, &result, err, sizeof(err));
    cJSON_Delete(req);
    if (status != CTL_OK) {
        render_sanitize_text(err);
        fprintf(stderr, "%s: %s\n", status == CTL_REFUSED ? "uipsecd" : "uipsecctl", err);
        return status;
    }
    rc = show(o, result);
    cJSON_Delete(result);
    return rc;
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
    return run(&o);
}
