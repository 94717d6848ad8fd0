/*
 * auth.h -- API tokens: roles, creation, verification, revocation.
 *
 * A token is "wnd_" followed by 32 random bytes in unpadded base64url (43
 * characters).  It is shown once, when it is created; the database keeps
 * only its keyed BLAKE2b hash (crypto_generichash, 32-byte key), so that a
 * copy of the database alone does not let anyone forge a lookup.  Tokens
 * are high-entropy, so a fast keyed hash is the right tool here, not a
 * password hash (crypto_pwhash would make every request a 64 MiB lever).
 *
 * The key is a struct wenda_auth, read from the file token.key next to the
 * database (mode 0600, created on first use).  It is immutable once open,
 * so one struct wenda_auth may be shared by every thread; the store it is
 * used with belongs to one thread, as always.
 *
 * Verification is a read: it works on a read-only store and changes
 * nothing.  Recording that a token was used is a separate write,
 * wenda_auth_touch(), which the server runs on its writer.
 *
 * No function here puts a token, or its hash, in a message.
 *
 * sodium_init() must have succeeded before any function of this module is
 * called (main() does it first thing).
 */
#ifndef WENDA_AUTH_H
#define WENDA_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "wenda/err.h"

struct wenda_store;

/* "wnd_" + 43 base64url characters. */
#define WENDA_TOKEN_PREFIX "wnd_"
#define WENDA_TOKEN_PREFIX_LEN 4
#define WENDA_TOKEN_LEN 47

/* Size of the hashing key, in bytes, and of the file that holds it. */
#define WENDA_AUTH_KEY_LEN 32

/* The name of the key file, in the directory of the database. */
#define WENDA_AUTH_KEY_FILE "token.key"

/* Longest token name, in characters; in bytes, at most four times as
 * many (UTF-8). */
#define WENDA_TOKEN_NAME_MAX 64
#define WENDA_TOKEN_NAME_BYTES (4 * WENDA_TOKEN_NAME_MAX)

/* Room for a time as stored: "2025-01-31T12:00:00Z" and its NUL. */
#define WENDA_AUTH_TIME_CAP 24

/* The longest lifetime a token may be given: 100 years, in seconds. */
#define WENDA_AUTH_MAX_EXPIRY ((int64_t)36500 * 24 * 60 * 60)

/* Roles, in increasing order of power: each may do what those below do. */
enum wenda_role {
    WENDA_ROLE_NONE,    /* no role: an anonymous request, or no such name */
    WENDA_ROLE_READER,
    WENDA_ROLE_EDITOR,
    WENDA_ROLE_ADMIN
};

/* The key of a data directory; opaque. */
struct wenda_auth;

/*
 * One token as the database describes it, never with the token or its
 * hash.  Times are UTC "YYYY-MM-DDTHH:MM:SSZ", or empty strings: for
 * expires_at when the token never expires, for last_used_at when it has
 * not been used, for revoked_at when it is not revoked.
 */
struct wenda_token_info {
    int64_t id;
    enum wenda_role role;
    char name[WENDA_TOKEN_NAME_BYTES + 1];
    char created_at[WENDA_AUTH_TIME_CAP];
    char expires_at[WENDA_AUTH_TIME_CAP];
    char last_used_at[WENDA_AUTH_TIME_CAP];
    char revoked_at[WENDA_AUTH_TIME_CAP];
    /*
     * Set by wenda_auth_verify(), static storage, safe to log: "ok",
     * "malformed", "unknown", "revoked", "expired", or "error" when the
     * lookup itself failed.
     */
    const char *reason;
};

/*
 * Returns the name of role ("reader", "editor", "admin"; "none" for
 * WENDA_ROLE_NONE and for values outside the enum); static storage.
 */
const char *wenda_auth_role_name(enum wenda_role role);

/*
 * Returns the role called s (exactly "reader", "editor" or "admin"), or
 * WENDA_ROLE_NONE for anything else, NULL included.
 */
enum wenda_role wenda_auth_role_parse(const char *s);

/*
 * Returns 1 when a holder of role have may do what needs role need, that
 * is when have is at least need; WENDA_ROLE_NONE has no power, so it only
 * satisfies a need of WENDA_ROLE_NONE.
 */
int wenda_auth_role_allows(enum wenda_role have, enum wenda_role need);

