/*
 * search_index.c -- writing the search index of a topic: its
 * full-text row, whole-title keys and the stretches of its titles and
 * aliases by their sound (search_sound.c), built (possibly on another
 * thread) then written inside the store's transaction; and the bulk
 * settings, clearing and merging of an import.
 */
#include "wenda/search.h"
#include "search_impl.h"
#include "search_int.h"

#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "buf.h"
#include "tokenize_int.h"
#include "wenda/content.h"
#include "wenda/tokenize.h"

/* ---- writing the index ------------------------------------------------- */

/*
 * Gives the connection's statement *slot for sql, preparing it on first
 * use: an import writes the index once per topic, and preparing these
 * statements each time would cost as much as running them.
 */
static sqlite3_stmt *
index_stmt(struct wenda_search *se, sqlite3_stmt **slot, const char *sql)
{
    if (*slot == NULL &&
        sqlite3_prepare_v3(se->db, sql, -1,
                           SQLITE_PREPARE_PERSISTENT, slot, NULL) != SQLITE_OK)
        return NULL;
    return *slot;
}

/* Steps s once, then resets it and clears its bindings. */
static enum wenda_err
step_once(sqlite3_stmt *s)
{
    int step = sqlite3_step(s);

    (void)sqlite3_reset(s);
    (void)sqlite3_clear_bindings(s);
    return step == SQLITE_DONE ? WENDA_OK : WENDA_ERR_DB;
}

/*
 * The index row of one topic, ready to be written: the text of each
 * full-text column, optionally its tokens, and the whole-title keys in the
 * order they are inserted (a key met twice keeps its larger weight).
 */
struct wenda_search_row {
    char *col[NCOLS];
    int len[NCOLS]; /* strlen() of each */
    struct wenda_token_stream tokens[NCOLS];
    int tokenized; /* tokens[] holds each column's tokens */
    struct title_key {
        char *key;
        size_t n;
        int weight;
    } *keys;
    size_t nkeys, cap_keys;
    struct sound_set *sounds; /* stretches of the titles and aliases */
};

/* Appends key (when it is not empty) to row->keys. */
static enum wenda_err
append_key(struct wenda_search_row *row, const struct buf *key, int weight)
{
    struct title_key *k;

    if (key->n == 0)
        return WENDA_OK;
    if (wenda_buf_reserve(&row->keys, &row->cap_keys, row->nkeys,
                          sizeof(*row->keys), 8) != 0)
        return WENDA_ERR_NOMEM;
    k = &row->keys[row->nkeys];
    k->key = malloc(key->n);
    if (k->key == NULL)
        return WENDA_ERR_NOMEM;
    memcpy(k->key, key->p, key->n);
    k->n = key->n;
    k->weight = weight;
    row->nkeys++;
    return WENDA_OK;
}

/* Appends the key of text (when it has one) to row->keys. */
static enum wenda_err
add_key(struct wenda_tokenizer *tk, struct wenda_search_row *row,
        const char *text, int weight, struct buf *key)
{
    enum wenda_err rc;

    if (text == NULL || text[0] == '\0')
        return WENDA_OK;
    rc = wenda_search_key_of(tk, text, strlen(text), key);
    return rc == WENDA_OK ? append_key(row, key, weight) : rc;
}

/*
 * Appends to row->keys, at the weight of an alias, the key of title
 * without its question and function words (什么是网络编程: 网络编程; HTTP 和
 * HTTPS 的区别: HTTP HTTPS) and the key of that text's pinyin, when it
 * has any: a query that names the thing a question title asks about
 * equals a title as much as one that names an alias.
 */
