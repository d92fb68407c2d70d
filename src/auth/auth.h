/*
 * auth -- authentication: which roles exist and whether a password matches.
 *
 * With `authenticator: PasswordAuthenticator` a connection must pass a SASL
 * PLAIN exchange before it may run statements (the transport drives the
 * AUTHENTICATE / AUTH_RESPONSE / AUTH_SUCCESS messages). As Cassandra does,
 * the first start creates the superuser role `cassandra` with password
 * `cassandra` (bcrypt, 2^10 rounds). Role management statements (CREATE ROLE
 * ...) belong to the roles issue; until then the role table is loaded at
 * start and immutable, so any thread may read it.
 *
 * File: <data_file_directories[0]>/system/roles (text, written atomically):
 *   format 1
 *   <name> TAB <is_superuser 0|1> TAB <can_login 0|1> TAB <bcrypt hash>
 */
#ifndef RINGDB_AUTH_AUTH_H
#define RINGDB_AUTH_AUTH_H

#include <stddef.h>

#define AUTH_PASSWORD_AUTHENTICATOR "org.apache.cassandra.auth.PasswordAuthenticator"

/* Main thread, at start: authenticator is cfg's class name (prefix
 * stripped). Unknown authenticators are an error. 0 ok, -1 with err. */
int auth_global_init(const char *data_dir, const char *authenticator, char *err, size_t errsz);
void auth_global_shutdown(void);

/* 1 when clients must authenticate. */
int auth_required(void);

/* Checks a SASL PLAIN token (authzid NUL authcid NUL password). Blocking
 * (bcrypt): call it from a worker thread. On success returns 0 and copies
 * the role name into user; otherwise -1 with Cassandra's message in err. */
int auth_check_plain(const void *token, size_t n, char *user, size_t usersz, char *err,
                     size_t errsz);

#endif
