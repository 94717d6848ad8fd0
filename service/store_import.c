/*
 * store_import.c -- a whole content set into the store at once (wenda
 * import, the API's full import): one write transaction, the secondary
 * indexes and triggers dropped and built again at the end, the search
 * index written in bulk and merged once.  The topics' index rows may be
 * built on other threads (wenda_store_import_prepare()); only the writes
 * run on the store's.  A whole content set also brings the synonyms and
 * the dictionary, which replace the store's in the same transaction (and
 * are read back for a content set by wenda_store_dump_lexicon()).
 */
#include "wenda/store.h"
#include "store_impl.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "search_int.h"

/*
 * An import in progress: one write transaction, the statements it repeats
 * prepared once, and the id the next topic gets.
 */
struct wenda_import {
    struct wenda_store *st;
    sqlite3_stmt *top, *tag;
    int64_t next_id;
    char stamp[32];
    char *schema;   /* CREATE INDEX and TRIGGER statements for the end */
    int secure_delete;  /* the connection's setting, given back at the end */
};

/*
 * Drops the secondary indexes and the triggers of the tables an import
 * fills, keeping their CREATE statements in im->schema for
 * import_schema_restore().  Built once from sorted keys at the end, an
 * index costs a fraction of what a row-by-row insert in key order costs,
 * and it takes the pages that merging the full-text index freed instead of
 * growing the file.  The triggers keep the counts of topics by category
 * and tag (migration 0009), which one GROUP BY each sets at the end
 * instead of an update per row; without them the DELETE of the old topics
 * also empties each table at once.  (The primary keys and the slug's
 * UNIQUE stay: they check the rows as they come.)
 */
