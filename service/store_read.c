/*
 * store_read.c -- the reads of the API: a topic by id or slug (as a
 * struct or as its stored JSON), lists and pages, random picks and
 * samples, categories and tags; and the store's face for search
 * (wenda_search_run() and wenda_search_related()), which hands the
 * connection's search what it needs.
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
#include "wenda/search.h"
#include "wenda/lexicon.h"
#include "wenda/study.h"

/*
 * Ends the reading of the rows of s, whose last sqlite3_step() gave step
 * and whose reading so far gave rc: the statement is reset, and a step
 * that failed is WENDA_ERR_DB.
 */
static enum wenda_err
rows_end(sqlite3_stmt *s, enum wenda_err rc, int step)
{
    if (rc == WENDA_OK && step != SQLITE_DONE)
        rc = WENDA_ERR_DB;
    wenda_store_done(s);
    return rc;
}

static enum wenda_err
read_categories(struct wenda_store *st, enum stmt_id id,
                struct wenda_category **cats, size_t *n)
{
    struct wenda_category *v = NULL;
    size_t cap = 0;
    sqlite3_stmt *s;
    enum wenda_err rc;
    int step;

    *cats = NULL;
    *n = 0;
    rc = wenda_store_stmt(st, id, &s);
    if (rc != WENDA_OK)
        return rc;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct wenda_category *k;

        if (wenda_buf_reserve(&v, &cap, *n, sizeof(*v), 16) != 0) {
            rc = WENDA_ERR_NOMEM;
            break;
        }
        k = &v[*n];
        k->slug = wenda_store_col_dup(s, 0);
        k->name = wenda_store_col_dup(s, 1);
        k->name_en = wenda_store_col_dup(s, 2);
        k->count = sqlite3_column_int64(s, 3);
        (*n)++;
        if (k->slug == NULL || k->name == NULL || k->name_en == NULL) {
            rc = WENDA_ERR_NOMEM;
            break;
        }
    }
    rc = rows_end(s, rc, step);
    if (rc != WENDA_OK) {
        wenda_categories_free(v, *n);
        *n = 0;
        return rc;
    }
    *cats = v;
    return WENDA_OK;
}

/* Collects the rows of a topic statement already bound. */
static enum wenda_err
read_topics(sqlite3_stmt *s, int with_answer, size_t limit,
            struct wenda_topic **items, size_t *n, int *more)
{
    struct wenda_topic *v = NULL;
    size_t cap = 0;
    enum wenda_err rc = WENDA_OK;
    int step;

    *items = NULL;
    *n = 0;
    *more = 0;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n == limit) {
            *more = 1;
            break;
        }
        if (wenda_buf_reserve(&v, &cap, *n, sizeof(*v), 32) != 0) {
            rc = WENDA_ERR_NOMEM;
            break;
        }
        rc = wenda_store_row_to_topic(s, with_answer, &v[*n]);
        if (rc != WENDA_OK)
            break;
        (*n)++;
    }
    if (rc == WENDA_OK && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = WENDA_ERR_DB;
    wenda_store_done(s);
    if (rc != WENDA_OK) {
        wenda_topics_free(v, *n);
        *n = 0;
        return rc;
    }
    *items = v;
    return WENDA_OK;
}

enum wenda_err
wenda_store_dump(struct wenda_store *st, struct wenda_content *out)
{
    sqlite3_stmt *s;
    enum wenda_err rc;
    int more;

    memset(out, 0, sizeof(*out));
    rc = read_categories(st, S_DUMP_CATEGORIES, &out->cats, &out->ncats);
    if (rc == WENDA_OK)
        rc = wenda_store_stmt(st, S_DUMP_TOPICS, &s);
    if (rc == WENDA_OK)
        rc = read_topics(s, 1, (size_t)-1, &out->topics, &out->ntopics,
                         &more);
    if (rc != WENDA_OK)
        wenda_content_cleanup(out);
    return rc;
}

