/*
 * store_import.c -- a whole content set into the store at once (wenda
 * import, the API's full import): one write transaction, the secondary
 * indexes and triggers dropped and built again at the end, the search
 * index written in bulk and merged once.  The topics' index rows may be
 * built on other threads (wenda_store_import_prepare()); only the writes
 * run on the store's.  A whole content set also brings the synonyms and
 * the dictionary, which replace the store's in the same transaction (and
 * are read back for a content set by wenda_store_dump_lexicon()).
 *
 * Ids are forever: a topic is matched to the store's by its slug, one
 * lookup in the slug's index each, and keeps its id; a new slug gets an
 * id past every id ever given (migration 0015); the topics the import
 * does not hold are removed at the end, in one statement each for their
 * revisions and their rows.  A topic's JSON is rendered before its id is
 * known, on whatever thread prepared it, and given its id, version and
 * updated_at when it is written (reheaded()); the same JSON without them
 * (doc_body()) tells whether a topic changed.
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
 * An import in progress: one write transaction (a read one when dry), the
 * statement it repeats prepared once, and the id the next new topic gets.
 * When the store had topics, or the run is dry, each topic is matched by
 * slug and its slug kept in temp.import_seen, which finds a slug given
 * twice and, at the end, the topics to remove.  The categories an import
 * brings are kept in temp.import_cats until the end, where those no longer
 * there go.
 */