static enum wenda_err
import_schema_drop(struct wenda_import *im)
{
    static const char list[] =
        "SELECT type, name, sql FROM sqlite_schema WHERE type IN ('index', "
        "'trigger') AND sql IS NOT NULL AND tbl_name IN ('topics', "
        "'topic_tags', 'title_keys') ORDER BY type, name";
    struct buf create = {0}, drop = {0};
    sqlite3_stmt *s;
    enum wenda_err rc = WENDA_OK;
    int step;

    if (sqlite3_prepare_v2(im->st->db, list, -1, &s, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(s, 0);
        const char *name = (const char *)sqlite3_column_text(s, 1);
        const char *sql = (const char *)sqlite3_column_text(s, 2);
        char *q = sqlite3_mprintf("DROP %s \"%w\";",
                                  strcmp(type, "index") == 0 ? "INDEX"
                                                             : "TRIGGER",
                                  name);

        if (q == NULL) {
            rc = WENDA_ERR_NOMEM;
            break;
        }
        wenda_buf_adds(&drop, q);
        sqlite3_free(q);
        wenda_buf_adds(&create, sql);
        wenda_buf_adds(&create, ";\n");
    }
    sqlite3_finalize(s);
    if (rc == WENDA_OK && step != SQLITE_DONE)
        rc = WENDA_ERR_DB;
    if (rc == WENDA_OK &&
        (wenda_buf_failed(&drop) || wenda_buf_failed(&create)))
        rc = WENDA_ERR_NOMEM;
    if (rc == WENDA_OK && drop.n > 0 &&
        sqlite3_exec(im->st->db, drop.p, NULL, NULL, NULL) != SQLITE_OK)
        rc = WENDA_ERR_DB;
    wenda_buf_cleanup(&drop);
    if (rc == WENDA_OK && create.n > 0)
        im->schema = wenda_buf_take(&create, NULL);
    wenda_buf_cleanup(&create);
    return rc;
}

/* What the triggers import_schema_drop() dropped would have counted. */
static const char import_counts_sql[] =
    "DELETE FROM category_counts; DELETE FROM tag_counts; "
    "INSERT INTO category_counts(category, n) "
    "    SELECT category, count(*) FROM topics GROUP BY category; "
    "INSERT INTO tag_counts(tag, n) "
    "    SELECT tag, count(*) FROM topic_tags GROUP BY tag;";

/* Creates again what import_schema_drop() dropped, and counts. */
static enum wenda_err
import_schema_restore(struct wenda_import *im)
{
    if (im->schema != NULL &&
        sqlite3_exec(im->st->db, im->schema, NULL, NULL, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    return sqlite3_exec(im->st->db, import_counts_sql, NULL, NULL, NULL) ==
                   SQLITE_OK
               ? WENDA_OK
               : WENDA_ERR_DB;
}

/* Gives the connection back the settings an import changed. */
static void
import_settings_restore(struct wenda_import *im)
{
    char sql[64];

    (void)sqlite3_exec(im->st->db, "PRAGMA journal_mode = WAL", NULL, NULL,
                       NULL);
    if (im->secure_delete >= 0) {
        (void)snprintf(sql, sizeof(sql), "PRAGMA secure_delete = %s",
                       im->secure_delete == 2   ? "FAST"
                       : im->secure_delete == 1 ? "ON"
                                                : "OFF");
        (void)sqlite3_exec(im->st->db, sql, NULL, NULL, NULL);
    }
}

static enum wenda_err
import_categories(struct wenda_store *st, const struct wenda_category *cats,
                  size_t ncats)
{
    sqlite3_stmt *s = NULL;
    size_t i;

    if (sqlite3_exec(st->db, "DELETE FROM categories", NULL, NULL, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(st->db,
                           "INSERT INTO categories(slug, name, name_en, ord) "
                           "VALUES (?1, ?2, ?3, ?4)",
                           -1, &s, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    for (i = 0; i < ncats; i++) {
        sqlite3_bind_text(s, 1, cats[i].slug, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, cats[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, cats[i].name_en, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 4, (sqlite3_int64)i + 1);
        if (sqlite3_step(s) != SQLITE_DONE) {
            sqlite3_finalize(s);
            return WENDA_ERR_DB;
        }
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return WENDA_OK;
}

/*
 * Empties the topics, their tags and the search index for import im, the
 * secondary indexes and triggers dropped first (import_schema_drop()),
 * and prepares the statements that write each topic.
 */
static enum wenda_err
import_clear(struct wenda_import *im)
{
    struct wenda_store *st = im->st;
    int old = 0;   /* topics there were */
    enum wenda_err rc;

    rc = import_schema_drop(im);
    if (rc == WENDA_OK &&
        wenda_store_one_int(st->db,
                            "SELECT coalesce(sum(n), 0) FROM category_counts",
                            &old) == SQLITE_OK &&
        old > 0)
        wenda_store_progress_note(st, WENDA_STORE_CLEAR, old, NULL);
    /*
     * The rows that refer to topics go before the topics: with the
     * indexes on their topic_id dropped, the ON DELETE CASCADE of each
     * topic deleted would read all of them.
     */
    if (rc == WENDA_OK)
        rc = wenda_search_index_clear(st->search);
    if (rc == WENDA_OK &&
        (sqlite3_exec(st->db, "DELETE FROM topic_tags; DELETE FROM topics;",
                      NULL, NULL, NULL) != SQLITE_OK ||
         sqlite3_prepare_v2(st->db,
                            "INSERT INTO topics(id, slug, title, title_en, "
                            "category, ord, tags, aliases, answer, version, "
                            "updated_at, doc, summary, corrections) VALUES "
                            "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, "
                            "?11, ?12, ?13)",
                            -1, &im->top, NULL) != SQLITE_OK ||
         sqlite3_prepare_v2(st->db,
                            "INSERT INTO topic_tags(tag, topic_id) "
                            "VALUES (?1, ?2)",
                            -1, &im->tag, NULL) != SQLITE_OK))
        rc = WENDA_ERR_DB;
    return rc;
}

enum wenda_err
wenda_store_import_begin(struct wenda_store *st,
                         const struct wenda_category *cats, size_t ncats,
                         struct wenda_import **out)
{
    struct wenda_import *im;
    enum wenda_err rc;

    *out = NULL;
    if (st->readonly)
        return WENDA_ERR_INVALID;
    im = calloc(1, sizeof(*im));
    if (im == NULL)
        return WENDA_ERR_NOMEM;
    im->st = st;
    im->next_id = 1;
    wenda_store_now(im->stamp, sizeof(im->stamp));
    /*
     * A whole import writes every page of the database: through a rollback
     * journal (which keeps only the few pages it replaces) rather than the
     * write-ahead log (which would hold them all, to be copied again at the
     * checkpoint) it writes half as much.  Only possible with no other
     * connection open; otherwise the import goes through the log.
     */
    (void)sqlite3_exec(st->db, "PRAGMA journal_mode = DELETE", NULL, NULL,
                       NULL);
    /*
     * SQLite built with SQLITE_SECURE_DELETE (Debian's is) writes zeros
     * over every page an import frees: all of the old topics and of their
     * index, 4 to 5.5 s of an import over 100,000 topics before its first
     * one, against 1.1 s with FAST, which zeroes deleted rows on the pages
     * it writes anyway but leaves free pages as they are, for the import
     * to write over.
     */
    if (wenda_store_one_int(st->db, "PRAGMA secure_delete",
                            &im->secure_delete) != SQLITE_OK)
        im->secure_delete = -1;
    (void)sqlite3_exec(st->db, "PRAGMA secure_delete = FAST", NULL, NULL,
                       NULL);
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
        SQLITE_OK) {
        import_settings_restore(im);
        free(im);
        return WENDA_ERR_DB;
    }
    rc = import_clear(im);
    if (rc == WENDA_OK && cats != NULL)
        rc = import_categories(st, cats, ncats);
    if (rc == WENDA_OK)
        rc = wenda_search_index_bulk(st->search, 1);
    if (rc != WENDA_OK)
        goto fail;
    *out = im;
    return WENDA_OK;
fail:
    (void)wenda_store_import_end(im, 0);
    return rc;
}

/* A topic's text columns as stored: JSON arrays and the API's documents. */
/*
 * One topic of an import, ready to be written: the topic (borrowed), the
 * id it is stored under, the JSON texts of its columns, and its index row.
 */
struct wenda_import_row {
    const struct wenda_topic *t;
    int64_t id;
    struct topic_text text;
    struct wenda_search_row *index;
};

const char *
wenda_store_import_stamp(const struct wenda_import *im)
{
    return im->stamp;
}

enum wenda_err
wenda_store_import_prepare(struct wenda_tokenizer *tk,
                           const struct wenda_topic *t, int64_t id,
                           const char *stamp, int pretokenize,
                           struct wenda_import_row **out)
{
    struct wenda_import_row *row;
    enum wenda_err rc;

    *out = NULL;
    row = calloc(1, sizeof(*row));
    if (row == NULL)
        return WENDA_ERR_NOMEM;
    row->t = t;
    row->id = id;
    rc = wenda_store_render(t, id, 1, stamp, &row->text);
    if (rc == WENDA_OK)
        rc = wenda_search_prepare(tk, t, pretokenize, &row->index);
    if (rc != WENDA_OK) {
        wenda_store_import_row_free(row);
        return rc;
    }
    *out = row;
    return WENDA_OK;
}

void
wenda_store_import_row_free(struct wenda_import_row *row)
{
    if (row == NULL)
        return;
    wenda_store_text_cleanup(&row->text);
    wenda_search_row_free(row->index);
    free(row);
}

/* Binds the columns of row to im->top and steps it. */
static enum wenda_err
import_row(struct wenda_import *im, const struct wenda_import_row *row,
           char *msg, size_t msgcap)
{
    sqlite3_stmt *top = im->top;
    const struct wenda_topic *t = row->t;
    int step;

    sqlite3_bind_int64(top, 1, row->id);
    sqlite3_bind_text(top, 2, t->slug, -1, SQLITE_STATIC);
    sqlite3_bind_text(top, 3, t->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(top, 4, t->title_en ? t->title_en : "", -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(top, 5, t->category, -1, SQLITE_STATIC);
    sqlite3_bind_int64(top, 6, t->order);
    sqlite3_bind_text(top, 7, row->text.tags, -1, SQLITE_STATIC);
    sqlite3_bind_text(top, 8, row->text.aliases, -1, SQLITE_STATIC);
    sqlite3_bind_text(top, 9, t->answer, -1, SQLITE_STATIC);
    sqlite3_bind_text(top, 10, im->stamp, -1, SQLITE_STATIC);
    sqlite3_bind_text(top, 11, row->text.doc, -1, SQLITE_STATIC);
    sqlite3_bind_text(top, 12, row->text.summary, -1, SQLITE_STATIC);
    sqlite3_bind_text(top, 13, row->text.corrections, -1, SQLITE_STATIC);
    step = sqlite3_step(top);
    wenda_store_done(top);
    if (step == SQLITE_DONE)
        return WENDA_OK;
    if (step == SQLITE_CONSTRAINT_FOREIGNKEY) {
        (void)snprintf(msg, msgcap, "unknown category '%.64s'", t->category);
        return WENDA_ERR_INVALID;
    }
    if ((step & 0xff) == SQLITE_CONSTRAINT) {
        (void)snprintf(msg, msgcap, "duplicate slug '%.64s'", t->slug);
        return WENDA_ERR_CONFLICT;
    }
    return WENDA_ERR_DB;
}

enum wenda_err
wenda_store_import_add_row(struct wenda_import *im,
                           const struct wenda_import_row *row, char *msg,
                           size_t msgcap)
{
    const struct wenda_topic *t = row->t;
    enum wenda_err rc;
    size_t j;

    msg[0] = '\0';
    if (row->id != im->next_id) {
        (void)snprintf(msg, msgcap,
                       "topic prepared as id %lld, the next id is %lld",
                       (long long)row->id, (long long)im->next_id);
        return WENDA_ERR_INVALID;
    }
    rc = import_row(im, row, msg, msgcap);
    for (j = 0; rc == WENDA_OK && j < t->tags.n; j++) {
        sqlite3_bind_text(im->tag, 1, t->tags.v[j], -1, SQLITE_STATIC);
        sqlite3_bind_int64(im->tag, 2, row->id);
        if (sqlite3_step(im->tag) != SQLITE_DONE)
            rc = WENDA_ERR_DB;
        wenda_store_done(im->tag);
    }
    if (rc == WENDA_OK)
        rc = wenda_search_write(im->st->search, row->id, row->index);
    if (rc == WENDA_OK)
        wenda_store_progress_note(im->st, WENDA_STORE_WRITTEN, im->next_id++,
                                  NULL);
    return rc;
}

enum wenda_err
wenda_store_import_add(struct wenda_import *im, const struct wenda_topic *t,
                       char *msg, size_t msgcap)
{
    struct wenda_import_row *row;
    enum wenda_err rc;

    msg[0] = '\0';
    rc = wenda_store_import_prepare(wenda_store_tokenizer(im->st), t,
                                    im->next_id, im->stamp, 0, &row);
    if (rc != WENDA_OK)
        return rc;
    rc = wenda_store_import_add_row(im, row, msg, msgcap);
    wenda_store_import_row_free(row);
    return rc;
}

/*
 * The end of an import that commits.  The segments FTS5 wrote during the
 * import are merged into one first (see wenda_search_index_bulk()): a
 * search looks every word up in each segment, and with one it is about a
 * third faster than with the dozen that FTS5's own merging leaves after
 * 100,000 topics.  Merging goes back to FTS5's defaults only after that:
 * the optimize first writes out the tokens still pending, and with the
 * defaults back that segment would set off a merge of the whole pile
 * first.
 */
static enum wenda_err
import_commit(struct wenda_import *im)
{
    int64_t n = im->next_id - 1;
    enum wenda_err rc;

    wenda_store_progress_note(im->st, WENDA_STORE_MERGE, n, NULL);
    rc = wenda_search_index_optimize(im->st->search);
    if (rc == WENDA_OK)
        rc = wenda_search_index_bulk(im->st->search, 0);
    if (rc == WENDA_OK) {
        wenda_store_progress_note(im->st, WENDA_STORE_INDEX, n, NULL);
        rc = import_schema_restore(im);
    }
    if (rc == WENDA_OK) {
        wenda_store_progress_note(im->st, WENDA_STORE_COMMIT, n, NULL);
        if (sqlite3_exec(im->st->db, "COMMIT", NULL, NULL, NULL) !=
            SQLITE_OK)
            rc = WENDA_ERR_DB;
    }
    return rc;
}

enum wenda_err
wenda_store_import_end(struct wenda_import *im, int commit)
{
    enum wenda_err rc = WENDA_OK;

    if (im == NULL)
        return WENDA_ERR_INVALID;
    sqlite3_finalize(im->top);
    sqlite3_finalize(im->tag);
    if (commit)
        rc = import_commit(im);
    if (commit && rc == WENDA_OK)
        wenda_store_changed();
    else
        (void)sqlite3_exec(im->st->db, "ROLLBACK", NULL, NULL, NULL);
    import_settings_restore(im);
    free(im->schema);
    free(im);
    return rc;
}

/*
 * Replaces the lexicon document name with json (NULL: the empty
 * document), as an import by "import", unless it is the same text: a
 * document the import does not change keeps its version and gets no
 * audit row.
 */
static enum wenda_err
import_lexicon(struct wenda_store *st, const char *name, const char *json)
{
    const char *want = json != NULL ? json : "{}";
    char *now = NULL;
    int64_t version;
    enum wenda_err rc = wenda_store_lexicon_get(st, name, &now, &version);

    if (rc == WENDA_OK && strcmp(now, want) != 0)
        rc = wenda_store_lexicon_put(st, name, want, WENDA_STORE_ANY_VERSION,
                                     "import", NULL);
    free(now);
    return rc;
}

enum wenda_err
wenda_store_dump_lexicon(struct wenda_store *st, struct wenda_content *out)
{
    char **docs[] = {&out->synonyms, &out->dictionary};
    const char *const names[] = {"synonyms", "dictionary"};
    enum wenda_err rc = WENDA_OK;
    int64_t version;
    size_t i;

    for (i = 0; rc == WENDA_OK && i < 2; i++) {
        free(*docs[i]);
        rc = wenda_store_lexicon_get(st, names[i], docs[i], &version);
        if (rc == WENDA_OK && strcmp(*docs[i], "{}") == 0) {
            free(*docs[i]);
            *docs[i] = NULL;
        }
    }
    return rc;
}

enum wenda_err
wenda_store_import(struct wenda_store *st, const struct wenda_content *c)
{
    struct wenda_import *im;
    enum wenda_err rc;
    char msg[160];
    size_t i;

    rc = wenda_store_import_begin(st, c->cats, c->ncats, &im);
    /* Before the topics, so that their indexing sees the new lexicon. */
    if (rc == WENDA_OK)
        rc = import_lexicon(st, "synonyms", c->synonyms);
    if (rc == WENDA_OK)
        rc = import_lexicon(st, "dictionary", c->dictionary);
    for (i = 0; rc == WENDA_OK && i < c->ntopics; i++)
        rc = wenda_store_import_add(im, &c->topics[i], msg, sizeof(msg));
    if (im == NULL)
        return rc;
    if (rc != WENDA_OK) {
        (void)wenda_store_import_end(im, 0);
        return rc;
    }
    return wenda_store_import_end(im, 1);
}

