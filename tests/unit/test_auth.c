/*
 * test_auth.c -- API tokens: their form, the key file, hashing, the Bearer
 * parser, verification, expiry, revocation and listing.
 *
 * Every test gets a private temporary directory (the suite's .init) with a
 * new, migrated database and a key file next to it, both through the
 * module's own calls.  What the database holds is checked with plain
 * sqlite3 on the file and by reading the file's bytes, so that the store
 * cannot vouch for itself.  Expiry is tested by writing an expiry in the
 * past straight into the row: the module reads the clock, and a test should
 * not sleep.
 */
#include <errno.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "wenda/auth.h"
#include "wenda/store.h"

#include "testutil.h"

#define PATH_CAP TESTUTIL_PATH_CAP

static char tmp_dir[PATH_CAP];    /* private temporary directory */
static char db_path[PATH_CAP];    /* tmp_dir/wenda.db */
static char key_path[PATH_CAP];   /* tmp_dir/token.key */
static struct wenda_store *store; /* writable, migrated */
static struct wenda_auth *auth;   /* the key of tmp_dir */

/* ---- helpers ---------------------------------------------------------- */

static void
setup(void)
{
    char msg[512];
    enum wenda_err rc;

    cr_assert_geq(sodium_init(), 0, "sodium_init failed");
    testutil_make_temp_dir(tmp_dir, sizeof(tmp_dir), "auth");
    testutil_join(db_path, sizeof(db_path), tmp_dir, "wenda.db");
    cr_assert_eq(wenda_auth_key_path_for_db(db_path, key_path,
                                            sizeof(key_path)),
                 WENDA_OK);
    rc = wenda_store_open(db_path, WENDA_STORE_CREATE, &store, msg,
                          sizeof(msg));
    cr_assert_eq(rc, WENDA_OK, "store: %s: %s", wenda_err_name(rc), msg);
    rc = wenda_auth_open(key_path, 1, &auth, msg, sizeof(msg));
    cr_assert_eq(rc, WENDA_OK, "key: %s: %s", wenda_err_name(rc), msg);
}

static void
teardown(void)
{
    wenda_auth_close(auth);
    auth = NULL;
    wenda_store_close(store);
    store = NULL;
    testutil_remove_tree(tmp_dir);
}

TestSuite(auth, .init = setup, .fini = teardown);

/* Creates a token of role named name that never expires; returns its id. */
static int64_t
make_token(enum wenda_role role, const char *name,
           char token[WENDA_TOKEN_LEN + 1])
{
    int64_t id = 0;
    enum wenda_err rc;

    rc = wenda_auth_token_create(auth, store, role, name, 0, token, &id);
    cr_assert_eq(rc, WENDA_OK, "create: %s", wenda_err_name(rc));
    cr_assert_gt(id, 0);
    return id;
}

/* Runs sql, whose ?1 is id, on the database file with plain sqlite3. */
static void
exec_on_file(const char *sql, int64_t id)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;

    cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK,
                 "%s: %s", sql, sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_bind_int64(s, 1, id), SQLITE_OK);
    cr_assert_eq(sqlite3_step(s), SQLITE_DONE, "%s: %s", sql,
                 sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_changes(db), 1, "%s changed no row", sql);
    sqlite3_finalize(s);
    cr_assert_eq(sqlite3_close(db), SQLITE_OK);
}

/* Returns 1 when needle occurs in hay[0..n). */
static int
has_bytes(const void *hay, size_t n, const char *needle)
{
    return hay != NULL && memmem(hay, n, needle, strlen(needle)) != NULL;
}

/* Returns 1 when the database file or its WAL holds needle. */
static int
db_files_hold(const char *needle)
{
    static const char *const suffixes[] = {"", "-wal", "-journal"};
    char path[PATH_CAP];
    size_t i;
    int found = 0;

    for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        size_t len = 0;
        char *bytes;

        (void)snprintf(path, sizeof(path), "%s%s", db_path, suffixes[i]);
        bytes = testutil_slurp(path, &len);
        found |= has_bytes(bytes, len, needle);
        free(bytes);
    }
    return found;
}

static void
write_key_file(const char *path, size_t len, mode_t mode)
{
    char bytes[64] = {0};

    cr_assert_leq(len, sizeof(bytes));
    (void)unlink(path);
    testutil_spit(path, bytes, len);
    cr_assert_eq(chmod(path, mode), 0, "chmod: %s", strerror(errno));
}

