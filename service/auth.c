/*
 * auth.c -- API tokens: the key file, token creation, the Bearer parser,
 * verification, listing and revocation.
 *
 * A token never touches the database or a message: it is hashed with the
 * data directory's key (crypto_generichash, keyed BLAKE2b) the moment it is
 * made or received, and only the hash is stored and looked up.  The lookup
 * is an equality on the UNIQUE index of tokens.hash; the row's hash is then
 * compared once more with sodium_memcmp(), so that the decision itself
 * takes the same time whatever the bytes.
 *
 * Token checks are per write request, not on the hot read path, so the
 * statements are prepared per call rather than cached in the store's
 * slots.  Expiry is compared as text: every time this module writes is
 * "YYYY-MM-DDTHH:MM:SSZ" in UTC, which sorts as it reads; a stored expiry
 * that is not of that form counts as expired.
 */
#include "wenda/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "wenda/content.h"
#include "wenda/store.h"
#include "store_int.h"

#define TIME_LEN 20   /* "2025-01-31T12:00:00Z" */
#define HASH_LEN 32   /* crypto_generichash_BYTES */
#define BODY_LEN (WENDA_TOKEN_LEN - WENDA_TOKEN_PREFIX_LEN)

struct wenda_auth {
    unsigned char key[WENDA_AUTH_KEY_LEN];
    int locked;   /* sodium_mlock() succeeded on key */
    /* Guards key, which a cluster node may be given once it joins (the
     * cluster's key, from the log); readers hash under it. */
    pthread_rwlock_t key_lock;
};

static const char *const role_names[] = {
    [WENDA_ROLE_NONE] = "none",
    [WENDA_ROLE_READER] = "reader",
    [WENDA_ROLE_EDITOR] = "editor",
    [WENDA_ROLE_ADMIN] = "admin",
};

static void format_time(int64_t offset, char out[WENDA_AUTH_TIME_CAP]);
static int time_valid(const char *s);
static int b64url_char(char c);
static void copy_col(sqlite3_stmt *s, int col, char *out, size_t cap);
static void token_hash(const struct wenda_auth *a, const char *token,
                       unsigned char out[HASH_LEN]);
static enum wenda_err read_key(int fd, const char *path,
                               unsigned char key[WENDA_AUTH_KEY_LEN],
                               char *msg, size_t msgcap);
static enum wenda_err create_key(const char *path,
                                 unsigned char key[WENDA_AUTH_KEY_LEN],
                                 char *msg, size_t msgcap);
static enum wenda_err write_done(sqlite3 *db, int step_rc);

/* ---- roles, names, lifetimes ------------------------------------------ */

const char *
wenda_auth_role_name(enum wenda_role role)
{
    if ((unsigned int)role >= sizeof(role_names) / sizeof(role_names[0]))
        return "none";
    return role_names[role];
}

enum wenda_role
wenda_auth_role_parse(const char *s)
{
    if (s == NULL)
        return WENDA_ROLE_NONE;
    if (strcmp(s, "reader") == 0)
        return WENDA_ROLE_READER;
    if (strcmp(s, "editor") == 0)
        return WENDA_ROLE_EDITOR;
    if (strcmp(s, "admin") == 0)
        return WENDA_ROLE_ADMIN;
    return WENDA_ROLE_NONE;
}

int
wenda_auth_role_allows(enum wenda_role have, enum wenda_role need)
{
    if ((unsigned int)have > WENDA_ROLE_ADMIN ||
        (unsigned int)need > WENDA_ROLE_ADMIN)
        return 0;
    return (unsigned int)have >= (unsigned int)need;
}