/* The number of topics (of category, when not NULL) into *count. */
static enum wenda_err
count_topics(struct wenda_store *st, const char *category, int64_t *count)
{
    sqlite3_stmt *s;
    enum wenda_err rc =
        wenda_store_stmt(st, category ? S_COUNT_CATEGORY : S_COUNT, &s);

    *count = 0;
    if (rc != WENDA_OK)
        return rc;
    if (category != NULL)
        sqlite3_bind_text(s, 1, category, -1, SQLITE_STATIC);
    rc = sqlite3_step(s) == SQLITE_ROW ? WENDA_OK : WENDA_ERR_DB;
    if (rc == WENDA_OK)
        *count = sqlite3_column_int64(s, 0);
    wenda_store_done(s);
    return rc;
}

enum wenda_err
wenda_store_topic_count(struct wenda_store *st, int64_t *count)
{
    return count_topics(st, NULL, count);
}

enum wenda_err
wenda_store_topic_get(struct wenda_store *st, int64_t id, const char *slug,
                      struct wenda_topic *out)
{
    sqlite3_stmt *s;
    enum wenda_err rc;
    int step;

    memset(out, 0, sizeof(*out));
    rc = wenda_store_stmt(st, slug ? S_GET_BY_SLUG : S_GET_BY_ID, &s);
    if (rc != WENDA_OK)
        return rc;
    if (slug != NULL)
        sqlite3_bind_text(s, 1, slug, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(s, 1, id);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        rc = wenda_store_row_to_topic(s, 1, out);
    else
        rc = step == SQLITE_DONE ? WENDA_ERR_NOT_FOUND : WENDA_ERR_DB;
    wenda_store_done(s);
    return rc;
}

/*
 * Reads the stored JSON of topic id (or slug, when not NULL) with
 * statement which into *json (new; the caller frees) of *len bytes, and
 * its version into *version when not NULL (which must then read it).
 */
static enum wenda_err
read_doc(struct wenda_store *st, enum stmt_id which, int64_t id,
         const char *slug, char **json, size_t *len, int64_t *version)
{
    sqlite3_stmt *s;
    enum wenda_err rc;
    int step;

    *json = NULL;
    *len = 0;
    rc = wenda_store_stmt(st, which, &s);
    if (rc != WENDA_OK)
        return rc;
    if (slug != NULL)
        sqlite3_bind_text(s, 1, slug, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(s, 1, id);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        *json = wenda_store_col_dup(s, 0);
        *len = (size_t)sqlite3_column_bytes(s, 0);
        if (version != NULL)
            *version = sqlite3_column_int64(s, 1);
        rc = *json ? WENDA_OK : WENDA_ERR_NOMEM;
    } else {
        rc = step == SQLITE_DONE ? WENDA_ERR_NOT_FOUND : WENDA_ERR_DB;
    }
    wenda_store_done(s);
    return rc;
}

enum wenda_err
wenda_store_topic_doc(struct wenda_store *st, int64_t id, const char *slug,
                      char **json, size_t *len)
{
    return read_doc(st, slug ? S_DOC_BY_SLUG : S_DOC_BY_ID, id, slug, json,
                    len, NULL);
}

enum wenda_err
wenda_store_doc_version(struct wenda_store *st, int64_t id, char **json,
                        size_t *len, int64_t *version)
{
    return read_doc(st, S_DOC_VERSION, id, NULL, json, len, version);
}

/*
 * Reads the ids of every topic, of category when not NULL, in id order,
 * into a new array *ids of *n (the caller frees; NULL when there is none).
 */
static enum wenda_err
topic_ids(struct wenda_store *st, const char *category, int64_t **ids,
          size_t *n)
{
    sqlite3_stmt *s;
    int64_t *v = NULL;
    size_t cap = 0;
    enum wenda_err rc;
    int step;

    *ids = NULL;
    *n = 0;
    rc = wenda_store_stmt(st, category ? S_IDS_CATEGORY : S_IDS, &s);
    if (rc != WENDA_OK)
        return rc;
    if (category != NULL)
        sqlite3_bind_text(s, 1, category, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (wenda_buf_reserve(&v, &cap, *n, sizeof(*v), 64) != 0) {
            rc = WENDA_ERR_NOMEM;
            break;
        }
        v[(*n)++] = sqlite3_column_int64(s, 0);
    }
    wenda_store_done(s);
    if (rc == WENDA_OK && step != SQLITE_DONE)
        rc = WENDA_ERR_DB;
    if (rc != WENDA_OK) {
        free(v);
        *n = 0;
        return rc;
    }
    *ids = v;
    return WENDA_OK;
}

enum wenda_err
wenda_store_docs_page(struct wenda_store *st, int64_t after_id,
                      unsigned int limit, struct buf_out *out)
{
    sqlite3_stmt *s;
    enum wenda_err rc = wenda_store_stmt(st, S_DOC_PAGE, &s);
    struct buf b = {0};
    int step;

    out->data = NULL;
    out->len = 0;
    out->last_id = after_id;
    if (rc != WENDA_OK)
        return rc;
    sqlite3_bind_int64(s, 1, after_id);
    sqlite3_bind_int64(s, 2, limit);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        out->last_id = sqlite3_column_int64(s, 0);
        wenda_buf_add(&b, sqlite3_column_text(s, 1),
                      (size_t)sqlite3_column_bytes(s, 1));
        wenda_buf_add(&b, "\n", 1);
    }
    wenda_store_done(s);
    if (step != SQLITE_DONE) {
        wenda_buf_cleanup(&b);
        return WENDA_ERR_DB;
    }
    if (b.n == 0) {
        wenda_buf_cleanup(&b);
        return WENDA_OK;
    }
    out->data = wenda_buf_take(&b, &out->len);
    return out->data ? WENDA_OK : WENDA_ERR_NOMEM;
}