/* Asserts that wenda_auth_open() refuses key file path with rc and a
 * message that contains what. */
static void
assert_key_refused(const char *path, enum wenda_err want, const char *what)
{
    struct wenda_auth *a = (struct wenda_auth *)1;
    char msg[512];
    enum wenda_err rc = wenda_auth_open(path, 1, &a, msg, sizeof(msg));

    cr_assert_eq(rc, want, "open gave %s, not %s (%s)", wenda_err_name(rc),
                 wenda_err_name(want), msg);
    cr_assert_null(a, "a refused key still gave a struct");
    cr_assert_not_null(strstr(msg, what), "the message '%s' does not say "
                       "'%s'", msg, what);
    cr_assert_not_null(strstr(msg, path), "the message '%s' does not name "
                       "the file", msg);
}

/* ---- roles, lifetimes, names ---------------------------------------- */

Test(auth, names_and_parses_the_three_roles)
{
    static const enum wenda_role roles[] = {
        WENDA_ROLE_READER, WENDA_ROLE_EDITOR, WENDA_ROLE_ADMIN};
    size_t i;

    for (i = 0; i < 3; i++)
        cr_assert_eq(wenda_auth_role_parse(wenda_auth_role_name(roles[i])),
                     roles[i]);
    cr_assert_str_eq(wenda_auth_role_name(WENDA_ROLE_NONE), "none");
    cr_assert_str_eq(wenda_auth_role_name((enum wenda_role)42), "none");
    cr_assert_eq(wenda_auth_role_parse("boss"), WENDA_ROLE_NONE);
    cr_assert_eq(wenda_auth_role_parse("Admin"), WENDA_ROLE_NONE);
    cr_assert_eq(wenda_auth_role_parse("none"), WENDA_ROLE_NONE);
    cr_assert_eq(wenda_auth_role_parse(""), WENDA_ROLE_NONE);
    cr_assert_eq(wenda_auth_role_parse(NULL), WENDA_ROLE_NONE);
}

Test(auth, orders_roles_reader_below_editor_below_admin)
{
    cr_assert(wenda_auth_role_allows(WENDA_ROLE_ADMIN, WENDA_ROLE_EDITOR));
    cr_assert(wenda_auth_role_allows(WENDA_ROLE_EDITOR, WENDA_ROLE_EDITOR));
    cr_assert(wenda_auth_role_allows(WENDA_ROLE_EDITOR, WENDA_ROLE_READER));
    cr_assert_not(wenda_auth_role_allows(WENDA_ROLE_READER,
                                         WENDA_ROLE_EDITOR));
    cr_assert_not(wenda_auth_role_allows(WENDA_ROLE_EDITOR,
                                         WENDA_ROLE_ADMIN));
    cr_assert_not(wenda_auth_role_allows(WENDA_ROLE_NONE,
                                         WENDA_ROLE_READER));
    cr_assert_not(wenda_auth_role_allows((enum wenda_role)42,
                                         WENDA_ROLE_READER));
}

Test(auth, parses_lifetimes_in_days_hours_and_minutes_or_never)
{
    int64_t s = -1;

    cr_assert_eq(wenda_auth_parse_expiry("30d", &s), WENDA_OK);
    cr_assert_eq(s, 30 * 86400);
    cr_assert_eq(wenda_auth_parse_expiry("12h", &s), WENDA_OK);
    cr_assert_eq(s, 12 * 3600);
    cr_assert_eq(wenda_auth_parse_expiry("90m", &s), WENDA_OK);
    cr_assert_eq(s, 90 * 60);
    cr_assert_eq(wenda_auth_parse_expiry("36500d", &s), WENDA_OK);
    cr_assert_eq(s, WENDA_AUTH_MAX_EXPIRY);
    cr_assert_eq(wenda_auth_parse_expiry("never", &s), WENDA_OK);
    cr_assert_eq(s, 0);
}

Test(auth, refuses_malformed_lifetimes)
{
    static const char *const bad[] = {
        "", "3x", "30", "d", "0d", "030d", "-1d", "+1d", " 1d", "1d ",
        "1dd", "1.5h", "1D", "1s", "Never", "never ", "36501d",
        "99999999999999999999d", "1h30m",
    };
    size_t i;
    int64_t s = 77;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(wenda_auth_parse_expiry(bad[i], &s), WENDA_ERR_INVALID,
                     "'%s' was accepted", bad[i]);
        cr_assert_eq(s, 77, "'%s' changed the result", bad[i]);
    }
    cr_assert_eq(wenda_auth_parse_expiry(NULL, &s), WENDA_ERR_INVALID);
}