enum wenda_err
wenda_auth_parse_expiry(const char *s, int64_t *seconds)
{
    int64_t v = 0, unit;
    size_t i;

    if (s == NULL)
        return WENDA_ERR_INVALID;
    if (strcmp(s, "never") == 0) {
        *seconds = 0;
        return WENDA_OK;
    }
    if (s[0] < '1' || s[0] > '9')
        return WENDA_ERR_INVALID;
    for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
        v = v * 10 + (s[i] - '0');
        if (v > WENDA_AUTH_MAX_EXPIRY)
            return WENDA_ERR_INVALID;
    }
    switch (s[i]) {
    case 'd': unit = (int64_t)24 * 60 * 60; break;
    case 'h': unit = (int64_t)60 * 60; break;
    case 'm': unit = 60; break;
    default: return WENDA_ERR_INVALID;
    }
    if (s[i + 1] != '\0' || v > WENDA_AUTH_MAX_EXPIRY / unit)
        return WENDA_ERR_INVALID;
    *seconds = v * unit;
    return WENDA_OK;
}

int
wenda_auth_name_valid(const char *name)
{
    size_t i, n;

    if (name == NULL)
        return 0;
    n = strlen(name);
    if (!wenda_utf8_valid(name, n, NULL) ||
        wenda_utf8_chars(name, n) > WENDA_TOKEN_NAME_MAX)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];

        if (c < 0x20 || c == 0x7f)
            return 0;
    }
    return 1;
}

/* ---- the key ----------------------------------------------------------- */

enum wenda_err
wenda_auth_key_path_for_db(const char *db_path, char *out, size_t cap)
{
    const char *slash;
    size_t dirlen;
    int n;

    if (cap > 0)
        out[0] = '\0';
    if (db_path == NULL || db_path[0] == '\0')
        return WENDA_ERR_INVALID;
    slash = strrchr(db_path, '/');
    if (slash != NULL && slash[1] == '\0')
        return WENDA_ERR_INVALID;
    /* "wenda.db" lives in ".", "/wenda.db" in "/", "a/b.db" in "a". */
    dirlen = slash == NULL ? 0 : (size_t)(slash - db_path) + 1;
    if (dirlen > (size_t)0x7fffffff)
        return WENDA_ERR_TOO_LARGE;
    n = snprintf(out, cap, "%.*s%s", (int)dirlen, db_path,
                 WENDA_AUTH_KEY_FILE);
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            out[0] = '\0';
        return WENDA_ERR_TOO_LARGE;
    }
    return WENDA_OK;
}

/* Checks the open key file fd and reads its key. */
static enum wenda_err
read_key(int fd, const char *path, unsigned char key[WENDA_AUTH_KEY_LEN],
         char *msg, size_t msgcap)
{
    struct stat sb;
    size_t got = 0;

    if (fstat(fd, &sb) != 0) {
        (void)snprintf(msg, msgcap, "cannot stat token key %s: %s", path,
                       strerror(errno));
        return WENDA_ERR_IO;
    }
    if (!S_ISREG(sb.st_mode)) {
        (void)snprintf(msg, msgcap, "token key %s is not a regular file",
                       path);
        return WENDA_ERR_INVALID;
    }
    if ((sb.st_mode & 077) != 0) {
        (void)snprintf(msg, msgcap,
                       "token key %s is open to group or others (mode "
                       "%04o), refusing to use it: if nobody else can have "
                       "read it, 'chmod 600 %s'; otherwise delete it and "
                       "create every token again",
                       path, (unsigned int)(sb.st_mode & 07777), path);
        return WENDA_ERR_INVALID;
    }
    if (sb.st_size != WENDA_AUTH_KEY_LEN) {
        (void)snprintf(msg, msgcap,
                       "token key %s holds %lld bytes, not %d: it is "
                       "damaged; delete it and create every token again",
                       path, (long long)sb.st_size, WENDA_AUTH_KEY_LEN);
        return WENDA_ERR_INVALID;
    }
    while (got < WENDA_AUTH_KEY_LEN) {
        ssize_t r = read(fd, key + got, WENDA_AUTH_KEY_LEN - got);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            (void)snprintf(msg, msgcap, "cannot read token key %s: %s", path,
                           r < 0 ? strerror(errno) : "file is short");
            return WENDA_ERR_IO;
        }
        got += (size_t)r;
    }
    return WENDA_OK;
}

/* Makes the directory entry of path durable; a failure loses nothing
 * yet, so it is not reported. */