static enum wenda_err
add_content_keys(struct wenda_tokenizer *tk, struct wenda_search_row *row,
                 const char *title, struct buf *key)
{
    struct chunk_list w;
    struct buf text = {0}, col = {0}, whole = {0};
    size_t last, i, n = strlen(title);
    char msg[8];
    enum wenda_err rc;

    /* A title too long or of too many words for a query has no such key,
     * as no query could equal it. */
    if (row->nkeys == 0 ||
        wenda_search_words(NULL, tk, title, n, &w, &last, msg,
                           sizeof(msg)) != WENDA_OK)
        return WENDA_OK;
    for (i = 0; i < w.n; i++) {
        if (i > 0)
            wenda_buf_add(&text, " ", 1);
        wenda_buf_add(&text, title + w.v[i].start, w.v[i].end - w.v[i].start);
    }
    rc = wenda_buf_failed(&text) ? WENDA_ERR_NOMEM : WENDA_OK;
    if (rc == WENDA_OK)
        rc = wenda_search_key_of(tk, text.p, text.n, key);
    if (rc == WENDA_OK && key->n == row->keys[0].n &&
        memcmp(key->p, row->keys[0].key, key->n) == 0) {
        wenda_buf_cleanup(&text);
        return WENDA_OK;   /* nothing left out: the title's own key */
    }
    if (rc == WENDA_OK)
        rc = append_key(row, key, 1);
    if (rc == WENDA_OK)
        rc = wenda_search_add_pinyin(tk, text.p, &col, &whole);
    if (rc == WENDA_OK && whole.n > 0)
        rc = add_key(tk, row, whole.p, 1, key);
    wenda_buf_cleanup(&text);
    wenda_buf_cleanup(&col);
    wenda_buf_cleanup(&whole);
    return rc;
}

/* Moves the text of b (or "" when b is empty) into *col. */
static enum wenda_err
take_col(struct buf *b, char **col)
{
    *col = wenda_buf_take(b, NULL);
    return *col != NULL ? WENDA_OK : WENDA_ERR_NOMEM;
}

/*
 * Writes the full-text column texts of t into row, and the run
 * concatenations of its title's pinyin (see wenda_search_add_pinyin())
 * into whole.
 */
static enum wenda_err
row_columns(struct wenda_tokenizer *tk, const struct wenda_topic *t,
            struct wenda_search_row *row, struct buf *whole)
{
    struct buf title = {0}, aliases = {0}, tags = {0}, pinyin = {0};
    struct buf category = {0};
    enum wenda_err rc;
    size_t i;

    wenda_buf_adds(&title, t->title);
    if (t->title_en != NULL && t->title_en[0] != '\0') {
        wenda_buf_adds(&title, " / ");
        wenda_buf_adds(&title, t->title_en);
    }
    for (i = 0; i < t->aliases.n; i++) {
        if (i > 0)
            wenda_buf_adds(&aliases, " ; ");
        wenda_buf_adds(&aliases, t->aliases.v[i]);
    }
    for (i = 0; i < t->tags.n; i++) {
        if (i > 0)
            wenda_buf_adds(&tags, " ");
        wenda_buf_adds(&tags, t->tags.v[i]);
    }
    rc = wenda_search_add_pinyin(tk, t->title, &pinyin, whole);
    for (i = 0; rc == WENDA_OK && i < t->aliases.n; i++)
        rc = wenda_search_add_pinyin(tk, t->aliases.v[i], &pinyin, NULL);
    if (rc == WENDA_OK &&
        (wenda_buf_failed(&title) || wenda_buf_failed(&aliases) ||
         wenda_buf_failed(&tags)))
        rc = WENDA_ERR_NOMEM;
    if (rc == WENDA_OK)
        rc = take_col(&title, &row->col[COL_TITLE]);
    if (rc == WENDA_OK)
        rc = take_col(&aliases, &row->col[COL_ALIASES]);
    if (rc == WENDA_OK)
        rc = take_col(&pinyin, &row->col[COL_PINYIN]);
    if (rc == WENDA_OK)
        rc = take_col(&tags, &row->col[COL_TAGS]);
    if (rc == WENDA_OK) {
        row->col[COL_ANSWER] = strdup(t->answer ? t->answer : "");
        if (row->col[COL_ANSWER] == NULL)
            rc = WENDA_ERR_NOMEM;
    }
    if (rc == WENDA_OK) {
        wenda_buf_adds(&category, WENDA_TOKEN_VERBATIM);
        wenda_buf_adds(&category, t->category ? t->category : "");
        rc = wenda_buf_failed(&category)
                 ? WENDA_ERR_NOMEM
                 : take_col(&category, &row->col[COL_CATEGORY]);
    }
    wenda_buf_cleanup(&title);
    wenda_buf_cleanup(&aliases);
    wenda_buf_cleanup(&tags);
    wenda_buf_cleanup(&pinyin);
    wenda_buf_cleanup(&category);
    return rc;
}