Test(auth, accepts_short_printable_utf8_names_only)
{
    char long_name[WENDA_TOKEN_NAME_MAX + 2];

    cr_assert(wenda_auth_name_valid(""));
    cr_assert(wenda_auth_name_valid("ci deploy"));
    cr_assert(wenda_auth_name_valid("编辑 张三"));
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[WENDA_TOKEN_NAME_MAX] = '\0';
    cr_assert(wenda_auth_name_valid(long_name));
    long_name[WENDA_TOKEN_NAME_MAX] = 'a';
    long_name[WENDA_TOKEN_NAME_MAX + 1] = '\0';
    cr_assert_not(wenda_auth_name_valid(long_name));
    cr_assert_not(wenda_auth_name_valid("tab\there"));
    cr_assert_not(wenda_auth_name_valid("line\nbreak"));
    cr_assert_not(wenda_auth_name_valid("del\x7f"));
    cr_assert_not(wenda_auth_name_valid("bad \xff utf8"));
    cr_assert_not(wenda_auth_name_valid(NULL));
}

Test(auth, puts_the_key_file_next_to_the_database)
{
    char out[64];

    cr_assert_eq(wenda_auth_key_path_for_db("data/wenda.db", out,
                                            sizeof(out)),
                 WENDA_OK);
    cr_assert_str_eq(out, "data/token.key");
    cr_assert_eq(wenda_auth_key_path_for_db("wenda.db", out, sizeof(out)),
                 WENDA_OK);
    cr_assert_str_eq(out, "token.key");
    cr_assert_eq(wenda_auth_key_path_for_db("/wenda.db", out, sizeof(out)),
                 WENDA_OK);
    cr_assert_str_eq(out, "/token.key");
    cr_assert_eq(wenda_auth_key_path_for_db("/a/b/c.db", out, sizeof(out)),
                 WENDA_OK);
    cr_assert_str_eq(out, "/a/b/token.key");
    cr_assert_eq(wenda_auth_key_path_for_db("", out, sizeof(out)),
                 WENDA_ERR_INVALID);
    cr_assert_eq(wenda_auth_key_path_for_db("data/", out, sizeof(out)),
                 WENDA_ERR_INVALID);
    cr_assert_eq(wenda_auth_key_path_for_db("a/very/long/path/to/the/"
                                            "database/that/does/not/fit.db",
                                            out, 16),
                 WENDA_ERR_TOO_LARGE);
    cr_assert_str_eq(out, "");
}

/* ---- tokens ------------------------------------------------------------ */

Test(auth, makes_tokens_of_wnd_and_43_base64url_characters)
{
    char token[WENDA_TOKEN_LEN + 1];
    unsigned char raw[64];
    size_t i, rawlen = 0;

    make_token(WENDA_ROLE_READER, "format", token);
    cr_assert_eq(strlen(token), 47, "token length %zu", strlen(token));
    cr_assert_eq(strncmp(token, "wnd_", 4), 0, "no wnd_ prefix");
    for (i = 4; i < 47; i++)
        cr_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789-_",
                         token[i]) != NULL,
                  "character %zu (0x%02x) is not base64url", i,
                  (unsigned char)token[i]);
    cr_assert(wenda_auth_token_well_formed(token));
    /* The body decodes to exactly 32 bytes. */
    cr_assert_eq(sodium_base642bin(raw, sizeof(raw), token + 4, 43, NULL,
                                   &rawlen, NULL,
                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                 0);
    cr_assert_eq(rawlen, 32);
}

Test(auth, makes_a_different_token_every_time)
{
    char a[WENDA_TOKEN_LEN + 1], b[WENDA_TOKEN_LEN + 1];
    int64_t ida = make_token(WENDA_ROLE_ADMIN, "same", a);
    int64_t idb = make_token(WENDA_ROLE_ADMIN, "same", b);

    cr_assert_str_neq(a, b);
    cr_assert_neq(ida, idb);
}