static void
sync_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    int dfd;

    if (slash == NULL)
        (void)snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        (void)snprintf(dir, sizeof(dir), "/");
    else
        (void)snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        (void)close(dfd);
    }
}

/*
 * Creates the key file at path (mode 0600) holding key, synced.
 * WENDA_ERR_CONFLICT when the file already exists.
 */
static enum wenda_err
write_key(const char *path, const unsigned char key[WENDA_AUTH_KEY_LEN],
          char *msg, size_t msgcap)
{
    size_t put = 0;
    int fd;

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
              0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return WENDA_ERR_CONFLICT;
        (void)snprintf(msg, msgcap, "cannot create token key %s: %s", path,
                       strerror(errno));
        return WENDA_ERR_IO;
    }
    while (put < WENDA_AUTH_KEY_LEN) {
        ssize_t w = write(fd, key + put, WENDA_AUTH_KEY_LEN - put);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        put += (size_t)w;
    }
    if (put < WENDA_AUTH_KEY_LEN || fsync(fd) != 0) {
        (void)snprintf(msg, msgcap, "cannot write token key %s: %s", path,
                       strerror(errno));
        (void)close(fd);
        (void)unlink(path);
        return WENDA_ERR_IO;
    }
    (void)close(fd);
    return WENDA_OK;
}

/*
 * Creates the key file at path with a new random key, which it also leaves
 * in key.  WENDA_ERR_CONFLICT when the file already exists.
 */
static enum wenda_err
create_key(const char *path, unsigned char key[WENDA_AUTH_KEY_LEN],
           char *msg, size_t msgcap)
{
    enum wenda_err rc;

    randombytes_buf(key, WENDA_AUTH_KEY_LEN);
    rc = write_key(path, key, msg, msgcap);
    if (rc != WENDA_OK) {
        sodium_memzero(key, WENDA_AUTH_KEY_LEN);
        return rc;
    }
    sync_dir(path);
    return WENDA_OK;
}

enum wenda_err
wenda_auth_open(const char *key_path, int create, struct wenda_auth **out,
                char *msg, size_t msgcap)
{
    struct wenda_auth *a;
    enum wenda_err rc;
    int fd;

    *out = NULL;
    if (msgcap > 0)
        msg[0] = '\0';
    a = calloc(1, sizeof(*a));
    if (a == NULL) {
        (void)snprintf(msg, msgcap, "out of memory");
        return WENDA_ERR_NOMEM;
    }
    /* Not fatal: RLIMIT_MEMLOCK may forbid it, and the key is wiped
     * either way. */
    a->locked = sodium_mlock(a->key, sizeof(a->key)) == 0;
    (void)pthread_rwlock_init(&a->key_lock, NULL);
    for (;;) {
        fd = open(key_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
            rc = read_key(fd, key_path, a->key, msg, msgcap);
            (void)close(fd);
            break;
        }
        if (errno == ELOOP) {
            (void)snprintf(msg, msgcap, "token key %s is a symbolic link, "
                           "refusing to use it", key_path);
            rc = WENDA_ERR_INVALID;
            break;
        }
        if (errno != ENOENT) {
            (void)snprintf(msg, msgcap, "cannot open token key %s: %s",
                           key_path, strerror(errno));
            rc = WENDA_ERR_IO;
            break;
        }
        if (!create) {
            (void)snprintf(msg, msgcap, "token key %s does not exist: no "
                           "token has been created for this database",
                           key_path);
            rc = WENDA_ERR_NOT_FOUND;
            break;
        }
        rc = create_key(key_path, a->key, msg, msgcap);
        if (rc != WENDA_ERR_CONFLICT)
            break;
        /* Someone else created it first: read theirs. */
    }
    if (rc != WENDA_OK) {
        wenda_auth_close(a);
        return rc;
    }
    *out = a;
    return WENDA_OK;
}

void
wenda_auth_close(struct wenda_auth *a)
{
    if (a == NULL)
        return;
    if (a->locked)
        (void)sodium_munlock(a->key, sizeof(a->key));   /* wipes too */
    else
        sodium_memzero(a->key, sizeof(a->key));
    (void)pthread_rwlock_destroy(&a->key_lock);
    free(a);
}