enum wenda_err
wenda_search_prepare(struct wenda_tokenizer *tk, const struct wenda_topic *t,
                     int pretokenize, struct wenda_search_row **out)
{
    struct buf whole = {0}, key = {0};
    struct wenda_search_row *row;
    enum wenda_err rc;
    size_t i;

    *out = NULL;
    if (tk == NULL)
        return WENDA_ERR_INTERNAL;
    row = calloc(1, sizeof(*row));
    if (row == NULL)
        return WENDA_ERR_NOMEM;
    rc = row_columns(tk, t, row, &whole);
    if (rc == WENDA_OK)
        rc = add_key(tk, row, t->title, 2, &key);
    if (rc == WENDA_OK)
        rc = add_key(tk, row, t->title_en, 2, &key);
    if (rc == WENDA_OK)
        rc = add_key(tk, row, whole.p, 2, &key);
    if (rc == WENDA_OK)
        rc = add_content_keys(tk, row, t->title, &key);
    for (i = 0; rc == WENDA_OK && i < t->aliases.n; i++)
        rc = add_key(tk, row, t->aliases.v[i], 1, &key);
    for (i = 0; rc == WENDA_OK && i < NCOLS; i++) {
        size_t n = strlen(row->col[i]);

        if (n > INT_MAX)
            rc = WENDA_ERR_TOO_LARGE;
        else
            row->len[i] = (int)n;
    }
    /* From the columns themselves: the text wenda_search_unindex() reads
     * back to take them out again. */
    if (rc == WENDA_OK)
        rc = wenda_search_sounds_of(tk, row->col[COL_TITLE], &row->sounds);
    if (rc == WENDA_OK)
        rc = wenda_search_sounds_of(tk, row->col[COL_ALIASES],
                                    &row->sounds);
    for (i = 0; rc == WENDA_OK && pretokenize && i < NCOLS; i++)
        rc = wenda_tokenize_record(tk, row->col[i], row->len[i],
                                   &row->tokens[i]);
    row->tokenized = pretokenize && rc == WENDA_OK;
    wenda_buf_cleanup(&whole);
    wenda_buf_cleanup(&key);
    if (rc != WENDA_OK) {
        wenda_search_row_free(row);
        return rc;
    }
    *out = row;
    return WENDA_OK;
}