Test(auth, stores_only_a_keyed_hash_of_the_token)
{
    char token[WENDA_TOKEN_LEN + 1], b64[64];
    unsigned char key[WENDA_AUTH_KEY_LEN], want[32], plain[32];
    const char *body;
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    size_t keylen = 0;
    char *keybytes;
    int64_t id = make_token(WENDA_ROLE_EDITOR, "hashed", token);
    int col, rows = 0;

    body = token + 4;
    /* Every column of every row, as bytes. */
    cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT * FROM tokens", -1, &s, NULL),
                 SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW) {
        rows++;
        for (col = 0; col < sqlite3_column_count(s); col++) {
            const void *v = sqlite3_column_blob(s, col);
            size_t n = (size_t)sqlite3_column_bytes(s, col);

            cr_assert_not(has_bytes(v, n, token), "column %s holds the token",
                          sqlite3_column_name(s, col));
            cr_assert_not(has_bytes(v, n, body), "column %s holds the "
                          "token's base64", sqlite3_column_name(s, col));
        }
    }
    cr_assert_eq(rows, 1);
    sqlite3_finalize(s);

    /* The hash column is BLAKE2b of the token keyed with token.key. */
    keybytes = testutil_slurp(key_path, &keylen);
    cr_assert_not_null(keybytes);
    cr_assert_eq(keylen, sizeof(key));
    memcpy(key, keybytes, sizeof(key));
    free(keybytes);
    cr_assert_eq(crypto_generichash(want, sizeof(want),
                                    (const unsigned char *)token, 47, key,
                                    sizeof(key)),
                 0);
    cr_assert_eq(crypto_generichash(plain, sizeof(plain),
                                    (const unsigned char *)token, 47, NULL,
                                    0),
                 0);
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT hash FROM tokens WHERE id = ?",
                                    -1, &s, NULL),
                 SQLITE_OK);
    sqlite3_bind_int64(s, 1, id);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_type(s, 0), SQLITE_BLOB);
    cr_assert_eq(sqlite3_column_bytes(s, 0), 32);
    cr_assert_eq(memcmp(sqlite3_column_blob(s, 0), want, 32), 0,
                 "the stored hash is not the keyed hash of the token");
    cr_assert_neq(memcmp(sqlite3_column_blob(s, 0), plain, 32), 0,
                  "the stored hash is not keyed");
    sqlite3_finalize(s);
    sqlite3_close(db);

    /* Nor anywhere in the files, in any encoding that matters. */
    cr_assert_not(db_files_hold(token), "the database files hold the token");
    cr_assert_not(db_files_hold(body), "the database files hold its body");
    (void)sodium_bin2hex(b64, sizeof(b64), (const unsigned char *)body, 16);
    cr_assert_not(db_files_hold(b64), "the database files hold it in hex");
}

Test(auth, verifies_a_new_token_and_returns_its_role_and_name)
{
    static const enum wenda_role roles[] = {
        WENDA_ROLE_READER, WENDA_ROLE_EDITOR, WENDA_ROLE_ADMIN};
    char token[WENDA_TOKEN_LEN + 1];
    struct wenda_token_info info;
    size_t i;

    for (i = 0; i < 3; i++) {
        int64_t id = make_token(roles[i], "ci 部署", token);
        enum wenda_err rc = wenda_auth_verify(auth, store, token, &info);

        cr_assert_eq(rc, WENDA_OK, "verify: %s (%s)", wenda_err_name(rc),
                     info.reason);
        cr_assert_eq(info.id, id);
        cr_assert_eq(info.role, roles[i]);
        cr_assert_str_eq(info.name, "ci 部署");
        cr_assert_str_eq(info.reason, "ok");
        cr_assert_str_eq(info.expires_at, "");
        cr_assert_str_eq(info.revoked_at, "");
        cr_assert_eq(strlen(info.created_at), 20, "created_at '%s'",
                     info.created_at);
    }
}

Test(auth, refuses_an_unknown_token)
{
    char token[WENDA_TOKEN_LEN + 1], other[WENDA_TOKEN_LEN + 1];
    struct wenda_token_info info;

    make_token(WENDA_ROLE_ADMIN, "real", token);
    memcpy(other, token, sizeof(other));
    other[10] = other[10] == 'A' ? 'B' : 'A';   /* one character off */
    cr_assert_eq(wenda_auth_verify(auth, store, other, &info),
                 WENDA_ERR_NOT_FOUND);
    cr_assert_str_eq(info.reason, "unknown");
    cr_assert_eq(info.role, WENDA_ROLE_NONE);
    cr_assert_eq(info.id, 0);
}