static void
token_hash(const struct wenda_auth *a, const char *token,
           unsigned char out[HASH_LEN])
{
    struct wenda_auth *m = (struct wenda_auth *)(uintptr_t)a;

    (void)pthread_rwlock_rdlock(&m->key_lock);
    (void)crypto_generichash(out, HASH_LEN, (const unsigned char *)token,
                             WENDA_TOKEN_LEN, a->key, sizeof(a->key));
    (void)pthread_rwlock_unlock(&m->key_lock);
}

void
wenda_auth_key_get(struct wenda_auth *a, unsigned char out[WENDA_AUTH_KEY_LEN])
{
    (void)pthread_rwlock_rdlock(&a->key_lock);
    memcpy(out, a->key, WENDA_AUTH_KEY_LEN);
    (void)pthread_rwlock_unlock(&a->key_lock);
}

enum wenda_err
wenda_auth_key_set(struct wenda_auth *a,
                   const unsigned char key[WENDA_AUTH_KEY_LEN],
                   const char *key_path, char *msg, size_t msgcap)
{
    char tmp[4096];
    unsigned char old[WENDA_AUTH_KEY_LEN];
    enum wenda_err rc;
    int same;

    wenda_auth_key_get(a, old);
    same = sodium_memcmp(old, key, WENDA_AUTH_KEY_LEN) == 0;
    sodium_memzero(old, sizeof(old));
    if (same)
        return WENDA_OK;
    if (snprintf(tmp, sizeof(tmp), "%s.new", key_path) >= (int)sizeof(tmp)) {
        (void)snprintf(msg, msgcap, "token key path too long");
        return WENDA_ERR_INVALID;
    }
    (void)unlink(tmp);
    rc = write_key(tmp, key, msg, msgcap);
    if (rc == WENDA_OK && rename(tmp, key_path) != 0) {
        (void)snprintf(msg, msgcap, "cannot replace token key %s: %s",
                       key_path, strerror(errno));
        (void)unlink(tmp);
        rc = WENDA_ERR_IO;
    }
    if (rc != WENDA_OK)
        return rc;
    sync_dir(key_path);
    (void)pthread_rwlock_wrlock(&a->key_lock);
    memcpy(a->key, key, WENDA_AUTH_KEY_LEN);
    (void)pthread_rwlock_unlock(&a->key_lock);
    return WENDA_OK;
}

/* ---- tokens ------------------------------------------------------------- */

/* Writes now + offset seconds as "YYYY-MM-DDTHH:MM:SSZ". */
static void
format_time(int64_t offset, char out[WENDA_AUTH_TIME_CAP])
{
    time_t t = time(NULL) + (time_t)offset;
    struct tm tm;

    if (offset == 0 && wenda_store_clock_now(out, WENDA_AUTH_TIME_CAP))
        return;

    if (gmtime_r(&t, &tm) == NULL ||
        strftime(out, WENDA_AUTH_TIME_CAP, "%Y-%m-%dT%H:%M:%SZ", &tm) !=
            TIME_LEN)
        (void)snprintf(out, WENDA_AUTH_TIME_CAP, "9999-12-31T23:59:59Z");
}