enum wenda_err
wenda_store_topic_list_json(struct wenda_store *st,
                            const struct wenda_topic_filter *f, char **json,
                            size_t *len, int64_t *last_id, int *more)
{
    enum stmt_id id = f->category && f->tag ? S_SUM_LIST_CATEGORY_TAG
                      : f->category         ? S_SUM_LIST_CATEGORY
                      : f->tag              ? S_SUM_LIST_TAG
                                            : S_SUM_LIST;
    struct buf b = {0};
    sqlite3_stmt *s;
    unsigned int n = 0;
    enum wenda_err rc = wenda_store_stmt(st, id, &s);
    int step;

    *json = NULL;
    *len = 0;
    *last_id = 0;
    *more = 0;
    if (rc != WENDA_OK)
        return rc;
    sqlite3_bind_int64(s, 1, f->after_id);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)f->limit + 1);
    sqlite3_bind_int(s, 5, f->corrected ? 1 : 0);
    if (f->category != NULL)
        sqlite3_bind_text(s, 3, f->category, -1, SQLITE_STATIC);
    if (f->tag != NULL)
        sqlite3_bind_text(s, 4, f->tag, -1, SQLITE_STATIC);
    wenda_buf_add(&b, "[", 1);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == f->limit) {
            *more = 1;
            break;
        }
        if (n++ > 0)
            wenda_buf_add(&b, ",", 1);
        *last_id = sqlite3_column_int64(s, 0);
        wenda_buf_add(&b, sqlite3_column_text(s, 1),
                      (size_t)sqlite3_column_bytes(s, 1));
    }
    wenda_buf_add(&b, "]", 1);
    wenda_store_done(s);
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        wenda_buf_cleanup(&b);
        return WENDA_ERR_DB;
    }
    *json = wenda_buf_take(&b, len);
    return *json ? WENDA_OK : WENDA_ERR_NOMEM;
}

enum wenda_err
wenda_store_topic_list(struct wenda_store *st,
                       const struct wenda_topic_filter *f,
                       struct wenda_topic **items, size_t *n, int *more)
{
    enum stmt_id id = f->category && f->tag ? S_LIST_CATEGORY_TAG
                      : f->category         ? S_LIST_CATEGORY
                      : f->tag              ? S_LIST_TAG
                                            : S_LIST;
    sqlite3_stmt *s;
    enum wenda_err rc = wenda_store_stmt(st, id, &s);