Test(auth, refuses_a_malformed_token_without_looking_it_up)
{
    static const char *const bad[] = {
        "", "wnd_", "wnd_short", "xyz_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "wnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "wnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+A",
    };
    struct wenda_token_info info;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(wenda_auth_verify(auth, store, bad[i], &info),
                     WENDA_ERR_INVALID, "'%s' was looked up", bad[i]);
        cr_assert_str_eq(info.reason, "malformed");
        cr_assert_eq(info.role, WENDA_ROLE_NONE);
    }
    cr_assert_eq(wenda_auth_verify(auth, store, NULL, &info),
                 WENDA_ERR_INVALID);
}

Test(auth, refuses_a_revoked_token)
{
    char token[WENDA_TOKEN_LEN + 1];
    struct wenda_token_info info;
    int64_t id = make_token(WENDA_ROLE_ADMIN, "gone", token);

    cr_assert_eq(wenda_auth_token_revoke(store, id), WENDA_OK);
    cr_assert_eq(wenda_auth_verify(auth, store, token, &info),
                 WENDA_ERR_NOT_FOUND);
    cr_assert_str_eq(info.reason, "revoked");
    cr_assert_eq(info.role, WENDA_ROLE_NONE);
    cr_assert_eq(info.id, id, "a revoked token should still be named");
    cr_assert_str_eq(info.name, "gone");
}

Test(auth, revokes_once_and_answers_not_found_the_second_time)
{
    char token[WENDA_TOKEN_LEN + 1];
    int64_t id = make_token(WENDA_ROLE_READER, "twice", token);

    cr_assert_eq(wenda_auth_token_revoke(store, id), WENDA_OK);
    cr_assert_eq(wenda_auth_token_revoke(store, id), WENDA_ERR_NOT_FOUND);
    cr_assert_eq(wenda_auth_token_revoke(store, id + 100),
                 WENDA_ERR_NOT_FOUND);
}

Test(auth, refuses_an_expired_token_and_accepts_one_not_yet_expired)
{
    char token[WENDA_TOKEN_LEN + 1];
    struct wenda_token_info info;
    int64_t id = 0;

    cr_assert_eq(wenda_auth_token_create(auth, store, WENDA_ROLE_EDITOR,
                                         "soon", 3600, token, &id),
                 WENDA_OK);
    cr_assert_eq(wenda_auth_verify(auth, store, token, &info), WENDA_OK);
    cr_assert_eq(strlen(info.expires_at), 20, "expires_at '%s'",
                 info.expires_at);
    cr_assert_gt(strcmp(info.expires_at, info.created_at), 0);

    exec_on_file("UPDATE tokens SET expires_at = '2000-01-01T00:00:00Z' "
                 "WHERE id = ?1", id);
    cr_assert_eq(wenda_auth_verify(auth, store, token, &info),
                 WENDA_ERR_NOT_FOUND);
    cr_assert_str_eq(info.reason, "expired");
    cr_assert_eq(info.role, WENDA_ROLE_NONE);
    cr_assert_eq(info.id, id);

    exec_on_file("UPDATE tokens SET expires_at = '2999-01-01T00:00:00Z' "
                 "WHERE id = ?1", id);
    cr_assert_eq(wenda_auth_verify(auth, store, token, &info), WENDA_OK);
    cr_assert_eq(info.role, WENDA_ROLE_EDITOR);
}

Test(auth, takes_an_expiry_it_cannot_read_as_expired)
{
    char token[WENDA_TOKEN_LEN + 1];
    struct wenda_token_info info;
    int64_t id = make_token(WENDA_ROLE_ADMIN, "odd", token);

    exec_on_file("UPDATE tokens SET expires_at = 'tomorrow' WHERE id = ?1",
                 id);
    cr_assert_eq(wenda_auth_verify(auth, store, token, &info),
                 WENDA_ERR_NOT_FOUND);
    cr_assert_str_eq(info.reason, "expired");
}