/* Returns 1 when s has the form "dddd-dd-ddTdd:dd:ddZ". */
static int
time_valid(const char *s)
{
    static const char form[] = "dddd-dd-ddTdd:dd:ddZ";
    size_t i;

    for (i = 0; form[i] != '\0'; i++) {
        if (form[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != form[i])
            return 0;
    }
    return s[i] == '\0';
}

static int
b64url_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int
wenda_auth_token_well_formed(const char *token)
{
    size_t i;

    if (token == NULL ||
        strncmp(token, WENDA_TOKEN_PREFIX, WENDA_TOKEN_PREFIX_LEN) != 0)
        return 0;
    for (i = WENDA_TOKEN_PREFIX_LEN; i < WENDA_TOKEN_LEN; i++)
        if (!b64url_char(token[i]))
            return 0;
    return token[WENDA_TOKEN_LEN] == '\0';
}

enum wenda_err
wenda_auth_parse_bearer(const char *header_value,
                        char token_out[WENDA_TOKEN_LEN + 1])
{
    const char *p = header_value;
    char token[WENDA_TOKEN_LEN + 1];
    size_t n;

    token_out[0] = '\0';
    if (p == NULL)
        return WENDA_ERR_INVALID;
    p += strspn(p, " \t");                  /* OWS before the value */
    if (strncasecmp(p, "Bearer", 6) != 0 || p[6] != ' ')
        return WENDA_ERR_INVALID;
    p += 6 + strspn(p + 6, " ");            /* 1*SP */
    n = strcspn(p, " \t");
    if (n != WENDA_TOKEN_LEN || p[n + strspn(p + n, " \t")] != '\0')
        return WENDA_ERR_INVALID;           /* OWS only after it */
    memcpy(token, p, n);
    token[n] = '\0';
    if (!wenda_auth_token_well_formed(token)) {
        sodium_memzero(token, sizeof(token));
        return WENDA_ERR_INVALID;
    }
    memcpy(token_out, token, sizeof(token));
    sodium_memzero(token, sizeof(token));
    return WENDA_OK;
}

/* Copies text column col of s into out (cap bytes), cut at a UTF-8
 * character boundary when it is too long; NULL gives "". */
static void
copy_col(sqlite3_stmt *s, int col, char *out, size_t cap)
{
    const unsigned char *v = sqlite3_column_text(s, col);
    size_t n = (size_t)sqlite3_column_bytes(s, col);

    if (v == NULL)
        n = 0;
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && (v[n] & 0xc0) == 0x80)
            n--;
    }
    if (n > 0)
        memcpy(out, v, n);
    out[n] = '\0';
}

/*
 * Finishes a write whose sqlite3_step() gave step_rc.  When the statement
 * committed on its own (no transaction of the caller's is open), the
 * process's readers are told.
 */
static enum wenda_err
write_done(sqlite3 *db, int step_rc)
{
    if (step_rc != SQLITE_DONE)
        return (step_rc & 0xff) == SQLITE_READONLY ? WENDA_ERR_INVALID
                                                   : WENDA_ERR_DB;
    if (sqlite3_get_autocommit(db))
        wenda_store_changed();
    return WENDA_OK;
}