enum wenda_err
wenda_search_write(struct wenda_search *se, int64_t id,
                   const struct wenda_search_row *row)
{
    struct rank_params *rp = se->rp;
    struct wenda_token_preset preset[NCOLS];
    sqlite3_stmt *s;
    enum wenda_err rc;
    size_t i;

    s = index_stmt(se, &rp->ins_fts,
                   "INSERT INTO topics_fts(rowid, title, aliases, pinyin, "
                   "tags, answer, category) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (s == NULL)
        return WENDA_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    for (i = 0; i < NCOLS; i++) {
        sqlite3_bind_text(s, (int)i + 2, row->col[i], row->len[i],
                          SQLITE_STATIC);
        preset[i].text = row->col[i];
        preset[i].ntext = row->len[i];
        preset[i].tokens = &row->tokens[i];
    }
    /*
     * FTS5 tokenizes each column inside the step; with the row's tokens
     * preset, the "wenda" tokenizer replays them instead of doing the work
     * again on this thread.
     */
    if (row->tokenized)
        wenda_tokenize_preset(preset, NCOLS);
    rc = step_once(s);
    if (row->tokenized)
        wenda_tokenize_preset(NULL, 0);
    if (rc != WENDA_OK)
        return rc;
    s = index_stmt(se, &rp->ins_key,
                   "INSERT INTO title_keys(topic_id, key, weight) "
                   "VALUES (?1, ?2, ?3) ON CONFLICT(key, topic_id) "
                   "DO UPDATE SET weight = max(weight, excluded.weight)");
    if (s == NULL)
        return WENDA_ERR_DB;
    for (i = 0; rc == WENDA_OK && i < row->nkeys; i++) {
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_text(s, 2, row->keys[i].key, (int)row->keys[i].n,
                          SQLITE_STATIC);
        sqlite3_bind_int(s, 3, row->keys[i].weight);
        rc = step_once(s);
    }
    /* Its words, for queries that misspell them or slip. */
    for (i = 0; rc == WENDA_OK && i < NCOLS; i++)
        if (i != COL_PINYIN && i != COL_CATEGORY)
            rc = wenda_search_words_add(se, row->col[i]);
    if (rc == WENDA_OK)
        rc = wenda_search_sounds_add(se, row->sounds);
    return rc;
}

void
wenda_search_row_free(struct wenda_search_row *row)
{
    size_t i;

    if (row == NULL)
        return;
    for (i = 0; i < NCOLS; i++) {
        free(row->col[i]);
        wenda_token_stream_cleanup(&row->tokens[i]);
    }
    for (i = 0; i < row->nkeys; i++)
        free(row->keys[i].key);
    free(row->keys);
    wenda_search_sounds_free(row->sounds);
    free(row);
}

enum wenda_err
wenda_search_index(struct wenda_search *se, int64_t id,
                   const struct wenda_topic *t)
{
    struct wenda_search_row *row;
    enum wenda_err rc;

    rc = wenda_search_prepare(wenda_search_tokenizer(se), t, 0, &row);
    if (rc != WENDA_OK)
        return rc;
    rc = wenda_search_write(se, id, row);
    wenda_search_row_free(row);
    return rc;
}

enum wenda_err
wenda_search_unindex(struct wenda_search *se, int64_t id)
{
    struct rank_params *rp = se->rp;
    sqlite3_stmt *fts = index_stmt(se, &rp->del_fts,
                                   "DELETE FROM topics_fts WHERE rowid = ?1");
    sqlite3_stmt *keys = index_stmt(se, &rp->del_key,
                                    "DELETE FROM title_keys "
                                    "WHERE topic_id = ?1");
    enum wenda_err rc;

    if (fts == NULL || keys == NULL)
        return WENDA_ERR_DB;
    /* First: it reads the row about to go. */
    rc = wenda_search_sounds_drop(se, id);
    if (rc != WENDA_OK)
        return rc;
    sqlite3_bind_int64(fts, 1, id);
    rc = step_once(fts);
    if (rc == WENDA_OK) {
        sqlite3_bind_int64(keys, 1, id);
        rc = step_once(keys);
    }
    return rc;
}

/*
 * FTS5 deletes the rows of a table such as topics_fts one at a time,
 * tokenizing each again to find the words to take out of the index: 2.9 s
 * for 20,000 topics.  Dropping the table and creating it again from its
 * own CREATE statement (in sqlite_schema) empties it at once, and is as
 * much a part of the caller's transaction.
 */
enum wenda_err
wenda_search_index_clear(struct wenda_search *se)
{
    sqlite3 *db = se->db;
    sqlite3_stmt *s = NULL;
    char *create = NULL;
    enum wenda_err rc = WENDA_ERR_DB;

    if (sqlite3_prepare_v2(db,
                           "SELECT sql FROM sqlite_schema "
                           "WHERE type = 'table' AND name = 'topics_fts'",
                           -1, &s, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL) {
        create = strdup((const char *)sqlite3_column_text(s, 0));
        rc = create != NULL ? WENDA_OK : WENDA_ERR_NOMEM;
    }
    sqlite3_finalize(s);
    if (rc == WENDA_OK &&
        (sqlite3_exec(db, "DROP TABLE topics_fts; DELETE FROM title_keys;",
                      NULL, NULL, NULL) != SQLITE_OK ||
         sqlite3_exec(db, create, NULL, NULL, NULL) != SQLITE_OK))
        rc = WENDA_ERR_DB;
    free(create);
    if (rc == WENDA_OK)
        rc = wenda_search_words_clear(se);
    if (rc == WENDA_OK)
        rc = wenda_search_sounds_clear(se);
    return rc;
}

enum wenda_err
wenda_search_index_optimize(struct wenda_search *se)
{
    return sqlite3_exec(se->db,
                        "INSERT INTO topics_fts(topics_fts) "
                        "VALUES ('optimize')",
                        NULL, NULL, NULL) == SQLITE_OK
               ? WENDA_OK
               : WENDA_ERR_DB;
}

enum wenda_err
wenda_search_index_bulk(struct wenda_search *se, int on)
{
    /*
     * FTS5 writes a segment per megabyte of tokens and, by default, merges
     * them four at a time as it goes (automerge 4), so that each token of
     * an import of 300,000 topics was written again some five times, a
     * third of the import.  During a bulk load, segments are only merged
     * when 256 pile up on one level (crisismerge), and the final optimize
     * merges what is left in one pass.  256 was measured against 64 and
     * 1,000: at a million topics 171 s against 186 s for 64, and no page
     * left free in the file, where 64 left 9% of it free and 1,000 left
     * 23% free at 100,000 topics (the last merge frees its inputs' pages,
     * and with fewer merges before it nothing is written after to take
     * them).  The tokens of a bulk load are held in memory up to 8 MiB
     * (hashsize) rather than FTS5's 1 MiB before a segment is written: an
     * import of 100,000 topics took 11.1 and 11.4 s against 13.0 and
     * 14.7 s, for a peak RSS of 56 MB against 39 (4 MiB: 11.5 and 11.8 s;
     * 32 MiB: 11.4 and 12.7 s; 256 MiB: 14.0 and 14.5 s, and 412 MB).
     * Migration 0010, which rebuilds the index, holds as many.
     *
     * Both write leaves of 1,000 bytes (pgsz) rather than FTS5's 4,050:
     * a term is found by reading its leaf from the start, term after
     * term, and every full-text statement finds a few.  Instructions per
     * search, against 4,050: 6% fewer for the clean mix and 8% for the
     * slips mix on the 64 topics, 3% at 3,000 and 5% at 100,000 bench-gen
     * topics; 0.5% more for the broadest queries at 100,000, and a file
     * 0.5% larger.  An import of 100,000 took the same time.  The setting
     * stays with the index; one imported before keeps its leaves.
     */
#define FTS_SET "INSERT INTO topics_fts(topics_fts, rank) VALUES "
    static const char bulk[] = FTS_SET "('automerge', 0);"
        FTS_SET "('crisismerge', 256);" FTS_SET "('hashsize', 8388608);"
        FTS_SET "('pgsz', 1000);";
    static const char usual[] = FTS_SET "('automerge', 4);"
        FTS_SET "('crisismerge', 16);" FTS_SET "('hashsize', 1048576);"
        FTS_SET "('pgsz', 1000);";
#undef FTS_SET

    if (sqlite3_exec(se->db, on ? bulk : usual, NULL, NULL, NULL) !=
        SQLITE_OK)
        return WENDA_ERR_DB;
    return wenda_search_sounds_bulk(se, on);
}

void
wenda_search_index_abandon(struct wenda_search *se)
{
    wenda_search_sounds_forget(se);
}

enum wenda_err
wenda_search_in_transaction(struct wenda_search *se,
                            enum wenda_err (*fill)(struct wenda_search *se,
                                                   void *ctx),
                            void *ctx)
{
    int own = sqlite3_get_autocommit(se->db);
    enum wenda_err rc;

    if (own && sqlite3_exec(se->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
                   SQLITE_OK)
        return WENDA_ERR_DB;
    rc = fill(se, ctx);
    if (own && sqlite3_exec(se->db, rc == WENDA_OK ? "COMMIT" : "ROLLBACK",
                            NULL, NULL, NULL) != SQLITE_OK)
        rc = WENDA_ERR_DB;
    return rc;
}