    if (rc != WENDA_OK)
        return rc;
    sqlite3_bind_int64(s, 1, f->after_id);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)f->limit + 1);
    sqlite3_bind_int(s, 5, f->corrected ? 1 : 0);
    if (f->category != NULL)
        sqlite3_bind_text(s, 3, f->category, -1, SQLITE_STATIC);
    if (f->tag != NULL)
        sqlite3_bind_text(s, 4, f->tag, -1, SQLITE_STATIC);
    return read_topics(s, 0, f->limit, items, n, more);
}

enum wenda_err
wenda_store_topic_random(struct wenda_store *st, const char *category,
                         uint64_t seed, struct wenda_topic *out)
{
    int64_t id;
    enum wenda_err rc = wenda_store_topic_random_id(st, category, seed, &id);

    memset(out, 0, sizeof(*out));
    return rc == WENDA_OK ? wenda_store_topic_get(st, id, NULL, out) : rc;
}

enum wenda_err
wenda_store_topic_random_id(struct wenda_store *st, const char *category,
                            uint64_t seed, int64_t *out)
{
    size_t n = 0;
    enum wenda_err rc = wenda_store_topic_sample(st, category, seed, 1, out,
                                                 &n);

    if (rc == WENDA_OK && n == 0)
        rc = WENDA_ERR_NOT_FOUND;
    if (rc != WENDA_OK)
        *out = 0;
    return rc;
}

/*
 * Topics are drawn by id: an id drawn uniformly between the lowest and the
 * highest of the topics to draw from is taken when a topic (of the
 * category) has it and not drawn yet, and drawn again when not.  Every
 * topic is then equally likely, whatever gaps deletions left, and a draw
 * costs a few lookups at any size, where numbering the topics (OFFSET)
 * walked half of them on average: 330 ms at a million.  Small sets, sets
 * so sparse among the ids that a draw would take more than SAMPLE_TRIES
 * tries on average, large samples, and draws that run out of tries
 * (SAMPLE_TRIES per topic drawn) take the ids of every topic to draw from
 * and shuffle them (wenda_study_pick()) instead.  Both ways depend on
 * nothing but seed and the topics.
 */
#define SAMPLE_LIST_MAX 1024
#define SAMPLE_TRIES 64
#define SAMPLE_MAX_COUNT 64

/* Whether topic id exists (in category, when not NULL). */
static enum wenda_err
has_topic(struct wenda_store *st, const char *category, int64_t id,
          int *found)
{
    sqlite3_stmt *s;
    enum wenda_err rc = wenda_store_stmt(st, S_HAS_ID, &s);
    int step;

    *found = 0;
    if (rc != WENDA_OK)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    if (category != NULL)
        sqlite3_bind_text(s, 2, category, -1, SQLITE_STATIC);
    step = sqlite3_step(s);
    wenda_store_done(s);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return WENDA_ERR_DB;
    *found = step == SQLITE_ROW;
    return WENDA_OK;
}

/* The lowest and highest id of the topics (of category); 0, 0 for none. */
static enum wenda_err
id_range(struct wenda_store *st, const char *category, int64_t *lo,
         int64_t *hi)
{
    sqlite3_stmt *s;
    enum wenda_err rc =
        wenda_store_stmt(st, category ? S_ID_RANGE_CATEGORY : S_ID_RANGE, &s);

    *lo = *hi = 0;
    if (rc != WENDA_OK)
        return rc;
    if (category != NULL)
        sqlite3_bind_text(s, 1, category, -1, SQLITE_STATIC);
    rc = sqlite3_step(s) == SQLITE_ROW ? WENDA_OK : WENDA_ERR_DB;
    if (rc == WENDA_OK) {
        *lo = sqlite3_column_int64(s, 0);
        *hi = sqlite3_column_int64(s, 1);
    }
    wenda_store_done(s);
    return rc;
}