void
wenda_auth_token_mint(const struct wenda_auth *a,
                      char token_out[WENDA_TOKEN_LEN + 1],
                      unsigned char hash_out[WENDA_AUTH_HASH_LEN])
{
    unsigned char raw[32];

    sodium_memzero(token_out, WENDA_TOKEN_LEN + 1);
    randombytes_buf(raw, sizeof(raw));
    (void)snprintf(token_out, WENDA_TOKEN_PREFIX_LEN + 1, "%s",
                   WENDA_TOKEN_PREFIX);
    (void)sodium_bin2base64(token_out + WENDA_TOKEN_PREFIX_LEN, BODY_LEN + 1,
                            raw, sizeof(raw),
                            sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
    token_hash(a, token_out, hash_out);
}

void
wenda_auth_time(int64_t offset, char out[WENDA_AUTH_TIME_CAP])
{
    format_time(offset, out);
}

enum wenda_err
wenda_auth_token_insert(struct wenda_store *st, enum wenda_role role,
                        const char *name,
                        const unsigned char hash[WENDA_AUTH_HASH_LEN],
                        const char *created, const char *expires,
                        int64_t *id_out)
{
    sqlite3 *db = wenda_store_db(st);
    sqlite3_stmt *s = NULL;
    enum wenda_err rc;

    if (name == NULL)
        name = "";
    if (role < WENDA_ROLE_READER || role > WENDA_ROLE_ADMIN ||
        !wenda_auth_name_valid(name) || !time_valid(created) ||
        (expires != NULL && !time_valid(expires)))
        return WENDA_ERR_INVALID;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO tokens(name, role, hash, created_at, "
                           "expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                           -1, &s, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    (void)sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    (void)sqlite3_bind_text(s, 2, wenda_auth_role_name(role), -1,
                            SQLITE_STATIC);
    (void)sqlite3_bind_blob(s, 3, hash, WENDA_AUTH_HASH_LEN, SQLITE_STATIC);
    (void)sqlite3_bind_text(s, 4, created, -1, SQLITE_STATIC);
    if (expires != NULL)
        (void)sqlite3_bind_text(s, 5, expires, -1, SQLITE_STATIC);
    else
        (void)sqlite3_bind_null(s, 5);
    rc = write_done(db, sqlite3_step(s));
    if (rc == WENDA_OK && id_out != NULL)
        *id_out = (int64_t)sqlite3_last_insert_rowid(db);
    sqlite3_finalize(s);
    return rc;
}

enum wenda_err
wenda_auth_token_create(struct wenda_auth *a, struct wenda_store *st,
                        enum wenda_role role, const char *name,
                        int64_t expires_in_seconds,
                        char token_out[WENDA_TOKEN_LEN + 1], int64_t *id_out)
{
    unsigned char hash[HASH_LEN];
    char created[WENDA_AUTH_TIME_CAP], expires[WENDA_AUTH_TIME_CAP];
    enum wenda_err rc;

    sodium_memzero(token_out, WENDA_TOKEN_LEN + 1);
    if (name == NULL)
        name = "";
    if (role < WENDA_ROLE_READER || role > WENDA_ROLE_ADMIN ||
        !wenda_auth_name_valid(name) || expires_in_seconds < 0 ||
        expires_in_seconds > WENDA_AUTH_MAX_EXPIRY)
        return WENDA_ERR_INVALID;

    wenda_auth_token_mint(a, token_out, hash);
    format_time(0, created);
    if (expires_in_seconds > 0)
        format_time(expires_in_seconds, expires);
    rc = wenda_auth_token_insert(st, role, name, hash, created,
                                 expires_in_seconds > 0 ? expires : NULL,
                                 id_out);
    sodium_memzero(hash, sizeof(hash));
    if (rc != WENDA_OK)
        sodium_memzero(token_out, WENDA_TOKEN_LEN + 1);
    return rc;
}

enum wenda_err
wenda_auth_verify(struct wenda_auth *a, struct wenda_store *st,
                  const char *token, struct wenda_token_info *info)
{
    sqlite3_stmt *s = NULL;
    unsigned char hash[HASH_LEN];
    char now[WENDA_AUTH_TIME_CAP];
    enum wenda_err rc;
    int step;

    memset(info, 0, sizeof(*info));
    info->role = WENDA_ROLE_NONE;
    info->reason = "malformed";
    if (!wenda_auth_token_well_formed(token))
        return WENDA_ERR_INVALID;
    token_hash(a, token, hash);
    if (sqlite3_prepare_v2(wenda_store_db(st),
                           "SELECT id, name, role, hash, created_at, "
                           "expires_at, revoked_at, last_used_at "
                           "FROM tokens WHERE hash = ?1",
                           -1, &s, NULL) != SQLITE_OK) {
        info->reason = "error";
        rc = WENDA_ERR_DB;
        goto cleanup;
    }
    (void)sqlite3_bind_blob(s, 1, hash, sizeof(hash), SQLITE_STATIC);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        const void *stored = sqlite3_column_blob(s, 3);

        if (stored == NULL || sqlite3_column_bytes(s, 3) != HASH_LEN ||
            sodium_memcmp(stored, hash, HASH_LEN) != 0)
            step = SQLITE_DONE;   /* not this token after all */
    }
    if (step == SQLITE_DONE) {
        info->reason = "unknown";
        rc = WENDA_ERR_NOT_FOUND;
        goto cleanup;
    }
    if (step != SQLITE_ROW) {
        info->reason = "error";
        rc = WENDA_ERR_DB;
        goto cleanup;
    }
    info->id = (int64_t)sqlite3_column_int64(s, 0);
    copy_col(s, 1, info->name, sizeof(info->name));
    copy_col(s, 4, info->created_at, sizeof(info->created_at));
    copy_col(s, 5, info->expires_at, sizeof(info->expires_at));
    copy_col(s, 6, info->revoked_at, sizeof(info->revoked_at));
    copy_col(s, 7, info->last_used_at, sizeof(info->last_used_at));
    format_time(0, now);
    rc = WENDA_ERR_NOT_FOUND;
    if (sqlite3_column_type(s, 6) != SQLITE_NULL) {
        info->reason = "revoked";
    } else if (sqlite3_column_type(s, 5) != SQLITE_NULL &&
               (!time_valid(info->expires_at) ||
                strcmp(now, info->expires_at) >= 0)) {
        info->reason = "expired";
    } else {
        char role[16];

        copy_col(s, 2, role, sizeof(role));
        info->role = wenda_auth_role_parse(role);
        /* The schema's CHECK forbids it; fail closed all the same. */
        info->reason = info->role == WENDA_ROLE_NONE ? "error" : "ok";
        rc = info->role == WENDA_ROLE_NONE ? WENDA_ERR_DB : WENDA_OK;
    }
cleanup:
    sqlite3_finalize(s);
    sodium_memzero(hash, sizeof(hash));
    return rc;
}