Test(auth, verifies_on_a_read_only_store_without_writing)
{
    char token[WENDA_TOKEN_LEN + 1], msg[512];
    struct wenda_token_info info;
    struct wenda_store *ro = NULL;
    int64_t id = make_token(WENDA_ROLE_READER, "ro", token);

    cr_assert_eq(wenda_store_open(db_path, WENDA_STORE_READONLY, &ro, msg,
                                  sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_auth_verify(auth, ro, token, &info), WENDA_OK);
    cr_assert_eq(info.id, id);
    cr_assert_str_eq(info.last_used_at, "", "verify recorded a use");
    /* Writes are refused there. */
    cr_assert_eq(wenda_auth_token_create(auth, ro, WENDA_ROLE_READER, "x", 0,
                                         token, NULL),
                 WENDA_ERR_INVALID);
    cr_assert_str_eq(token, "", "a failed create left a token behind");
    wenda_store_close(ro);
}

Test(auth, records_the_last_use_only_when_touched)
{
    char token[WENDA_TOKEN_LEN + 1];
    struct wenda_token_info info;
    int64_t id = make_token(WENDA_ROLE_EDITOR, "used", token);

    cr_assert_eq(wenda_auth_verify(auth, store, token, &info), WENDA_OK);
    cr_assert_str_eq(info.last_used_at, "");
    cr_assert_eq(wenda_auth_touch(store, id), WENDA_OK);
    cr_assert_eq(wenda_auth_verify(auth, store, token, &info), WENDA_OK);
    cr_assert_eq(strlen(info.last_used_at), 20, "last_used_at '%s'",
                 info.last_used_at);
    cr_assert_eq(wenda_auth_touch(store, id + 100), WENDA_ERR_NOT_FOUND);
}

Test(auth, refuses_to_create_with_a_bad_role_name_or_expiry)
{
    char token[WENDA_TOKEN_LEN + 1];
    struct wenda_token_info *items = NULL;
    size_t n = 99;

    cr_assert_eq(wenda_auth_token_create(auth, store, WENDA_ROLE_NONE, "x",
                                         0, token, NULL),
                 WENDA_ERR_INVALID);
    cr_assert_eq(wenda_auth_token_create(auth, store, (enum wenda_role)9,
                                         "x", 0, token, NULL),
                 WENDA_ERR_INVALID);
    cr_assert_eq(wenda_auth_token_create(auth, store, WENDA_ROLE_READER,
                                         "a\nb", 0, token, NULL),
                 WENDA_ERR_INVALID);
    cr_assert_eq(wenda_auth_token_create(auth, store, WENDA_ROLE_READER, "x",
                                         -1, token, NULL),
                 WENDA_ERR_INVALID);
    cr_assert_eq(wenda_auth_token_create(auth, store, WENDA_ROLE_READER, "x",
                                         WENDA_AUTH_MAX_EXPIRY + 1, token,
                                         NULL),
                 WENDA_ERR_INVALID);
    cr_assert_str_eq(token, "");
    cr_assert_eq(wenda_auth_token_list(store, &items, &n), WENDA_OK);
    cr_assert_eq(n, 0, "a refused create stored a row");
    cr_assert_null(items);
}

Test(auth, lists_tokens_by_id_without_the_tokens)
{
    char a[WENDA_TOKEN_LEN + 1], b[WENDA_TOKEN_LEN + 1];
    struct wenda_token_info *items = NULL;
    size_t n = 0;
    int64_t ida = make_token(WENDA_ROLE_ADMIN, "first", a);
    int64_t idb = make_token(WENDA_ROLE_READER, "", b);

    cr_assert_eq(wenda_auth_token_revoke(store, idb), WENDA_OK);
    cr_assert_eq(wenda_auth_token_list(store, &items, &n), WENDA_OK);
    cr_assert_eq(n, 2);
    cr_assert_eq(items[0].id, ida);
    cr_assert_str_eq(items[0].name, "first");
    cr_assert_eq(items[0].role, WENDA_ROLE_ADMIN);
    cr_assert_str_eq(items[0].revoked_at, "");
    cr_assert_null(items[0].reason);
    cr_assert_eq(items[1].id, idb);
    cr_assert_str_eq(items[1].name, "");
    cr_assert_eq(items[1].role, WENDA_ROLE_READER);
    cr_assert_eq(strlen(items[1].revoked_at), 20);
    cr_assert_not(has_bytes(items, n * sizeof(*items), a),
                  "the list holds a token");
    cr_assert_not(has_bytes(items, n * sizeof(*items), b + 4),
                  "the list holds a token's body");
    wenda_auth_token_list_free(items);
    wenda_auth_token_list_free(NULL);
}

/* ---- the Authorization header ------------------------------------------ */

Test(auth, parses_a_bearer_header_in_any_case)
{
    static const char *const schemes[] = {"Bearer", "bearer", "BEARER",
                                          "bEaReR"};
    char token[WENDA_TOKEN_LEN + 1], header[128], out[WENDA_TOKEN_LEN + 1];
    size_t i;

    make_token(WENDA_ROLE_READER, "hdr", token);
    for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        (void)snprintf(header, sizeof(header), "%s %s", schemes[i], token);
        cr_assert_eq(wenda_auth_parse_bearer(header, out), WENDA_OK,
                     "'%s ...' was refused", schemes[i]);
        cr_assert_str_eq(out, token);
    }
}

