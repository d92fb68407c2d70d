/*
 * auth.c -- see auth.h.
 */
#include "auth/auth.h"
#include "storage/io.h"
#include "util/log.h"
#include "util/mem.h"

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct role {
    char name[256];
    int superuser, login;
    char hash[CRYPT_OUTPUT_SIZE];
};

static int enabled;
static struct role *roles;
static int n_roles;

int auth_required(void)
{
    return enabled;
}

static int add_role(const char *name, int su, int login, const char *hash)
{
    struct role *nr = mem_realloc(roles, sizeof(*nr) * (size_t)(n_roles + 1));
    if (!nr) return -1;
    roles = nr;
    struct role *r = &roles[n_roles++];
    memset(r, 0, sizeof(*r));
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->superuser = su;
    r->login = login;
    snprintf(r->hash, sizeof(r->hash), "%s", hash);
    return 0;
}

static int create_default(const char *path, char *err, size_t errsz)
{
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    struct crypt_data cd;
    memset(&cd, 0, sizeof(cd));
    if (!crypt_gensalt_rn("$2b$", 10, NULL, 0, salt, sizeof(salt))) {
        snprintf(err, errsz, "cannot make a bcrypt salt: %s", strerror(errno));
        return -1;
    }
    const char *h = crypt_r("cassandra", salt, &cd);
    if (!h || h[0] == '*') {
        snprintf(err, errsz, "bcrypt is not available");
        return -1;
    }
    char text[512];
    int n = snprintf(text, sizeof(text), "format 1\ncassandra\t1\t1\t%s\n", h);
    if (sio_write_file_atomic(path, text, (size_t)n) < 0) {
        snprintf(err, errsz, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    log_info("auth: created the default superuser role 'cassandra'");
    return add_role("cassandra", 1, 1, h);
}

int auth_global_init(const char *data_dir, const char *authenticator, char *err, size_t errsz)
{
    if (strcmp(authenticator, "AllowAllAuthenticator") == 0) return 0;
    if (strcmp(authenticator, "PasswordAuthenticator") != 0) {
        snprintf(err, errsz,
                 "authenticator: unsupported class '%s' (AllowAllAuthenticator or "
                 "PasswordAuthenticator)",
                 authenticator);
        return -1;
    }
    enabled = 1;
    char path[4200];
    snprintf(path, sizeof(path), "%s/system/roles", data_dir);
    uint8_t *data;
    size_t n;
    if (sio_read_file(path, 16u << 20, &data, &n) < 0) {
        if (errno != ENOENT) {
            snprintf(err, errsz, "cannot read %s: %s", path, strerror(errno));
            return -1;
        }
        return create_default(path, err, errsz);
    }
    data[n] = 0;
    char *save = NULL;
    int line_no = 0, rc = 0;
    for (char *line = strtok_r((char *)data, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        line_no++;
        if (line_no == 1) {
            if (strcmp(line, "format 1") != 0) {
                snprintf(err, errsz, "%s: unknown format '%s'", path, line);
                rc = -1;
                break;
            }
            continue;
        }
        char *f[4];
        int k = 0;
        for (char *tok = line; k < 4; k++) {
            f[k] = tok;
            char *tab = strchr(tok, '\t');
            if (!tab) {
                k++;
                break;
            }
            *tab = 0;
            tok = tab + 1;
        }
        if (k != 4) {
            snprintf(err, errsz, "%s:%d: corrupt role line", path, line_no);
            rc = -1;
            break;
        }
        if (add_role(f[0], atoi(f[1]), atoi(f[2]), f[3]) < 0) {
            snprintf(err, errsz, "out of memory");
            rc = -1;
            break;
        }
    }
    mem_free(data);
    return rc;
}

void auth_global_shutdown(void)
{
    mem_free(roles);
    roles = NULL;
    n_roles = 0;
    enabled = 0;
}

int auth_check_plain(const void *token, size_t n, char *user, size_t usersz, char *err,
                     size_t errsz)
{
    /* SASL PLAIN (RFC 4616): [authzid] NUL authcid NUL passwd */
    const char *p = token;
    const char *nul1 = n ? memchr(p, 0, n) : NULL;
    const char *nul2 = nul1 ? memchr(nul1 + 1, 0, n - (size_t)(nul1 + 1 - p)) : NULL;
    if (!nul1 || !nul2) {
        snprintf(err, errsz, "Authentication ID must not be null");
        return -1;
    }
    size_t ulen = (size_t)(nul2 - nul1 - 1), plen = n - (size_t)(nul2 + 1 - p);
    if (ulen == 0) {
        snprintf(err, errsz, "Authentication ID must not be null");
        return -1;
    }
    if (plen == 0) {
        snprintf(err, errsz, "Password must not be null");
        return -1;
    }
    char name[256], pass[512];
    snprintf(name, sizeof(name), "%.*s", (int)(ulen < 255 ? ulen : 255), nul1 + 1);
    snprintf(pass, sizeof(pass), "%.*s", (int)(plen < 511 ? plen : 511), nul2 + 1);
    const struct role *r = NULL;
    for (int i = 0; i < n_roles; i++)
        if (strcmp(roles[i].name, name) == 0) r = &roles[i];
    int ok = 0;
    if (r) {
        struct crypt_data *cd = mem_calloc(1, sizeof(*cd)); /* ~32 KiB: not on the stack */
        if (!cd) {
            snprintf(err, errsz, "Out of memory");
            return -1;
        }
        const char *h = crypt_r(pass, r->hash, cd);
        ok = h && strcmp(h, r->hash) == 0;
        mem_free(cd);
    }
    memset(pass, 0, sizeof(pass));
    if (!ok) {
        snprintf(err, errsz, "Provided username %s and/or password are incorrect", name);
        return -1;
    }
    if (!r->login) {
        snprintf(err, errsz, "%s is not permitted to log in", name);
        return -1;
    }
    snprintf(user, usersz, "%s", name);
    return 0;
}