/*
 * Runs sql, an UPDATE of the token ?1 setting a time column to ?2 (now):
 * WENDA_ERR_NOT_FOUND when it changed no row.
 */
static enum wenda_err
stamp_token(struct wenda_store *st, int64_t id, const char *sql)
{
    sqlite3 *db = wenda_store_db(st);
    sqlite3_stmt *s = NULL;
    char now[WENDA_AUTH_TIME_CAP];
    enum wenda_err rc;

    format_time(0, now);
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    (void)sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
    (void)sqlite3_bind_text(s, 2, now, -1, SQLITE_STATIC);
    rc = write_done(db, sqlite3_step(s));
    if (rc == WENDA_OK && sqlite3_changes(db) == 0)
        rc = WENDA_ERR_NOT_FOUND;
    sqlite3_finalize(s);
    return rc;
}

enum wenda_err
wenda_auth_touch(struct wenda_store *st, int64_t id)
{
    return stamp_token(st, id,
                       "UPDATE tokens SET last_used_at = ?2 WHERE id = ?1");
}

enum wenda_err
wenda_auth_token_list(struct wenda_store *st, struct wenda_token_info **items,
                      size_t *n)
{
    struct wenda_token_info *v = NULL;
    sqlite3_stmt *s = NULL;
    size_t len = 0, cap = 0;
    enum wenda_err rc = WENDA_ERR_DB;
    int step;

    *items = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(wenda_store_db(st),
                           "SELECT id, name, role, created_at, expires_at, "
                           "last_used_at, revoked_at FROM tokens ORDER BY id",
                           -1, &s, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct wenda_token_info *t;
        char role[16];

        if (wenda_buf_reserve(&v, &cap, len, sizeof(*v), 8) != 0) {
            rc = WENDA_ERR_NOMEM;
            goto cleanup;
        }
        t = &v[len++];
        memset(t, 0, sizeof(*t));
        t->id = (int64_t)sqlite3_column_int64(s, 0);
        copy_col(s, 1, t->name, sizeof(t->name));
        copy_col(s, 2, role, sizeof(role));
        t->role = wenda_auth_role_parse(role);
        copy_col(s, 3, t->created_at, sizeof(t->created_at));
        copy_col(s, 4, t->expires_at, sizeof(t->expires_at));
        copy_col(s, 5, t->last_used_at, sizeof(t->last_used_at));
        copy_col(s, 6, t->revoked_at, sizeof(t->revoked_at));
    }
    if (step != SQLITE_DONE)
        goto cleanup;
    *items = v;
    *n = len;
    v = NULL;
    rc = WENDA_OK;
cleanup:
    sqlite3_finalize(s);
    free(v);
    return rc;
}

void
wenda_auth_token_list_free(struct wenda_token_info *items)
{
    free(items);
}

enum wenda_err
wenda_auth_token_revoke(struct wenda_store *st, int64_t id)
{
    return stamp_token(st, id,
                       "UPDATE tokens SET revoked_at = ?2 "
                       "WHERE id = ?1 AND revoked_at IS NULL");
}