/*
 * Parses a token lifetime: "never" (0 in *seconds), or a whole number from
 * 1 followed by one unit, "d" (days), "h" (hours) or "m" (minutes): "30d",
 * "12h", "90m".  No sign, blank, leading zero or second unit is accepted,
 * and nothing longer than WENDA_AUTH_MAX_EXPIRY.  Returns WENDA_OK, or
 * WENDA_ERR_INVALID with *seconds unchanged.
 */
enum wenda_err wenda_auth_parse_expiry(const char *s, int64_t *seconds);

/*
 * Returns 1 when name may name a token: valid UTF-8 of at most
 * WENDA_TOKEN_NAME_MAX characters without control characters (the empty name
 * is allowed), else 0.  NULL is not a valid name.
 */
int wenda_auth_name_valid(const char *name);

/*
 * Writes into out (cap bytes) the path of the key file of the database at
 * db_path: WENDA_AUTH_KEY_FILE in the same directory ("data/wenda.db" gives
 * "data/token.key", "wenda.db" gives "token.key").  Returns WENDA_OK,
 * WENDA_ERR_INVALID for an empty db_path or one that names a directory
 * (ends in '/'), or WENDA_ERR_TOO_LARGE when the path does not fit.
 */
enum wenda_err wenda_auth_key_path_for_db(const char *db_path, char *out,
                                          size_t cap);

/*
 * Reads the hashing key from the file key_path into a new struct
 * wenda_auth (*out), which the caller releases with wenda_auth_close().
 * The key is kept in memory locked against swapping where the system
 * allows it, and wiped when closed.
 *
 * When the file does not exist and create is non-zero, a new random key is
 * written to it first, with O_CREAT|O_EXCL and mode 0600 (should another
 * process create it at the same moment, its key is read instead).  The
 * file is refused when it is not a regular file (symbolic links are not
 * followed), when group or others may read or write it, or when it does
 * not hold exactly WENDA_AUTH_KEY_LEN bytes.
 *
 * On failure *out is NULL and msg (msgcap bytes) says what is wrong for
 * the operator: WENDA_ERR_NOT_FOUND when the file is missing and create is
 * zero, WENDA_ERR_INVALID when the file is refused, WENDA_ERR_IO when it
 * cannot be read or written, WENDA_ERR_NOMEM.
 */
enum wenda_err wenda_auth_open(const char *key_path, int create,
                               struct wenda_auth **out, char *msg,
                               size_t msgcap);

/* Wipes and frees the key; NULL is fine. */
void wenda_auth_close(struct wenda_auth *a);

/*
 * Creates a token of role (reader, editor or admin) called name (see
 * wenda_auth_name_valid(); NULL is taken as "") that expires
 * expires_in_seconds from now, or never when that is 0.  Only the token's
 * hash is stored, in one INSERT on the writable store st (inside the
 * caller's transaction if one is open).
 *
 * On success writes the token, NUL-terminated, to token_out -- the only
 * time it is ever available: the caller shows it and then wipes it
 * (sodium_memzero) -- and its id to *id_out unless id_out is NULL.  On
 * failure token_out is wiped.  Returns WENDA_ERR_INVALID for a role, name
 * or expiry out of range (expires_in_seconds must be 0 to
 * WENDA_AUTH_MAX_EXPIRY) or a read-only store, WENDA_ERR_DB otherwise.
 */
enum wenda_err wenda_auth_token_create(struct wenda_auth *a,
                                       struct wenda_store *st,
                                       enum wenda_role role, const char *name,
                                       int64_t expires_in_seconds,
                                       char token_out[WENDA_TOKEN_LEN + 1],
                                       int64_t *id_out);

/* The bytes of a token's keyed hash, as stored. */
#define WENDA_AUTH_HASH_LEN 32

/*
 * Makes a new random token (written to token_out) and its hash under a's
 * key (hash_out), without storing anything: a cluster's leader mints a
 * token and puts only its hash in the log.
 */
void wenda_auth_token_mint(const struct wenda_auth *a,
                           char token_out[WENDA_TOKEN_LEN + 1],
                           unsigned char hash_out[WENDA_AUTH_HASH_LEN]);

/*
 * Stores a token by its hash, made at created and valid until expires
 * (NULL: never), both "YYYY-MM-DDTHH:MM:SSZ"; its id goes to *id_out.
 * WENDA_ERR_INVALID for a role, name or time out of range.
 */