struct wenda_import {
    struct wenda_store *st;
    sqlite3_stmt *tag, *seen, *cat;
    int64_t next_id;
    size_t n;           /* topics added to the import so far */
    int matching;       /* match each topic by slug */
    int with_cats;      /* the import brings its categories */
    struct wenda_import_opts opts;
    struct wenda_import_counts counts;
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

/* Creates again what import_schema_drop() dropped. */
static enum wenda_err
import_schema_restore(struct wenda_import *im)
{
    return im->schema == NULL ||
                   sqlite3_exec(im->st->db, im->schema, NULL, NULL, NULL) ==
                       SQLITE_OK
               ? WENDA_OK
               : WENDA_ERR_DB;
}

/* Gives the connection back the settings an import changed. */
static void
import_settings_restore(struct wenda_import *im)
{
    char sql[64];

    if (im->opts.dry_run)
        return;
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

/* Steps s, bound by the caller, and resets it; returns the step's code. */
static int
step_done(sqlite3_stmt *s)
{
    int step = sqlite3_step(s);

    wenda_store_done(s);
    return step;
}

/*
 * Writes the categories cats[0..ncats) of import im, in their order, over
 * the store's of the same slug (a dry run writes none), and keeps their
 * slugs in temp.import_cats: the store's others go at the end
 * (import_remove()), once no topic is left in them.
 */
static enum wenda_err
import_categories(struct wenda_import *im, const struct wenda_category *cats,
                  size_t ncats)
{
    sqlite3_stmt *put = NULL, *keep = NULL;
    enum wenda_err rc = WENDA_OK;
    size_t i;

    if (sqlite3_exec(im->st->db,
                     "CREATE TEMP TABLE import_cats(slug TEXT PRIMARY KEY) "
                     "WITHOUT ROWID",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(im->st->db,
                           "INSERT OR IGNORE INTO temp.import_cats(slug) "
                           "VALUES (?1)",
                           -1, &keep, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(im->st->db,
                           "SELECT 1 FROM temp.import_cats WHERE slug = ?1",
                           -1, &im->cat, NULL) != SQLITE_OK ||
        (!im->opts.dry_run &&
         sqlite3_prepare_v2(im->st->db,
                            "INSERT INTO categories(slug, name, name_en, ord) "
                            "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(slug) DO "
                            "UPDATE SET name = excluded.name, name_en = "
                            "excluded.name_en, ord = excluded.ord",
                            -1, &put, NULL) != SQLITE_OK))
        rc = WENDA_ERR_DB;
    for (i = 0; rc == WENDA_OK && i < ncats; i++) {
        sqlite3_bind_text(keep, 1, cats[i].slug, -1, SQLITE_STATIC);
        if (step_done(keep) != SQLITE_DONE)
            rc = WENDA_ERR_DB;
        if (put == NULL || rc != WENDA_OK)
            continue;
        sqlite3_bind_text(put, 1, cats[i].slug, -1, SQLITE_STATIC);
        sqlite3_bind_text(put, 2, cats[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_text(put, 3, cats[i].name_en, -1, SQLITE_STATIC);
        sqlite3_bind_int64(put, 4, (sqlite3_int64)i + 1);
        if (step_done(put) != SQLITE_DONE)
            rc = WENDA_ERR_DB;
    }
    sqlite3_finalize(put);
    sqlite3_finalize(keep);
    im->with_cats = 1;
    return rc;
}

/*
 * Empties what an import writes again for every topic -- their tags and
 * the search index -- the secondary indexes and triggers dropped first
 * (import_schema_drop()); the topics stay, to be matched.
 */
static enum wenda_err
import_clear(struct wenda_import *im)
{
    struct wenda_store *st = im->st;
    enum wenda_err rc;

    rc = import_schema_drop(im);
    /*
     * The rows that refer to topics go now: with the indexes on their
     * topic_id dropped, the ON DELETE CASCADE of each topic removed would
     * read all of them.
     */
    if (rc == WENDA_OK)
        rc = wenda_search_index_clear(st->search);
    if (rc == WENDA_OK &&
        sqlite3_exec(st->db, "DELETE FROM topic_tags", NULL, NULL, NULL) !=
            SQLITE_OK)
        rc = WENDA_ERR_DB;
    return rc;
}

/*
 * Opens the transaction of import im: a write one that goes through a
 * rollback journal, or a read one for a dry run.
 */
static enum wenda_err
import_open(struct wenda_import *im)
{
    struct wenda_store *st = im->st;

    if (im->opts.dry_run)
        return sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK
                   ? WENDA_OK
                   : WENDA_ERR_DB;
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
     * over every page an import frees: all of the old index, seconds of an
     * import over 100,000 topics, against a fraction of one with FAST,
     * which zeroes deleted rows on the pages it writes anyway but leaves
     * free pages as they are, for the import to write over.
     */
    if (wenda_store_one_int(st->db, "PRAGMA secure_delete",
                            &im->secure_delete) != SQLITE_OK)
        im->secure_delete = -1;
    (void)sqlite3_exec(st->db, "PRAGMA secure_delete = FAST", NULL, NULL,
                       NULL);
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
        SQLITE_OK)
        return WENDA_OK;
    import_settings_restore(im);
    return WENDA_ERR_DB;
}

/*
 * Sets up the matching of import im: whether the store holds topics to
 * match (a dry run always matches, to find a slug given twice), the id
 * its first new topic gets, and temp.import_seen.
 */
static enum wenda_err
import_match_begin(struct wenda_import *im)
{
    struct wenda_store *st = im->st;
    int old = 0;

    im->next_id = wenda_store_int(st, S_NEXT_ID, NULL, -1);
    if (im->next_id <= 0 ||
        wenda_store_one_int(st->db,
                            "SELECT EXISTS (SELECT 1 FROM topics)",
                            &old) != SQLITE_OK)
        return WENDA_ERR_DB;
    im->matching = old || im->opts.dry_run;
    if (!im->matching)
        return WENDA_OK;
    return sqlite3_exec(st->db,
                        "CREATE TEMP TABLE import_seen(slug TEXT PRIMARY "
                        "KEY) WITHOUT ROWID",
                        NULL, NULL, NULL) == SQLITE_OK &&
                   sqlite3_prepare_v2(st->db,
                                      "INSERT INTO temp.import_seen(slug) "
                                      "VALUES (?1)",
                                      -1, &im->seen, NULL) == SQLITE_OK
               ? WENDA_OK
               : WENDA_ERR_DB;
}

enum wenda_err
wenda_store_import_begin(struct wenda_store *st,
                         const struct wenda_category *cats, size_t ncats,
                         const struct wenda_import_opts *opts,
                         struct wenda_import **out)
{
    struct wenda_import *im;
    enum wenda_err rc;

    *out = NULL;
    if (st->readonly && (opts == NULL || !opts->dry_run))
        return WENDA_ERR_INVALID;
    im = calloc(1, sizeof(*im));
    if (im == NULL)
        return WENDA_ERR_NOMEM;
    im->st = st;
    im->secure_delete = -1;
    if (opts != NULL)
        im->opts = *opts;
    wenda_store_now(im->stamp, sizeof(im->stamp));
    rc = import_open(im);
    if (rc != WENDA_OK) {
        free(im);
        return rc;
    }
    rc = import_match_begin(im);
    if (rc == WENDA_OK && !im->opts.dry_run)
        rc = import_clear(im);
    if (rc == WENDA_OK && cats != NULL)
        rc = import_categories(im, cats, ncats);
    if (rc == WENDA_OK && !im->opts.dry_run &&
        sqlite3_prepare_v2(st->db,
                           "INSERT INTO topic_tags(tag, topic_id) "
                           "VALUES (?1, ?2)",
                           -1, &im->tag, NULL) != SQLITE_OK)
        rc = WENDA_ERR_DB;
    if (rc == WENDA_OK && !im->opts.dry_run)
        rc = wenda_search_index_bulk(st->search, 1);
    if (rc != WENDA_OK) {
        (void)wenda_store_import_end(im, 0, NULL);
        return rc;
    }
    *out = im;
    return WENDA_OK;
}

/*
 * One topic of an import, ready to be written: the topic (borrowed), the
 * JSON texts of its columns, rendered as id 0 at version 1 (reheaded()
 * gives them their own), and its index row.
 */
struct wenda_import_row {
    const struct wenda_topic *t;
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
                           const struct wenda_topic *t, const char *stamp,
                           int pretokenize, struct wenda_import_row **out)
{
    struct wenda_import_row *row;
    enum wenda_err rc;

    *out = NULL;
    row = calloc(1, sizeof(*row));
    if (row == NULL)
        return WENDA_ERR_NOMEM;
    row->t = t;
    rc = wenda_store_render(t, 0, 1, stamp, &row->text);
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

/*
 * Finds in a topic's JSON doc, as wenda_topic_json() writes it (its id
 * the first member, its version and updated_at the last two), what lies
 * between them: *body, *n bytes, from the slug on.  Returns 0, or -1 when
 * doc is not of that form.
 */
static int
doc_body(const char *doc, const char **body, size_t *n)
{
    static const char tail[] = ",\"version\":";
    const char *p = strchr(doc, ','), *end;

    if (strncmp(doc, "{\"id\":", 6) != 0 || p == NULL)
        return -1;
    /* The last ,"version": is the member: one in a string is escaped. */
    for (end = doc + strlen(doc); end > p; end--)
        if (*end == ',' && strncmp(end, tail, sizeof(tail) - 1) == 0)
            break;
    if (end <= p)
        return -1;
    *body = p + 1;
    *n = (size_t)(end - *body);
    return 0;
}

/*
 * Returns a new copy of the JSON doc (see doc_body()) as topic id at
 * version on stamp (an RFC 3339 time, nothing to escape), or NULL when
 * out of memory or doc is not of that form.
 */
static char *
reheaded(const char *doc, int64_t id, int64_t version, const char *stamp)
{
    struct buf b = {0};
    const char *body;
    size_t n;

    if (doc_body(doc, &body, &n) != 0)
        return NULL;
    wenda_buf_addf(&b, "{\"id\":%lld,", (long long)id);
    wenda_buf_add(&b, body, n);
    wenda_buf_addf(&b, ",\"version\":%lld,\"updated_at\":\"%s\"}",
                   (long long)version, stamp);
    return wenda_buf_take(&b, NULL);
}

int
wenda_store_doc_differs(const char *a, const char *b)
{
    const char *pa, *pb;
    size_t na, nb;

    if (doc_body(a, &pa, &na) != 0 || doc_body(b, &pb, &nb) != 0)
        return 1;
    return na != nb || memcmp(pa, pb, na) != 0;
}

/*
 * Writes row as topic id at version, stamped im->stamp: its row inserted
 * (insert) or updated, and *doc its JSON (new; the caller frees).
 */
static enum wenda_err
import_write(struct wenda_import *im, const struct wenda_import_row *row,
             int64_t id, int64_t version, int insert, char **doc, char *msg,
             size_t msgcap)
{
    const struct wenda_topic *t = row->t;
    char *summary = reheaded(row->text.summary, id, version, im->stamp);
    sqlite3_stmt *s;
    int step;

    *doc = reheaded(row->text.doc, id, version, im->stamp);
    if (*doc == NULL || summary == NULL) {
        free(summary);
        return WENDA_ERR_NOMEM;
    }
    if (wenda_store_stmt(im->st, insert ? S_INSERT_TOPIC : S_UPDATE_TOPIC,
                         &s) != WENDA_OK) {
        free(summary);
        return WENDA_ERR_DB;
    }
    sqlite3_bind_text(s, 1, t->slug, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, t->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, t->title_en ? t->title_en : "", -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(s, 4, t->category, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, t->order);
    sqlite3_bind_text(s, 6, row->text.tags, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, row->text.aliases, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, t->answer, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 9, version);
    sqlite3_bind_text(s, 10, im->stamp, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 11, *doc, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 12, summary, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 13, id);
    sqlite3_bind_text(s, 14, row->text.corrections, -1, SQLITE_STATIC);
    step = step_done(s);
    free(summary);
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

/* Returns whether topic t's category is one the import leaves. */
static int
import_category_known(struct wenda_import *im, const struct wenda_topic *t)
{
    if (!im->with_cats)
        return wenda_store_category_exists(im->st, t->category);
    sqlite3_bind_text(im->cat, 1, t->category, -1, SQLITE_STATIC);
    return step_done(im->cat) == SQLITE_ROW;
}

/*
 * Finds the topic of t's slug for a matching import: *id, *version and
 * its JSON *before (new; the caller frees), or *id 0 when there is none.
 * WENDA_ERR_CONFLICT when the import had the slug already,
 * WENDA_ERR_INVALID when the category is not one the import leaves.
 */
static enum wenda_err
import_match(struct wenda_import *im, const struct wenda_topic *t,
             int64_t *id, int64_t *version, char **before, char *msg,
             size_t msgcap)
{
    sqlite3_stmt *s;
    int step;

    *id = 0;
    *before = NULL;
    if (!import_category_known(im, t)) {
        (void)snprintf(msg, msgcap, "unknown category '%.64s'", t->category);
        return WENDA_ERR_INVALID;
    }
    sqlite3_bind_text(im->seen, 1, t->slug, -1, SQLITE_STATIC);
    step = step_done(im->seen);
    if ((step & 0xff) == SQLITE_CONSTRAINT) {
        (void)snprintf(msg, msgcap, "duplicate slug '%.64s'", t->slug);
        return WENDA_ERR_CONFLICT;
    }
    if (step != SQLITE_DONE ||
        wenda_store_stmt(im->st, S_PUT_BY_SLUG, &s) != WENDA_OK)
        return WENDA_ERR_DB;
    sqlite3_bind_text(s, 1, t->slug, -1, SQLITE_STATIC);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        *id = sqlite3_column_int64(s, 0);
        *version = sqlite3_column_int64(s, 1);
        *before = wenda_store_col_dup(s, 2);
    }
    wenda_store_done(s);
    if (step == SQLITE_ROW)
        return *before != NULL ? WENDA_OK : WENDA_ERR_NOMEM;
    return step == SQLITE_DONE ? WENDA_OK : WENDA_ERR_DB;
}

/*
 * Stores row in import im, matched by slug when im matches: added (a new
 * id), changed (a new version and its revision) or left as it is; a dry
 * run only tells which.  *id gets the topic's id (0: a dry run's new one).
 */
static enum wenda_err
import_store(struct wenda_import *im, const struct wenda_import_row *row,
             int64_t *id, char *msg, size_t msgcap)
{
    enum wenda_import_change what = WENDA_IMPORT_ADDED;
    char *before = NULL, *after = NULL;
    int64_t version = 0;
    enum wenda_err rc = WENDA_OK;

    if (im->matching)
        rc = import_match(im, row->t, id, &version, &before, msg, msgcap);
    if (rc == WENDA_OK && before != NULL)
        what = wenda_store_doc_differs(before, row->text.doc) ? WENDA_IMPORT_CHANGED
                                                  : WENDA_IMPORT_UNCHANGED;
    if (rc == WENDA_OK && what == WENDA_IMPORT_ADDED)
        *id = im->opts.dry_run ? 0 : im->next_id++;
    if (rc == WENDA_OK && !im->opts.dry_run && what != WENDA_IMPORT_UNCHANGED)
        rc = import_write(im, row, *id, version + 1,
                          what == WENDA_IMPORT_ADDED, &after, msg, msgcap);
    if (rc == WENDA_OK && what == WENDA_IMPORT_CHANGED && !im->opts.dry_run)
        rc = wenda_store_record(im->st, *id, version + 1, "update", before,
                                after, "import", im->stamp);
    free(before);
    free(after);
    if (rc != WENDA_OK)
        return rc;
    if (what == WENDA_IMPORT_ADDED)
        im->counts.added++;
    else if (what == WENDA_IMPORT_CHANGED)
        im->counts.changed++;
    else
        im->counts.unchanged++;
    if (im->opts.note != NULL)
        im->opts.note(im->opts.ctx, what, *id, row->t->slug);
    return WENDA_OK;
}

enum wenda_err
wenda_store_import_add_row(struct wenda_import *im,
                           const struct wenda_import_row *row, char *msg,
                           size_t msgcap)
{
    const struct wenda_topic *t = row->t;
    enum wenda_err rc;
    int64_t id = 0;
    size_t j;

    msg[0] = '\0';
    rc = import_store(im, row, &id, msg, msgcap);
    if (im->opts.dry_run)
        goto done;
    for (j = 0; rc == WENDA_OK && j < t->tags.n; j++) {
        sqlite3_bind_text(im->tag, 1, t->tags.v[j], -1, SQLITE_STATIC);
        sqlite3_bind_int64(im->tag, 2, id);
        if (step_done(im->tag) != SQLITE_DONE)
            rc = WENDA_ERR_DB;
    }
    if (rc == WENDA_OK)
        rc = wenda_search_write(im->st->search, id, row->index);
done:
    if (rc == WENDA_OK)
        wenda_store_progress_note(im->st, WENDA_STORE_WRITTEN,
                                  (int64_t)++im->n, NULL);
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
                                    im->stamp, 0, &row);
    if (rc != WENDA_OK)
        return rc;
    rc = wenda_store_import_add_row(im, row, msg, msgcap);
    wenda_store_import_row_free(row);
    return rc;
}

/* The topics a matching import did not hold, by their slugs. */
#define ABSENT_TOPICS "FROM topics WHERE slug NOT IN (SELECT slug FROM " \
               "temp.import_seen)"

/*
 * Tells and counts the topics import im removes: those it did not hold.
 * Returns WENDA_ERR_DB.
 */
static enum wenda_err
import_tell_removed(struct wenda_import *im)
{
    sqlite3_stmt *s;
    int step;

    if (!im->matching)
        return WENDA_OK;
    if (sqlite3_prepare_v2(im->st->db, "SELECT id, slug " ABSENT_TOPICS
                           " ORDER BY id", -1, &s, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        im->counts.removed++;
        if (im->opts.note != NULL)
            im->opts.note(im->opts.ctx, WENDA_IMPORT_REMOVED,
                          sqlite3_column_int64(s, 0),
                          (const char *)sqlite3_column_text(s, 1));
    }
    sqlite3_finalize(s);
    return step == SQLITE_DONE ? WENDA_OK : WENDA_ERR_DB;
}

/*
 * Removes the topics import im did not hold, each with a revision and an
 * audit row as a delete by "import", and then the categories it did not
 * bring; counts again what the dropped triggers would have counted; and
 * raises the mark of ids given to the last one it gave.
 */
static enum wenda_err
import_remove(struct wenda_import *im)
{
    static const char removal[] =
        "INSERT INTO revisions(topic_id, version, action, before, after, "
        "who, at) SELECT id, version + 1, 'delete', doc, NULL, 'import', "
        "?1 " ABSENT_TOPICS " ORDER BY id; "
        "INSERT INTO audit(at, who, action, target) "
        "SELECT ?1, 'import', 'delete', 'topic/' || id " ABSENT_TOPICS
        " ORDER BY id; "
        "DELETE " ABSENT_TOPICS ";";
    struct wenda_store *st = im->st;
    const char *sql = removal;
    enum wenda_err rc = import_tell_removed(im);

    if (rc == WENDA_OK && im->counts.removed > 0)
        wenda_store_progress_note(st, WENDA_STORE_CLEAR,
                                  (int64_t)im->counts.removed, NULL);
    while (rc == WENDA_OK && im->counts.removed > 0 && *sql != '\0') {
        sqlite3_stmt *s;

        if (sqlite3_prepare_v2(st->db, sql, -1, &s, &sql) != SQLITE_OK)
            return WENDA_ERR_DB;
        if (s == NULL)
            break;
        sqlite3_bind_text(s, 1, im->stamp, -1, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = WENDA_ERR_DB;
        sqlite3_finalize(s);
    }
    if (rc == WENDA_OK && im->with_cats &&
        sqlite3_exec(st->db,
                     "DELETE FROM categories WHERE slug NOT IN "
                     "(SELECT slug FROM temp.import_cats)",
                     NULL, NULL, NULL) != SQLITE_OK)
        rc = WENDA_ERR_DB;
    if (rc == WENDA_OK &&
        (sqlite3_exec(st->db, import_counts_sql, NULL, NULL, NULL) !=
             SQLITE_OK ||
         wenda_store_exec(st, S_MARK_ID, NULL, NULL, im->next_id - 1) !=
             SQLITE_DONE))
        rc = WENDA_ERR_DB;
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
 * first.  The topics the import did not hold go once the indexes are
 * back, which their removal reads.
 */
static enum wenda_err
import_commit(struct wenda_import *im)
{
    int64_t n = (int64_t)im->n;
    enum wenda_err rc;

    wenda_store_progress_note(im->st, WENDA_STORE_MERGE, n, NULL);
    rc = wenda_search_index_optimize(im->st->search);
    if (rc == WENDA_OK)
        rc = wenda_search_index_bulk(im->st->search, 0);
    if (rc == WENDA_OK) {
        wenda_store_progress_note(im->st, WENDA_STORE_INDEX, n, NULL);
        rc = import_schema_restore(im);
    }
    if (rc == WENDA_OK)
        rc = import_remove(im);
    if (rc == WENDA_OK) {
        wenda_store_progress_note(im->st, WENDA_STORE_COMMIT, n, NULL);
        if (sqlite3_exec(im->st->db, "COMMIT", NULL, NULL, NULL) !=
            SQLITE_OK)
            rc = WENDA_ERR_DB;
    }
    return rc;
}

enum wenda_err
wenda_store_import_end(struct wenda_import *im, int commit,
                       struct wenda_import_counts *counts)
{
    enum wenda_err rc = WENDA_OK;
    int dry;

    if (im == NULL)
        return WENDA_ERR_INVALID;
    dry = im->opts.dry_run;
    sqlite3_finalize(im->tag);
    sqlite3_finalize(im->seen);
    sqlite3_finalize(im->cat);
    if (commit)
        rc = dry ? import_tell_removed(im) : import_commit(im);
    if (commit && !dry && rc == WENDA_OK) {
        wenda_store_changed();
    } else {
        (void)sqlite3_exec(im->st->db, "ROLLBACK", NULL, NULL, NULL);
        wenda_search_index_abandon(im->st->search);
    }
    /* Kept by a commit; rolled back otherwise. */
    (void)sqlite3_exec(im->st->db,
                       "DROP TABLE IF EXISTS temp.import_seen; "
                       "DROP TABLE IF EXISTS temp.import_cats",
                       NULL, NULL, NULL);
    import_settings_restore(im);
    if (counts != NULL)
        *counts = im->counts;
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
wenda_store_import_with(struct wenda_store *st, const struct wenda_content *c,
                        const struct wenda_import_opts *opts,
                        struct wenda_import_counts *counts)
{
    struct wenda_import *im;
    enum wenda_err rc;
    char msg[160];
    size_t i;

    if (counts != NULL)
        memset(counts, 0, sizeof(*counts));
    rc = wenda_store_import_begin(st, c->cats, c->ncats, opts, &im);
    if (rc != WENDA_OK)
        return rc;
    /* Before the topics, so that their indexing sees the new lexicon. */
    if (opts == NULL || !opts->dry_run) {
        rc = import_lexicon(st, "synonyms", c->synonyms);
        if (rc == WENDA_OK)
            rc = import_lexicon(st, "dictionary", c->dictionary);
    }
    for (i = 0; rc == WENDA_OK && i < c->ntopics; i++)
        rc = wenda_store_import_add(im, &c->topics[i], msg, sizeof(msg));
    if (rc != WENDA_OK) {
        (void)wenda_store_import_end(im, 0, NULL);
        return rc;
    }
    return wenda_store_import_end(im, 1, counts);
}

enum wenda_err
wenda_store_import(struct wenda_store *st, const struct wenda_content *c)
{
    return wenda_store_import_with(st, c, NULL, NULL);
}