/* Draws k topics by id from [lo, hi]; *nout < k when it ran out of tries. */
static enum wenda_err
sample_by_id(struct wenda_store *st, const char *category, uint64_t seed,
             int64_t lo, int64_t hi, size_t k, int64_t *out, size_t *nout)
{
    uint64_t state = seed, span = (uint64_t)hi - (uint64_t)lo + 1;
    size_t tries, i;

    *nout = 0;
    for (tries = 0; *nout < k && tries < SAMPLE_TRIES * k; tries++) {
        int64_t id = lo + (int64_t)wenda_study_uniform(&state, span);
        enum wenda_err rc;
        int found;

        for (i = 0; i < *nout && out[i] != id; i++)
            ;
        if (i < *nout)
            continue;
        rc = has_topic(st, category, id, &found);
        if (rc != WENDA_OK)
            return rc;
        if (found)
            out[(*nout)++] = id;
    }
    return WENDA_OK;
}

enum wenda_err
wenda_store_topic_sample(struct wenda_store *st, const char *category,
                         uint64_t seed, size_t count, int64_t *out,
                         size_t *nout)
{
    int64_t n, lo, hi, *ids;
    size_t k, nids;
    enum wenda_err rc;

    *nout = 0;
    rc = count_topics(st, category, &n);
    if (rc != WENDA_OK || n == 0 || count == 0)
        return rc;
    k = (uint64_t)n < count ? (size_t)n : count;
    if (n > SAMPLE_LIST_MAX && k <= SAMPLE_MAX_COUNT) {
        rc = id_range(st, category, &lo, &hi);
        if (rc != WENDA_OK)
            return rc;
        if (hi >= lo && ((uint64_t)hi - (uint64_t)lo) / SAMPLE_TRIES <
                            (uint64_t)n) {
            rc = sample_by_id(st, category, seed, lo, hi, k, out, nout);
            if (rc != WENDA_OK || *nout == k)
                return rc;
        }
    }
    rc = topic_ids(st, category, &ids, &nids);
    if (rc == WENDA_OK)
        rc = wenda_study_pick(ids, nids, seed, count, out, nout);
    free(ids);
    return rc;
}

void
wenda_topics_free(struct wenda_topic *items, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        wenda_topic_cleanup(&items[i]);
    free(items);
}

enum wenda_err
wenda_store_categories(struct wenda_store *st, struct wenda_category **cats,
                       size_t *n)
{
    return read_categories(st, S_CATEGORIES, cats, n);
}

void
wenda_categories_free(struct wenda_category *cats, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(cats[i].slug);
        free(cats[i].name);
        free(cats[i].name_en);
    }
    free(cats);
}

enum wenda_err
wenda_store_tags(struct wenda_store *st, struct wenda_tag_count **tags,
                 size_t *n)
{
    struct wenda_tag_count *v = NULL;
    size_t cap = 0;
    sqlite3_stmt *s;
    enum wenda_err rc;
    int step;

    *tags = NULL;
    *n = 0;
    rc = wenda_store_stmt(st, S_TAGS, &s);
    if (rc != WENDA_OK)
        return rc;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (wenda_buf_reserve(&v, &cap, *n, sizeof(*v), 64) != 0) {
            rc = WENDA_ERR_NOMEM;
            break;
        }
        v[*n].tag = wenda_store_col_dup(s, 0);
        v[*n].count = sqlite3_column_int64(s, 1);
        if (v[(*n)++].tag == NULL) {
            rc = WENDA_ERR_NOMEM;
            break;
        }
    }
    rc = rows_end(s, rc, step);
    if (rc != WENDA_OK) {
        wenda_tags_free(v, *n);
        *n = 0;
        return rc;
    }
    *tags = v;
    return WENDA_OK;
}

void
wenda_tags_free(struct wenda_tag_count *tags, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(tags[i].tag);
    free(tags);
}

/* Returns 1 when statement id finds a row for text, else 0. */
static int
text_exists(struct wenda_store *st, enum stmt_id id, const char *text)
{
    sqlite3_stmt *s;
    int found;

    if (wenda_store_stmt(st, id, &s) != WENDA_OK)
        return 0;
    sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
    found = sqlite3_step(s) == SQLITE_ROW;
    wenda_store_done(s);
    return found;
}

int
wenda_store_category_exists(struct wenda_store *st, const char *slug)
{
    return text_exists(st, S_CATEGORY_EXISTS, slug);
}