enum wenda_err wenda_auth_token_insert(struct wenda_store *st,
                                       enum wenda_role role, const char *name,
                                       const unsigned char
                                           hash[WENDA_AUTH_HASH_LEN],
                                       const char *created,
                                       const char *expires, int64_t *id_out);

/* Writes now + offset seconds as "YYYY-MM-DDTHH:MM:SSZ". */
void wenda_auth_time(int64_t offset, char out[WENDA_AUTH_TIME_CAP]);

/* Copies a's key to out. */
void wenda_auth_key_get(struct wenda_auth *a,
                        unsigned char out[WENDA_AUTH_KEY_LEN]);

/*
 * Makes key a's key and replaces the key file at key_path with it (a new
 * file renamed into place), unless it is the key already.  On failure
 * writes why to msg and leaves both as they were.
 */
enum wenda_err wenda_auth_key_set(struct wenda_auth *a,
                                  const unsigned char key[WENDA_AUTH_KEY_LEN],
                                  const char *key_path, char *msg,
                                  size_t msgcap);

/*
 * Returns 1 when token has the form of a token: WENDA_TOKEN_PREFIX and 43
 * base64url characters ([A-Za-z0-9_-]), nothing else; else 0.
 */
int wenda_auth_token_well_formed(const char *token);

/*
 * Parses the value of an Authorization header, which must be "Bearer",
 * in any case, one or more spaces, and a well-formed token (see
 * wenda_auth_token_well_formed()), with nothing before or after but the
 * blanks (spaces and tabs) that HTTP allows around a field value.  Copies
 * the token, NUL-terminated, to token_out and returns WENDA_OK; returns
 * WENDA_ERR_INVALID, with token_out empty, for anything else (NULL
 * included).
 */
enum wenda_err wenda_auth_parse_bearer(const char *header_value,
                                       char token_out[WENDA_TOKEN_LEN + 1]);

/*
 * Checks token against the store: hashes it with the key, finds its row
 * by hash and compares the hashes with sodium_memcmp().  Reads only, so st
 * may be read-only; it does not record the use (see wenda_auth_touch()).
 *
 * Returns WENDA_OK when the token exists, is not revoked and has not
 * expired, with *info describing it (info->reason "ok").  Otherwise
 * info->reason says why, for a log line: WENDA_ERR_INVALID ("malformed")
 * when token does not have the form of a token, WENDA_ERR_NOT_FOUND when
 * it is "unknown", "revoked" or "expired" -- for the last two info->id and
 * info->name name the token, while info->role stays WENDA_ROLE_NONE --,
 * WENDA_ERR_DB when the lookup fails.
 */
enum wenda_err wenda_auth_verify(struct wenda_auth *a, struct wenda_store *st,
                                 const char *token,
                                 struct wenda_token_info *info);

/*
 * Records now as the time token id was last used, in one UPDATE on the
 * writable store st (inside the caller's transaction if one is open, so
 * that the writer can batch it with other writes).  Returns
 * WENDA_ERR_NOT_FOUND when there is no token id, WENDA_ERR_DB on failure.
 */
enum wenda_err wenda_auth_touch(struct wenda_store *st, int64_t id);

/*
 * Lists every token, revoked and expired ones included, by id, into a new
 * array *items of *n entries (NULL and 0 when there is none), which the
 * caller releases with wenda_auth_token_list_free().  reason is NULL in
 * each.  Returns WENDA_ERR_NOMEM or WENDA_ERR_DB on failure, leaving *items
 * NULL and *n 0.
 */
enum wenda_err wenda_auth_token_list(struct wenda_store *st,
                                     struct wenda_token_info **items,
                                     size_t *n);

/* Frees an array from wenda_auth_token_list(); NULL is fine. */
void wenda_auth_token_list_free(struct wenda_token_info *items);

/*
 * Revokes token id now, in one UPDATE on the writable store st, and tells
 * the process's readers (wenda_store_changed()).  Revocation cannot be
 * undone.  Returns WENDA_ERR_NOT_FOUND when there is no token id or it is
 * already revoked, WENDA_ERR_INVALID for a read-only store, WENDA_ERR_DB on
 * failure.
 */
enum wenda_err wenda_auth_token_revoke(struct wenda_store *st, int64_t id);

#endif /* WENDA_AUTH_H */