Test(auth, parses_a_bearer_header_with_the_blanks_http_allows)
{
    /* RFC 9110: 1*SP after the scheme; OWS around a field value. */
    static const char *const shapes[][2] = {
        {"Bearer  ", ""}, {" Bearer ", ""}, {"Bearer ", " "},
        {"\tbearer    ", " \t "},
    };
    char token[WENDA_TOKEN_LEN + 1], header[128], out[WENDA_TOKEN_LEN + 1];
    size_t i;

    make_token(WENDA_ROLE_READER, "blanks", token);
    for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        (void)snprintf(header, sizeof(header), "%s%s%s", shapes[i][0], token,
                       shapes[i][1]);
        cr_assert_eq(wenda_auth_parse_bearer(header, out), WENDA_OK,
                     "'%s' was refused", header);
        cr_assert_str_eq(out, token);
    }
}

Test(auth, refuses_every_other_authorization_header)
{
    static const char *const bad[] = {
        "",
        "Bearer",
        "Bearer ",
        "Basic d25kXzpwYXNzd29yZA==",
        "Basic wnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "Bearerwnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "Bearer\twnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "Bearer wnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,x",
        "Bearer wnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA x",
        "Bearer wnd_AAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "Bearer \twnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "Bearer wnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
        "Bearer wnx_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "Bearer WND_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "Bearer wnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "Bearer wnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "Bearer wnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "Bearer wnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",
        "Bearer wnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/",
        "Bearer wnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.",
        "Bearer wnd_AAAAAAAAAAAAAAAAAAAA\xc3\xa9" "AAAAAAAAAAAAAAAAAAAA",
        "Token wnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "Bearer: wnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    };
    char out[WENDA_TOKEN_LEN + 1];
    size_t i;

    cr_assert_eq(wenda_auth_parse_bearer(
                     "Bearer wnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                     out),
                 WENDA_OK, "the well-formed control case is refused");
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(out, 'x', sizeof(out));
        cr_assert_eq(wenda_auth_parse_bearer(bad[i], out), WENDA_ERR_INVALID,
                     "header %zu ('%s') was accepted", i, bad[i]);
        cr_assert_str_eq(out, "", "a refused header left output");
    }
    cr_assert_eq(wenda_auth_parse_bearer(NULL, out), WENDA_ERR_INVALID);
}