int
wenda_store_tag_exists(struct wenda_store *st, const char *tag)
{
    return text_exists(st, S_TAG_EXISTS, tag);
}

enum wenda_err
wenda_store_topic_id(struct wenda_store *st, const char *slug, int64_t *id)
{
    sqlite3_stmt *s;
    enum wenda_err rc = wenda_store_stmt(st, S_SLUG_ID, &s);
    int step;

    if (rc != WENDA_OK)
        return rc;
    sqlite3_bind_text(s, 1, slug, -1, SQLITE_STATIC);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        *id = sqlite3_column_int64(s, 0);
    wenda_store_done(s);
    return step == SQLITE_ROW    ? WENDA_OK
           : step == SQLITE_DONE ? WENDA_ERR_NOT_FOUND
                                 : WENDA_ERR_DB;
}

/* ---- search, on the store's connection ------------------------------------
 */

/* Reads the lexicon document name of st into lx, as checked as when it
 * was written; a document that no longer reads is left out. */
static void
read_lexicon(struct wenda_store *st, const char *name,
             struct wenda_lexicon *lx)
{
    char *doc = NULL, msg[160];
    int64_t version;
    json_t *j;

    if (wenda_store_lexicon_get(st, name, &doc, &version) != WENDA_OK)
        return;
    j = json_loads(doc, 0, NULL);
    free(doc);
    if (j == NULL)
        return;
    if (strcmp(name, "synonyms") == 0)
        (void)wenda_lexicon_synonyms(wenda_store_tokenizer(st), j, lx, msg,
                                     sizeof(msg));
    else
        (void)wenda_lexicon_dictionary(j, lx, msg, sizeof(msg));
    json_decref(j);
}

/*
 * Gives st's search the editors' synonyms and dictionary when they have
 * changed since it last did: a look at their versions, but only when the
 * database changed at all since the last look (SQLite's data version,
 * which moves with every commit, this connection's own too).
 */
static void
refresh_lexicon(struct wenda_store *st)
{
    struct wenda_lexicon lx;
    int64_t syn = 0, dict = 0;
    unsigned int data = 0;
    sqlite3_stmt *s;

    if (sqlite3_file_control(st->db, "main", SQLITE_FCNTL_DATA_VERSION,
                             &data) != SQLITE_OK)
        data = 0;
    else if (st->lexicon_read && data == st->lexicon_data && data != 0)
        return;
    if (wenda_store_stmt(st, S_LEXICON_VERSIONS, &s) != WENDA_OK)
        return;
    if (sqlite3_step(s) == SQLITE_ROW) {
        syn = sqlite3_column_int64(s, 0);
        dict = sqlite3_column_int64(s, 1);
    }
    wenda_store_done(s);
    if (st->lexicon_read && syn == st->synonyms_version &&
        dict == st->dictionary_version) {
        st->lexicon_data = data;
        return;
    }
    memset(&lx, 0, sizeof(lx));
    if (syn > 0)
        read_lexicon(st, "synonyms", &lx);
    if (dict > 0)
        read_lexicon(st, "dictionary", &lx);
    if (wenda_search_set_lexicon(st->search, &lx) == WENDA_OK) {
        st->lexicon_read = 1;
        st->lexicon_data = data;
        st->synonyms_version = syn;
        st->dictionary_version = dict;
    }
}

enum wenda_err
wenda_search_run(struct wenda_store *st,
                 const struct wenda_search_query *query,
                 struct wenda_search_result *out, char *msg, size_t msgcap)
{
    refresh_lexicon(st);
    return wenda_search_exec(st->search, query, out, msg, msgcap);
}

enum wenda_err
wenda_search_related(struct wenda_store *st, int64_t id, unsigned int limit,
                     struct wenda_search_result *out)
{
    struct wenda_topic t;
    enum wenda_err rc = wenda_store_topic_get(st, id, NULL, &t);

    if (rc != WENDA_OK) {
        memset(out, 0, sizeof(*out));
        return rc;
    }
    rc = wenda_search_like(st->search, &t, id, limit, out);
    wenda_topic_cleanup(&t);
    return rc;
}