Test(auth, refuses_a_header_cut_short_by_a_nul)
{
    char header[64], out[WENDA_TOKEN_LEN + 1];

    (void)snprintf(header, sizeof(header), "Bearer %s",
                   "wnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    header[30] = '\0';   /* a NUL inside the token */
    cr_assert_eq(wenda_auth_parse_bearer(header, out), WENDA_ERR_INVALID);
    header[30] = 'A';
    header[6] = '\0';    /* a NUL where the space goes */
    cr_assert_eq(wenda_auth_parse_bearer(header, out), WENDA_ERR_INVALID);
}

/* ---- the key file ------------------------------------------------------ */

Test(auth, creates_the_key_file_with_mode_0600)
{
    struct stat sb;

    cr_assert_eq(stat(key_path, &sb), 0, "no key file: %s", strerror(errno));
    cr_assert(S_ISREG(sb.st_mode));
    cr_assert_eq(sb.st_mode & 07777, 0600, "mode %04o",
                 (unsigned int)(sb.st_mode & 07777));
    cr_assert_eq(sb.st_size, WENDA_AUTH_KEY_LEN);
}

Test(auth, creates_the_key_file_0600_whatever_the_umask)
{
    char path[PATH_CAP], msg[512];
    struct wenda_auth *a = NULL;
    struct stat sb;
    mode_t old = umask(0);

    testutil_join(path, sizeof(path), tmp_dir, "other.key");
    cr_assert_eq(wenda_auth_open(path, 1, &a, msg, sizeof(msg)), WENDA_OK,
                 "%s", msg);
    (void)umask(old);
    cr_assert_eq(stat(path, &sb), 0);
    cr_assert_eq(sb.st_mode & 07777, 0600, "mode %04o",
                 (unsigned int)(sb.st_mode & 07777));
    wenda_auth_close(a);
}

Test(auth, reuses_the_key_file_on_the_next_open)
{
    char token[WENDA_TOKEN_LEN + 1], msg[512];
    struct wenda_token_info info;
    char *before, *after;
    size_t n1 = 0, n2 = 0;
    int64_t id = make_token(WENDA_ROLE_ADMIN, "kept", token);

    before = testutil_slurp(key_path, &n1);
    wenda_auth_close(auth);
    auth = NULL;
    cr_assert_eq(wenda_auth_open(key_path, 0, &auth, msg, sizeof(msg)),
                 WENDA_OK, "%s", msg);
    after = testutil_slurp(key_path, &n2);
    cr_assert_eq(n1, n2);
    cr_assert_eq(memcmp(before, after, n1), 0, "the key file changed");
    free(before);
    free(after);
    /* Same key, same hash: the token made before is found. */
    cr_assert_eq(wenda_auth_verify(auth, store, token, &info), WENDA_OK);
    cr_assert_eq(info.id, id);
    wenda_auth_close(auth);
    auth = NULL;
    cr_assert_eq(wenda_auth_open(key_path, 1, &auth, msg, sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_auth_verify(auth, store, token, &info), WENDA_OK);
}

Test(auth, does_not_verify_a_token_with_another_key)
{
    char token[WENDA_TOKEN_LEN + 1], path[PATH_CAP], msg[512];
    struct wenda_token_info info;
    struct wenda_auth *other = NULL;

    make_token(WENDA_ROLE_ADMIN, "keyed", token);
    testutil_join(path, sizeof(path), tmp_dir, "other.key");
    cr_assert_eq(wenda_auth_open(path, 1, &other, msg, sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_auth_verify(other, store, token, &info),
                 WENDA_ERR_NOT_FOUND);
    cr_assert_str_eq(info.reason, "unknown");
    wenda_auth_close(other);
}

Test(auth, refuses_a_key_file_others_may_read)
{
    write_key_file(key_path, WENDA_AUTH_KEY_LEN, 0644);
    assert_key_refused(key_path, WENDA_ERR_INVALID, "0644");
    write_key_file(key_path, WENDA_AUTH_KEY_LEN, 0640);
    assert_key_refused(key_path, WENDA_ERR_INVALID, "0640");
    write_key_file(key_path, WENDA_AUTH_KEY_LEN, 0602);
    assert_key_refused(key_path, WENDA_ERR_INVALID, "0602");
}

Test(auth, refuses_a_key_file_of_the_wrong_size)
{
    write_key_file(key_path, WENDA_AUTH_KEY_LEN - 1, 0600);
    assert_key_refused(key_path, WENDA_ERR_INVALID, "31 bytes");
    write_key_file(key_path, WENDA_AUTH_KEY_LEN + 1, 0600);
    assert_key_refused(key_path, WENDA_ERR_INVALID, "33 bytes");
    write_key_file(key_path, 0, 0600);
    assert_key_refused(key_path, WENDA_ERR_INVALID, "0 bytes");
}

Test(auth, refuses_a_key_file_that_is_a_link_or_a_directory)
{
    char link_path[PATH_CAP], dir_path[PATH_CAP];

    testutil_join(link_path, sizeof(link_path), tmp_dir, "link.key");
    cr_assert_eq(symlink(key_path, link_path), 0);
    assert_key_refused(link_path, WENDA_ERR_INVALID, "symbolic link");
    testutil_join(dir_path, sizeof(dir_path), tmp_dir, "dir.key");
    cr_assert_eq(mkdir(dir_path, 0700), 0);
    assert_key_refused(dir_path, WENDA_ERR_INVALID, "not a regular file");
}

Test(auth, does_not_create_a_missing_key_file_unless_asked)
{
    char path[PATH_CAP], msg[512];
    struct wenda_auth *a = NULL;
    struct stat sb;

    testutil_join(path, sizeof(path), tmp_dir, "missing.key");
    cr_assert_eq(wenda_auth_open(path, 0, &a, msg, sizeof(msg)),
                 WENDA_ERR_NOT_FOUND);
    cr_assert_null(a);
    cr_assert_not_null(strstr(msg, path));
    cr_assert_neq(stat(path, &sb), 0, "the key file was created");
}
