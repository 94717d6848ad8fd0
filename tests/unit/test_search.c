/*
 * test_search.c -- the query builder with hostile input, and search over
 * the real content: ranking, filters, snippets.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wenda/content.h"
#include "wenda/lexicon.h"
#include "wenda/search.h"
#include "wenda/store.h"
#include "search_int.h"
#include "store_int.h"
#include "tokenize_int.h"
#include "wenda/tokenize.h"

static struct wenda_tokenizer *tk;
static struct wenda_store *st;
static char dir[] = "/tmp/wenda-search-XXXXXX";
static char db[128];

static void
setup_tokenizer(void)
{
    cr_assert_eq(wenda_tokenizer_new(&tk), WENDA_OK);
}

static void
teardown_tokenizer(void)
{
    wenda_tokenizer_free(tk);
}

static void
setup_store(void)
{
    struct wenda_content c;
    char msg[256];

    cr_assert_not_null(mkdtemp(dir));
    (void)snprintf(db, sizeof(db), "%s/search.db", dir);
    cr_assert_eq(wenda_content_load("content", &c, NULL, NULL), WENDA_OK);
    /* Without the content's synonyms and dictionary: these tests hold
     * search to its own rules; those that need a lexicon write one. */
    free(c.synonyms);
    free(c.dictionary);
    c.synonyms = c.dictionary = NULL;
    cr_assert_eq(wenda_store_open(db, WENDA_STORE_CREATE, &st, msg,
                                  sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_store_import(st, &c), WENDA_OK);
    wenda_content_cleanup(&c);
}

static void
teardown_store(void)
{
    char path[160];

    wenda_store_close(st);
    (void)unlink(db);
    (void)snprintf(path, sizeof(path), "%s-wal", db);
    (void)unlink(path);
    (void)snprintf(path, sizeof(path), "%s-shm", db);
    (void)unlink(path);
    (void)rmdir(dir);
}

TestSuite(query_builder, .init = setup_tokenizer, .fini = teardown_tokenizer);

static char *
build(const char *q, enum wenda_search_level level, enum wenda_err *rc)
{
    char *match = NULL;
    char msg[256];

    *rc = wenda_search_build(tk, q, strlen(q), level, &match, msg,
                             sizeof(msg));
    return match;
}

/* Asserts that q builds, at level, into exactly the MATCH expression want. */
static void
assert_builds(const char *q, enum wenda_search_level level, const char *want)
{
    enum wenda_err rc;
    char *m = build(q, level, &rc);

    cr_assert_eq(rc, WENDA_OK, "'%s'", q);
    cr_assert_str_eq(m, want, "'%s'", q);
    free(m);
}

/* Asserts that q is refused as invalid and that nothing is built. */
static void
assert_refused(const char *q)
{
    enum wenda_err rc;
    char *m = build(q, WENDA_SEARCH_ALL, &rc);

    cr_assert_eq(rc, WENDA_ERR_INVALID, "'%s'", q);
    cr_assert_null(m, "'%s'", q);
}

/*
 * The query is cut where the tokenizer cuts text: every character it
 * counts as Han (々 and the radicals too, not only ideographs and 〇)
 * starts a Han chunk after Latin letters, rather than joining the Latin
 * word or being dropped.
 */
Test(query_builder, cuts_latin_from_every_character_the_tokenizer_calls_han)
{
    static const char *const han[] = {"死", "〇", "々", "⺀", "⼀",
                                      "\xf0\xa0\x80\x80"};
    char q[32], want[64];
    size_t i;

    for (i = 0; i < sizeof(han) / sizeof(han[0]); i++) {
        (void)snprintf(q, sizeof(q), "abc%s", han[i]);
        (void)snprintf(want, sizeof(want), "\"abc\" AND \"%s\"", han[i]);
        assert_builds(q, WENDA_SEARCH_ALL, want);
    }
}

Test(query_builder, quotes_every_chunk_and_joins_them_with_and)
{
    assert_builds("进程 通信", WENDA_SEARCH_ALL, "\"进程\" AND \"通信\"");
}

Test(query_builder, splits_where_latin_meets_han)
{
    assert_builds("Django优点", WENDA_SEARCH_ALL, "\"Django\" AND \"优点\"");
}

Test(query_builder, makes_a_trailing_latin_word_a_prefix_too)
{
    assert_builds("gre", WENDA_SEARCH_ALL, "(\"gre\" OR \"gre\"*)");
}

Test(query_builder, leaves_a_word_of_one_or_two_letters_whole)
{
    /* "s"* would merge the doclist of every word that starts with s. */
    assert_builds("gi", WENDA_SEARCH_ALL, "\"gi\"");
    assert_builds("C/S", WENDA_SEARCH_ALL, "\"C\" AND \"S\"");
    /* What would be a prefix is the last token: "k" of c 10 k, "3" of
     * python 3. */
    assert_builds("C10K", WENDA_SEARCH_ALL, "\"C10K\"");
    assert_builds("python3", WENDA_SEARCH_ALL, "\"python3\"");
    assert_builds("py2to3", WENDA_SEARCH_ALL, "\"py2to3\"");
    assert_builds("ipv6addr", WENDA_SEARCH_ALL,
                  "(\"ipv6addr\" OR \"ipv6addr\"*)");
}

Test(query_builder, turns_fts5_syntax_into_plain_words)
{
    static const char *hostile[] = {
        "\"", "\"\"\"", "a\"b", "*", "gil*", "NEAR(a b)", "a AND b",
        "a OR b", "NOT a", "title:gil", "^gil", "(gil", "gil)", "{title}: x",
        "a + b", "-gil", "a\"* OR \"b", "'; DROP TABLE topics; --",
    };
    size_t i, j;

    for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        enum wenda_err rc;
        char *m = build(hostile[i], WENDA_SEARCH_ALL, &rc);
        int quotes = 0;

        if (rc != WENDA_OK) {
            cr_assert_eq(rc, WENDA_ERR_INVALID, "%s", hostile[i]);
            continue;
        }
        /* Only the builder's own quotes: balanced, and no user quote. */
        for (j = 0; m[j] != '\0'; j++)
            if (m[j] == '"')
                quotes++;
        cr_assert_eq(quotes % 2, 0, "%s -> %s", hostile[i], m);
        cr_assert_null(strstr(m, "\"\""), "%s -> %s", hostile[i], m);
        cr_assert_null(strchr(m, ':'), "%s -> %s", hostile[i], m);
        cr_assert_null(strchr(m, '^'), "%s -> %s", hostile[i], m);
        free(m);
    }
}

Test(query_builder, rejects_queries_without_words)
{
    static const char *empty[] = {"", "   ", "\t\n", "!!!", "\"\"", "()",
                                  "\xe3\x80\x80"};
    size_t i;

    for (i = 0; i < sizeof(empty) / sizeof(empty[0]); i++)
        assert_refused(empty[i]);
}

Test(query_builder, rejects_invalid_utf8_and_overlong_queries)
{
    char big[10 * 1024];

    assert_refused("\xff\xfe");
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_refused(big);
}

Test(query_builder, rejects_unicode_noncharacters)
{
    /* U+FDD0 then a slug is how the index marks a topic's category. */
    assert_refused("\xef\xb7\x90" "concurrency");
    assert_refused("\xef\xb7\xaf");             /* U+FDEF */
    assert_refused("lock \xef\xbf\xbe");        /* U+FFFE */
    assert_refused("\xf0\x9f\xbf\xbf");         /* U+1FFFF */
    assert_refused("\xf4\x8f\xbf\xbe");         /* U+10FFFE */
}

Test(query_builder, rejects_too_many_words)
{
    /* 33 words: one more than WENDA_SEARCH_MAX_CHUNKS. */
    assert_refused("a b c d e f g h i j k l m n o p q r s t u v w x y z "
                   "aa bb cc dd ee ff gg");
}

Test(query_builder, any_level_ors_the_tokens)
{
    assert_builds("tcp udp", WENDA_SEARCH_ANY, "\"tcp\" OR \"udp\"");
}


TestSuite(search, .init = setup_store, .fini = teardown_store);

/* Runs query on the suite's store into r, which the caller cleans up, and
 * asserts that the search succeeds. */
static void
search_ok(const struct wenda_search_query *query,
          struct wenda_search_result *r)
{
    char msg[256];

    cr_assert_eq(wenda_search_run(st, query, r, msg, sizeof(msg)), WENDA_OK,
                 "%s: %s", query->q, msg);
}

/* Runs q and returns the slug of the first hit ("" when none). */
static void
first_slug(const char *q, char *out, size_t cap)
{
    struct wenda_search_query query = {q, NULL, NULL, 10, 0};
    struct wenda_search_result r;

    search_ok(&query, &r);
    (void)snprintf(out, cap, "%s", r.n > 0 ? r.hits[0].slug : "");
    wenda_search_result_cleanup(&r);
}

Test(search, finds_the_topic_in_every_script)
{
    static const struct {
        const char *q, *slug;
    } cases[] = {
        {"死锁", "deadlock"},       {"死鎖", "deadlock"},
        {"deadlock", "deadlock"},   {"sisuo", "deadlock"},
        {"GIL", "gil"},             {"ＧＩＬ", "gil"},
        {"gil", "gil"},             {"4次挥手", "tcp-four-way-wave"},
        {"七层模型", "osi-seven-layer-model"},
        {"PEP 8", "pep8"},          {"pep8", "pep8"},
        {"遞歸鎖", "recursive-lock"}, {"xinhaoliang", "semaphore"},
        {"monkey patch", "monkey-patch"},
    };
    char slug[80];
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        first_slug(cases[i].q, slug, sizeof(slug));
        cr_expect_str_eq(slug, cases[i].slug, "query %s", cases[i].q);
    }
}

Test(search, answers_hostile_queries_without_error)
{
    static const char *hostile[] = {
        "\"", "NEAR(gil tcp)", "gil AND", "OR", "title:gil", "^死锁",
        "(((", "*", "gil*", "a\"b\"c",
    };
    size_t i;

    for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        struct wenda_search_query q = {hostile[i], NULL, NULL, 10, 0};
        struct wenda_search_result r;
        char msg[256];
        enum wenda_err rc = wenda_search_run(st, &q, &r, msg, sizeof(msg));

        cr_assert(rc == WENDA_OK || rc == WENDA_ERR_INVALID, "%s: %d",
                  hostile[i], rc);
        wenda_search_result_cleanup(&r);
    }
}

Test(search, wraps_matches_in_mark_and_escapes_the_rest)
{
    struct wenda_search_query q = {"不相等操作符", NULL, NULL, 5, 0};
    struct wenda_search_result r;

    search_ok(&q, &r);
    cr_assert_gt(r.n, 0);
    cr_assert_str_eq(r.hits[0].slug, "python2-vs-python3");
    cr_assert_not_null(strstr(r.hits[0].snippet, "<mark>"));
    /* The notes' "<>" operator must arrive escaped. */
    cr_assert_not_null(strstr(r.hits[0].snippet, "&lt;&gt;"), "%s",
                       r.hits[0].snippet);
    cr_assert_null(strstr(r.hits[0].snippet, "\"<>\""));
    wenda_search_result_cleanup(&r);
}

Test(search, marks_a_word_found_by_its_prefix_alone)
{
    /* "greenl" is no word of the notes: only "greenl"* finds greenlet,
     * with or without a cap (which tries the word alone first). */
    static const int64_t caps[] = {0, WENDA_SEARCH_MAX_LIMIT};
    struct wenda_search_query q = {"greenl", NULL, NULL, 5, 0};
    struct wenda_search_result r;
    size_t i, c;

    for (c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
        struct wenda_store_tuning tu = {0, 0, caps[c], 0};

        cr_assert_eq(wenda_store_tune(st, &tu), WENDA_OK);
        search_ok(&q, &r);
        cr_assert_gt(r.n, 0, "cap %lld", (long long)caps[c]);
        cr_expect(r.total_exact);
        for (i = 0; i < r.n; i++)
            cr_expect_not_null(strstr(r.hits[i].snippet, "<mark>greenlet"),
                               "%s: %s", r.hits[i].slug, r.hits[i].snippet);
        wenda_search_result_cleanup(&r);
    }
}

/*
 * The snippet of hit id as FTS5 gives it for MATCH expression expr, read
 * on its own (NULL when strict and the answer holds no match of expr).
 */
static char *
snippet_of(sqlite3_stmt *s, const char *expr, int64_t id, int strict)
{
    char *out = NULL;

    sqlite3_bind_text(s, 1, expr, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, id);
    sqlite3_bind_int(s, 3, strict);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) !=
                                             SQLITE_NULL)
        out = strdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_reset(s);
    return out;
}

/* expr without its prefix alternative: ("w" OR "w"*) becomes "w". */
static char *
without_prefix(const char *expr)
{
    char *plain = strdup(expr), *open = strrchr(plain, '('), *or;
    size_t n = strlen(plain);

    if (open == NULL || n < 3 || strcmp(plain + n - 2, "*)") != 0)
        return plain;
    or = strstr(open, " OR ");
    cr_assert_not_null(or);
    memmove(open, open + 1, (size_t)(or - open - 1));
    or[-1] = '\0';
    return plain;
}

Test(search, snippets_are_those_of_a_query_of_the_hit_alone)
{
    /*
     * A search takes its page's snippets from the matches it scored.  They
     * must be what a full-text query of each hit on its own marks: the
     * word itself where the answer has it, else its longer forms.  Every
     * title is searched as well, for the topics whose title is the query;
     * one more topic is one whose title is the only place its last word
     * is, its answer holding a longer form of it.
     */
    static char slug[] = "whole-title-only", title[] = "Zyxwv Quuxy",
                answer[] = "讲的是 quuxyzzy 的用法。", category[] = "tools";
    struct wenda_topic extra = {0};
    int64_t id;
    static const char *queries[] = {
        "greenl", "green", "gevent", "协程 gree", "GIL", "进程", "线程 锁",
        "http", "HTTP 协议", "TCP 三次握手", "死锁", "select poll epoll",
        "生产者 消费者", "asyncio", "thread", "執行緒", "xiecheng", "锁"};
    static const char *tags[] = {NULL, "python"};
    struct wenda_tokenizer *wtk = wenda_store_tokenizer(st);
    sqlite3 *conn = NULL;
    sqlite3_stmt *snip = NULL, *titles = NULL, *count = NULL;
    struct wenda_search *se = NULL;
    size_t nq = sizeof(queries) / sizeof(queries[0]), i, t;
    int checked = 0, prefixed = 0;

    extra.slug = slug;
    extra.title = title;
    extra.title_en = slug + sizeof(slug) - 1;
    extra.category = category;
    extra.answer = answer;
    cr_assert_eq(wenda_store_write_begin(st), WENDA_OK);
    cr_assert_eq(wenda_store_topic_create(st, &extra, "test", &id, NULL, 0),
                 WENDA_OK);
    cr_assert_eq(wenda_store_write_commit(st), WENDA_OK);
    cr_assert_eq(sqlite3_open_v2(db, &conn, SQLITE_OPEN_READONLY,
                                 NULL),
                 SQLITE_OK);
    cr_assert_eq(wenda_tokenize_register(conn), WENDA_OK);
    cr_assert_eq(wenda_search_open(conn, &se), WENDA_OK);
    cr_assert_eq(sqlite3_prepare_v2(conn,
                                    "SELECT wenda_snippet(topics_fts, 32, ?3)"
                                    " FROM topics_fts WHERE topics_fts "
                                    "MATCH ?1 AND rowid = ?2",
                                    -1, &snip, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(conn));
    cr_assert_eq(sqlite3_prepare_v2(conn, "SELECT title FROM topics", -1,
                                    &titles, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(conn,
                                    "SELECT count(*) FROM topics_fts WHERE "
                                    "topics_fts MATCH ?1",
                                    -1, &count, NULL),
                 SQLITE_OK);
    for (i = 0;; i++) {
        const char *q;
        char qbuf[512];

        if (i < nq) {
            q = queries[i];
        } else if (sqlite3_step(titles) == SQLITE_ROW) {
            (void)snprintf(qbuf, sizeof(qbuf), "%s",
                           (const char *)sqlite3_column_text(titles, 0));
            q = qbuf;
        } else {
            break;
        }
        for (t = 0; t < sizeof(tags) / sizeof(tags[0]); t++) {
            struct wenda_search_query query = {q, NULL, tags[t], 10, 0};
            struct wenda_search_result r;
            char msg[256], *all = NULL, *plain, *match;
            size_t h;
            int level_all;

            search_ok(&query, &r);
            cr_assert_eq(wenda_search_build(wtk, q, strlen(q),
                                            WENDA_SEARCH_ALL, &all, msg,
                                            sizeof(msg)),
                         WENDA_OK, "%s: %s", q, msg);
            if (tags[t] != NULL) {
                (void)snprintf(msg, sizeof(msg), "tags : \"%s\" AND (%s)",
                               tags[t], all);
                sqlite3_bind_text(count, 1, msg, -1, SQLITE_TRANSIENT);
            } else {
                sqlite3_bind_text(count, 1, all, -1, SQLITE_STATIC);
            }
            cr_assert_eq(sqlite3_step(count), SQLITE_ROW);
            level_all = sqlite3_column_int(count, 0) > 0;
            sqlite3_reset(count);
            match = all;
            if (!level_all) {
                match = NULL;
                cr_assert_eq(wenda_search_build(wtk, q, strlen(q),
                                                WENDA_SEARCH_ANY, &match,
                                                msg, sizeof(msg)),
                             WENDA_OK);
            }
            plain = without_prefix(match);
            if (strcmp(plain, match) != 0)
                prefixed++;
            for (h = 0; h < r.n; h++) {
                char *want = snippet_of(snip, plain, r.hits[h].id, 1);

                if (want == NULL)
                    want = snippet_of(snip, match, r.hits[h].id, 0);
                cr_assert_not_null(want, "%s: %s", q, r.hits[h].slug);
                cr_expect_str_eq(r.hits[h].snippet, want, "%s: %s", q,
                                 r.hits[h].slug);
                free(want);
                checked++;
            }
            free(plain);
            if (match != all)
                free(match);
            free(all);
            wenda_search_result_cleanup(&r);
        }
    }
    cr_expect_gt(checked, 300, "%d", checked);
    cr_expect_gt(prefixed, 10, "%d", prefixed);
    sqlite3_finalize(snip);
    sqlite3_finalize(titles);
    sqlite3_finalize(count);
    wenda_search_free(se);
    sqlite3_close(conn);
}

/* Searches q with a cap and a count; sets *exact, returns the total. */
static int64_t
total_with(const char *q, int64_t cap, int64_t count, int *exact)
{
    struct wenda_store_tuning tu = {0, 0, cap, count};
    struct wenda_search_query query = {q, NULL, NULL, 5, 0};
    struct wenda_search_result r;
    int64_t total;

    cr_assert_eq(wenda_store_tune(st, &tu), WENDA_OK);
    search_ok(&query, &r);
    cr_assert_eq(r.n, 5, "%s: a page of %zu", q, r.n);
    total = r.total;
    *exact = r.total_exact;
    wenda_search_result_cleanup(&r);
    return total;
}

Test(search, a_total_past_the_cap_is_counted_up_to_the_search_count)
{
    /* "的" is in nearly every answer: more matches than the cap of 50. */
    const char *q = "的";
    const int64_t cap = WENDA_SEARCH_MAX_LIMIT;
    int exact;
    int64_t all = total_with(q, 0, 0, &exact);

    cr_assert(exact);
    cr_assert_gt(all, cap + 2, "only %lld matches", (long long)all);
    /* Counting every match, or more than there are: exact. */
    cr_expect_eq(total_with(q, cap, 0, &exact), all);
    cr_expect(exact);
    cr_expect_eq(total_with(q, cap, all + 1, &exact), all);
    cr_expect(exact);
    /* Counting stops at the count, and says the total is a floor. */
    cr_expect_eq(total_with(q, cap, all - 2, &exact), all - 2);
    cr_expect_not(exact);
    /* A count no larger than the cap: the matches scored, a floor. */
    cr_expect_eq(total_with(q, cap, cap, &exact), cap);
    cr_expect_not(exact);
    cr_expect_eq(total_with(q, cap, 10, &exact), cap);
    cr_expect_not(exact);
}

Test(search, total_is_every_match_whether_the_page_holds_them_or_not)
{
    static const char *queries[] = {"锁", "协程", "进程 线程", "TCP",
                                    "gevent", "green", "协程 gree"};
    static const int64_t caps[] = {0, WENDA_SEARCH_MAX_LIMIT};
    size_t i, c;

    for (c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
        struct wenda_store_tuning tu = {0, 0, caps[c], 0};

        cr_assert_eq(wenda_store_tune(st, &tu), WENDA_OK);
        for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
            struct wenda_search_query all = {queries[i], NULL, NULL,
                                             WENDA_SEARCH_MAX_LIMIT, 0};
            struct wenda_search_query page = {queries[i], NULL, NULL, 2, 0};
            struct wenda_search_result a, p;

            search_ok(&all, &a);
            search_ok(&page, &p);
            cr_assert_lt(a.n, (size_t)WENDA_SEARCH_MAX_LIMIT);
            cr_expect_eq(p.n, a.n < 2 ? a.n : 2, "%s", queries[i]);
            cr_expect_eq(p.total, (int64_t)a.n, "%s (cap %lld): %lld, not "
                         "%zu", queries[i], (long long)caps[c],
                         (long long)p.total, a.n);
            cr_expect(p.total_exact, "%s", queries[i]);
            wenda_search_result_cleanup(&a);
            wenda_search_result_cleanup(&p);
        }
    }
}

Test(search, the_index_agrees_with_the_tokenizer_after_an_import)
{
    /* FTS5 tokenizes every row again and compares: the import's replayed
     * tokens, the merge into one segment, and today's tokenizer agree. */
    char *err = NULL;
    int rc = sqlite3_exec(wenda_store_db(st),
                          "INSERT INTO topics_fts(topics_fts) "
                          "VALUES ('integrity-check')",
                          NULL, NULL, &err);

    cr_assert_eq(rc, SQLITE_OK, "%s", err ? err : "");
    sqlite3_free(err);
}

/* The score of the hit slug for q on store s (-1 when it is not found). */
static double
score_of(struct wenda_store *s, const char *q, const char *slug)
{
    struct wenda_search_query query = {q, NULL, NULL, 50, 0};
    struct wenda_search_result r;
    char msg[256];
    double score = -1.0;
    size_t i;

    cr_assert_eq(wenda_search_run(s, &query, &r, msg, sizeof(msg)), WENDA_OK,
                 "%s", msg);
    for (i = 0; i < r.n; i++)
        if (strcmp(r.hits[i].slug, slug) == 0)
            score = r.hits[i].score;
    wenda_search_result_cleanup(&r);
    return score;
}

Test(search, scores_a_changed_topic_by_its_new_length)
{
    /* Each connection keeps the documents' lengths; a write must not
     * leave it scoring by the old one, whichever connection wrote. */
    struct wenda_store *other;
    struct wenda_topic t;
    char msg[256], *longer;
    size_t n;
    double before, after, fresh;
    int64_t id;

    before = score_of(st, "死锁", "deadlock");
    cr_assert_gt(before, 0.0);
    cr_assert_eq(wenda_store_topic_get(st, 0, "deadlock", &t), WENDA_OK);
    id = t.id;
    n = strlen(t.answer);
    longer = malloc(4 * n + 1);
    cr_assert_not_null(longer);
    memcpy(longer, t.answer, n);
    memset(longer + n, 'x', 3 * n);   /* one long word more */
    memset(longer + n, ' ', 1);
    longer[4 * n] = '\0';
    free(t.answer);
    t.answer = longer;
    cr_assert_eq(wenda_store_write_begin(st), WENDA_OK);
    cr_assert_eq(wenda_store_topic_replace(st, id, &t, t.version, "test", msg,
                                           sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_store_write_commit(st), WENDA_OK);
    wenda_topic_cleanup(&t);
    after = score_of(st, "死锁", "deadlock");
    cr_assert_eq(wenda_store_open(db, WENDA_STORE_READONLY, &other, msg,
                                  sizeof(msg)),
                 WENDA_OK, "%s", msg);
    fresh = score_of(other, "死锁", "deadlock");
    wenda_store_close(other);
    cr_assert_neq(after, before, "the longer answer scored the same");
    cr_assert_float_eq(after, fresh, 1e-9, "%.9f, a new connection %.9f",
                       after, fresh);
}

/* Value of key in the FTS5 configuration of the index of st, -1 when unset. */
static int
fts_config(struct wenda_store *of, const char *key)
{
    sqlite3_stmt *s;
    int v = -1;

    cr_assert_eq(sqlite3_prepare_v2(wenda_store_db(of),
                                    "SELECT v FROM topics_fts_config "
                                    "WHERE k = ?1",
                                    -1, &s, NULL),
                 SQLITE_OK);
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return v;
}

/*
 * An import (or migration 0010's rebuild) merges rarely and holds more
 * tokens in memory while it writes; later writes must merge and flush as
 * FTS5 does by default, or their segments would pile up, and a small write
 * would hold 8 MiB of tokens.
 */
static void
assert_fts5_merging_as_by_default(struct wenda_store *of)
{
    cr_assert_eq(fts_config(of, "automerge"), 4);
    cr_assert_eq(fts_config(of, "crisismerge"), 16);
    cr_assert_eq(fts_config(of, "hashsize"), 1048576);
}

Test(search, an_import_leaves_fts5_merging_as_it_found_it)
{
    assert_fts5_merging_as_by_default(st);
}

Test(search, an_import_writes_the_index_in_leaves_of_1000_bytes)
{
    cr_assert_eq(fts_config(st, "pgsz"), 1000);
}

Test(search, filters_by_category_and_tag)
{
    struct wenda_search_query q = {"锁", "concurrency", NULL, 50, 0};
    struct wenda_search_result r;
    size_t i;

    search_ok(&q, &r);
    cr_assert_gt(r.n, 1);
    for (i = 0; i < r.n; i++)
        cr_assert_str_eq(r.hits[i].category, "concurrency");
    wenda_search_result_cleanup(&r);

    q.category = NULL;
    q.tag = "no-such-tag";
    search_ok(&q, &r);
    cr_assert_eq(r.n, 0);
    cr_assert_eq(r.total, 0);
    wenda_search_result_cleanup(&r);
}

/* Whether topic id has tag. */
static int
has_tag(int64_t id, const char *tag)
{
    struct wenda_topic t;
    size_t i;
    int found = 0;

    cr_assert_eq(wenda_store_topic_get(st, id, NULL, &t), WENDA_OK);
    for (i = 0; i < t.tags.n; i++)
        found |= strcmp(t.tags.v[i], tag) == 0;
    wenda_topic_cleanup(&t);
    return found;
}

/*
 * The queries of the filter tests below: each has at most 50 matches, so
 * that an unfiltered page of 50 holds them all.
 */
static const char *const filter_queries[] = {
    "锁", "进程 线程", "thread", "pyth", "协程", "死锁 zzzqqq", "TCP", "http",
};

/* Whether hit h passes the filters category and tag (NULL: none). */
static int
passes(const struct wenda_search_hit *h, const char *category,
       const char *tag)
{
    return (category == NULL || strcmp(h->category, category) == 0) &&
           (tag == NULL || has_tag(h->id, tag));
}

/*
 * The filters also go into the full-text expression (as phrases of the
 * category and tags columns); they must neither lose a hit that passes
 * them nor change its rank, score or snippet: the filtered search of
 * q->q gives the hits of all, the same query unfiltered, that pass.  (A
 * filter that no hit passes makes the search fall back to any word, which
 * is not compared here.)
 */
static void
assert_filtered_as_unfiltered(struct wenda_search_query *q,
                              const struct wenda_search_result *all)
{
    struct wenda_search_result f;
    size_t j, want;

    for (j = 0, want = 0; j < all->n; j++)
        want += passes(&all->hits[j], q->category, q->tag);
    if (want == 0)
        return;
    search_ok(q, &f);
    for (j = 0, want = 0; j < all->n; j++) {
        const struct wenda_search_hit *h = &all->hits[j];

        if (!passes(h, q->category, q->tag))
            continue;
        cr_assert_lt(want, f.n, "%s, category %s, tag %s: %s is missing",
                     q->q, q->category, q->tag, h->slug);
        cr_assert_eq(f.hits[want].id, h->id,
                     "%s, category %s, tag %s: hit %zu is %s, not %s", q->q,
                     q->category, q->tag, want, f.hits[want].slug, h->slug);
        cr_assert_eq(f.hits[want].score, h->score,
                     "%s, category %s, tag %s: %s scores %.17g, not %.17g",
                     q->q, q->category, q->tag, h->slug, f.hits[want].score,
                     h->score);
        cr_assert_str_eq(f.hits[want].snippet, h->snippet);
        want++;
    }
    cr_assert_eq(f.n, want, "%s, category %s, tag %s: %zu hits, not %zu",
                 q->q, q->category, q->tag, f.n, want);
    cr_assert_eq(f.total, (int64_t)want);
    wenda_search_result_cleanup(&f);
}

/* Runs every filter query unfiltered into all[], asserting each fits. */
static void
search_filter_queries(struct wenda_search_result *all)
{
    size_t k;

    for (k = 0; k < sizeof(filter_queries) / sizeof(filter_queries[0]); k++) {
        struct wenda_search_query q = {filter_queries[k], NULL, NULL, 50, 0};

        search_ok(&q, &all[k]);
        cr_assert_gt(all[k].n, 0, "%s finds nothing", q.q);
        cr_assert_eq((int64_t)all[k].n, all[k].total,
                     "%s has more than a page", q.q);
    }
}

Test(search, a_tag_filter_keeps_the_unfiltered_hits_with_the_tag_as_they_were)
{
    enum { NQ = sizeof(filter_queries) / sizeof(filter_queries[0]) };
    struct wenda_search_result all[NQ];
    struct wenda_tag_count *tags;
    size_t ntags, i, k;

    cr_assert_eq(wenda_store_tags(st, &tags, &ntags), WENDA_OK);
    cr_assert_gt(ntags, 10);
    search_filter_queries(all);
    for (k = 0; k < NQ; k++) {
        for (i = 0; i < ntags; i++) {
            struct wenda_search_query q = {filter_queries[k], NULL,
                                           tags[i].tag, 50, 0};

            assert_filtered_as_unfiltered(&q, &all[k]);
        }
        wenda_search_result_cleanup(&all[k]);
    }
    wenda_tags_free(tags, ntags);
}

Test(search, a_category_filter_keeps_the_unfiltered_hits_of_it_as_they_were)
{
    enum { NQ = sizeof(filter_queries) / sizeof(filter_queries[0]) };
    static const char *const with_tags[] = {NULL, "thread", "tcp", "lock"};
    struct wenda_search_result all[NQ];
    struct wenda_category *cats;
    size_t ncats, i, j, k;

    cr_assert_eq(wenda_store_categories(st, &cats, &ncats), WENDA_OK);
    cr_assert_gt(ncats, 5);
    search_filter_queries(all);
    for (k = 0; k < NQ; k++) {
        for (i = 0; i < ncats; i++) {
            for (j = 0; j < sizeof(with_tags) / sizeof(with_tags[0]); j++) {
                struct wenda_search_query q = {filter_queries[k],
                                               cats[i].slug, with_tags[j],
                                               50, 0};

                assert_filtered_as_unfiltered(&q, &all[k]);
            }
        }
        wenda_search_result_cleanup(&all[k]);
    }
    wenda_categories_free(cats, ncats);
}

/* The results of the filter queries, with and without filters, as text. */
static char *
describe_filter_queries(void)
{
    static const char *const filters[][2] = {
        {NULL, NULL}, {"concurrency", NULL}, {NULL, "thread"},
        {"networking", "tcp"},
    };
    char *out = NULL;
    size_t len = 0, k, f, i;
    FILE *mem = open_memstream(&out, &len);

    cr_assert_not_null(mem);
    for (k = 0; k < sizeof(filter_queries) / sizeof(filter_queries[0]); k++) {
        for (f = 0; f < sizeof(filters) / sizeof(filters[0]); f++) {
            struct wenda_search_query q = {filter_queries[k], filters[f][0],
                                           filters[f][1], 50, 0};
            struct wenda_search_result r;

            search_ok(&q, &r);
            fprintf(mem, "%s %s %s: %lld\n", q.q, q.category, q.tag,
                    (long long)r.total);
            for (i = 0; i < r.n; i++)
                fprintf(mem, "  %lld %.17g %s\n", (long long)r.hits[i].id,
                        r.hits[i].score, r.hits[i].snippet);
            wenda_search_result_cleanup(&r);
        }
    }
    cr_assert_eq(fclose(mem), 0);
    return out;
}

Test(search, a_database_indexed_without_categories_is_migrated_to_the_same_results)
{
    /* The full-text index as migrations 0002 to 0009 left it, and no
     * index or table of the later migrations. */
    static const char *const before_0010 =
        "DROP INDEX title_keys_by_topic;"
        "DROP INDEX topics_by_order;"
        "DROP TABLE topics_terms;"
        "DROP TABLE vocab_keys;"
        "DROP TABLE lexicon;"
        "DROP TABLE topic_ids;"
        "DROP TABLE sound_words;"
        "DROP TABLE sound_fill;"
        "DROP TABLE cluster_log;"
        "DROP TABLE cluster_nodes;"
        "CREATE VIRTUAL TABLE fts_old USING fts5(title, aliases, pinyin, "
        "  tags, answer, tokenize = 'wenda');"
        "INSERT INTO fts_old(rowid, title, aliases, pinyin, tags, answer) "
        "  SELECT rowid, title, aliases, pinyin, tags, answer "
        "  FROM topics_fts;"
        "DROP TABLE topics_fts;"
        "ALTER TABLE fts_old RENAME TO topics_fts;"
        "PRAGMA user_version = 9;";
    char *want = describe_filter_queries(), *got, msg[256];
    sqlite3 *raw;

    wenda_store_close(st);
    cr_assert_eq(sqlite3_open(db, &raw), SQLITE_OK);
    cr_assert_eq(wenda_tokenize_register(raw), WENDA_OK);
    cr_assert_eq(sqlite3_exec(raw, before_0010, NULL, NULL, NULL), SQLITE_OK,
                 "%s", sqlite3_errmsg(raw));
    cr_assert_eq(sqlite3_close(raw), SQLITE_OK);
    cr_assert_eq(wenda_store_open(db, 0, &st, msg, sizeof(msg)), WENDA_OK,
                 "%s", msg);
    got = describe_filter_queries();
    cr_assert_str_eq(got, want);
    assert_fts5_merging_as_by_default(st);
    free(want);
    free(got);
}

Test(search, no_topic_matches_a_query_by_its_category_alone)
{
    /* The category is in the full-text index for its filter only: a
     * query of its slug finds the topics whose text has its words, each
     * for a match that counts. */
    struct wenda_category *cats;
    size_t ncats, i, j;

    cr_assert_eq(wenda_store_categories(st, &cats, &ncats), WENDA_OK);
    for (i = 0; i < ncats; i++) {
        struct wenda_search_query q = {cats[i].slug, NULL, NULL, 50, 0};
        struct wenda_search_result r;

        search_ok(&q, &r);
        for (j = 0; j < r.n; j++)
            cr_assert_gt(r.hits[j].score, 0.0,
                         "%s finds %s (category %s) for no word of its text",
                         q.q, r.hits[j].slug, r.hits[j].category);
        wenda_search_result_cleanup(&r);
    }
    wenda_categories_free(cats, ncats);
}

Test(search, ranks_whole_title_matches_first_and_counts_the_total)
{
    struct wenda_search_query q = {"协程", NULL, NULL, 3, 0};
    struct wenda_search_result r;
    size_t i;

    search_ok(&q, &r);
    cr_assert_eq(r.n, 3);
    cr_assert_geq(r.total, 3);
    for (i = 0; i < r.n; i++)
        cr_assert_not_null(strstr(r.hits[i].title, "协程"), "%s",
                           r.hits[i].title);
    wenda_search_result_cleanup(&r);
}

Test(search, falls_back_to_any_word_when_no_topic_has_all)
{
    struct wenda_search_query q = {"死锁 zzzqqq", NULL, NULL, 5, 0};
    struct wenda_search_result r;

    search_ok(&q, &r);
    cr_assert_gt(r.n, 0);
    cr_assert_str_eq(r.hits[0].slug, "deadlock");
    wenda_search_result_cleanup(&r);
}

/* Runs q, expecting its first hit to be slug and its correction want
 * (NULL: none). */
static void
expect_found_as(const char *q, const char *slug, const char *want)
{
    struct wenda_search_query query = {q, NULL, NULL, 10, 0};
    struct wenda_search_result r;

    search_ok(&query, &r);
    cr_expect_gt(r.n, 0, "%s finds nothing", q);
    if (r.n > 0)
        cr_expect_str_eq(r.hits[0].slug, slug, "%s finds %s first", q,
                         r.hits[0].slug);
    if (want == NULL)
        cr_expect_null(r.corrected, "%s was corrected to %s", q,
                       r.corrected);
    else
        cr_expect_str_eq(r.corrected ? r.corrected : "(none)", want,
                         "%s was corrected to %s", q,
                         r.corrected ? r.corrected : "(none)");
    wenda_search_result_cleanup(&r);
}

Test(search, corrects_a_misspelt_latin_word_and_says_so)
{
    expect_found_as("deadlcok", "deadlock", "deadlock");
    expect_found_as("semafore", "semaphore", "semaphore");
    expect_found_as("courotine", "coroutine", "coroutine");
    expect_found_as("garbage colection", "python-garbage-collection",
                    "garbage collection");
    expect_found_as("monkey pach", "monkey-patch", "monkey patch");
}

Test(search, reads_an_input_method_slip_as_the_word_that_sounds_the_same)
{
    expect_found_as("死琐", "deadlock", "死锁");
    expect_found_as("协成", "coroutine", "协程");
    expect_found_as("信号亮", "semaphore", "信号量");
    /* in/ing, one of the fuzzy pairs of Chinese input methods. */
    expect_found_as("兴号量", "semaphore", "信号量");
}

/* Creates a topic of category tools titled title, and returns its id. */
static int64_t
create_titled(const char *slug, const char *title)
{
    char s[64], t[64], answer[] = "讲的是排序。", category[] = "tools";
    struct wenda_topic topic = {0};
    char msg[256];
    int64_t id = 0;

    (void)snprintf(s, sizeof(s), "%s", slug);
    (void)snprintf(t, sizeof(t), "%s", title);
    topic.slug = s;
    topic.title = t;
    topic.title_en = s + strlen(s);
    topic.category = category;
    topic.answer = answer;
    cr_assert_eq(wenda_store_write_begin(st), WENDA_OK);
    cr_assert_eq(wenda_store_topic_create(st, &topic, "test", &id, msg,
                                          sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_store_write_commit(st), WENDA_OK);
    return id;
}

static void
delete_topic(int64_t id)
{
    cr_assert_eq(wenda_store_write_begin(st), WENDA_OK);
    cr_assert_eq(wenda_store_topic_delete(st, id, WENDA_STORE_ANY_VERSION,
                                          "test"),
                 WENDA_OK);
    cr_assert_eq(wenda_store_write_commit(st), WENDA_OK);
}

/* Returns what sql, with text bound as ?1, gives in its first column. */
static long long
store_int(const char *sql, const char *text)
{
    sqlite3_stmt *s;
    long long n = -1;

    cr_assert_eq(sqlite3_prepare_v2(wenda_store_db(st), sql, -1, &s, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(wenda_store_db(st)));
    sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

/* How many times the titles and aliases hold word, as sound_words says. */
static long long
sound_count(const char *word)
{
    return store_int("SELECT coalesce(sum(n), 0) FROM sound_words "
                     "WHERE word = ?1",
                     word);
}

/* Expects q not to be corrected to avoid. */
static void
expect_not_corrected_to(const char *q, const char *avoid)
{
    struct wenda_search_query query = {q, NULL, NULL, 10, 0};
    struct wenda_search_result r;

    search_ok(&query, &r);
    cr_expect(r.corrected == NULL || strcmp(r.corrected, avoid) != 0,
              "%s was still corrected to %s", q, avoid);
    wenda_search_result_cleanup(&r);
}

Test(search, a_slip_of_a_new_title_is_corrected_until_its_topic_goes)
{
    int64_t id;
    char msg[256], s[] = "bubble-sort", t[] = "选择排序", a[] = "讲的是排序。",
         c[] = "tools";
    struct wenda_topic topic = {0};

    expect_not_corrected_to("冒泡排续", "冒泡排序");
    id = create_titled("bubble-sort", "冒泡排序");
    cr_expect_eq(sound_count("冒泡排序"), 1);
    expect_found_as("冒泡排续", "bubble-sort", "冒泡排序");
    /* A new title: the old one's words go, the new one's come. */
    topic.slug = s;
    topic.title = t;
    topic.title_en = s + strlen(s);
    topic.category = c;
    topic.answer = a;
    cr_assert_eq(wenda_store_write_begin(st), WENDA_OK);
    cr_assert_eq(wenda_store_topic_replace(st, id, &topic,
                                           WENDA_STORE_ANY_VERSION, "test",
                                           msg, sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_store_write_commit(st), WENDA_OK);
    cr_expect_eq(sound_count("冒泡排序"), 0);
    cr_expect_eq(sound_count("选择排序"), 1);
    expect_not_corrected_to("冒泡排续", "冒泡排序");
    expect_found_as("选择排续", "bubble-sort", "选择排序");
    delete_topic(id);
    cr_expect_eq(sound_count("选择排序"), 0);
    expect_not_corrected_to("选择排续", "选择排序");
}

Test(search, a_word_two_topics_share_is_corrected_to_until_both_go)
{
    int64_t one = create_titled("bubble-sort", "冒泡排序"),
            two = create_titled("bubble-sort-faster", "冒泡排序的优化");

    cr_expect_eq(sound_count("冒泡排序"), 2);
    delete_topic(one);
    cr_expect_eq(sound_count("冒泡排序"), 1);
    expect_found_as("冒泡排续", "bubble-sort-faster", "冒泡排序");
    delete_topic(two);
    cr_expect_eq(sound_count("冒泡排序"), 0);
    expect_not_corrected_to("冒泡排续", "冒泡排序");
    /* No row is left of either title: none of their stretches. */
    cr_expect_eq(store_int("SELECT count(*) FROM sound_words WHERE "
                           "instr(word, ?1) > 0 OR word = '的优化'",
                           "冒泡"),
                 0);
}

Test(search, an_import_rolled_back_leaves_no_sound_words_behind)
{
    char s[] = "bubble-sort", t[] = "冒泡排序", a[] = "讲的是排序。",
         c[] = "tools", msg[256];
    struct wenda_topic topic = {0};
    struct wenda_import *im;

    topic.slug = s;
    topic.title = t;
    topic.title_en = s + strlen(s);
    topic.category = c;
    topic.answer = a;
    cr_assert_eq(wenda_store_import_begin(st, NULL, 0, NULL, &im), WENDA_OK);
    cr_assert_eq(wenda_store_import_add(im, &topic, msg, sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_store_import_end(im, 0, NULL), WENDA_OK);
    expect_found_as("死琐", "deadlock", "死锁");
    /* A write after it has its own words written, and no more. */
    (void)create_titled("selection-sort", "选择排序");
    cr_expect_eq(sound_count("选择排序"), 1);
    cr_expect_eq(sound_count("冒泡排序"), 0);
}

/* Every row of sound_words, in order, as one text (new; the caller
 * frees). */
static char *
sound_rows(void)
{
    static const char sql[] =
        "SELECT coalesce(group_concat(key || '/' || word || '/' || "
        "syllables || '/' || n, ';'), '') FROM (SELECT * FROM sound_words "
        "ORDER BY key, word, syllables)";
    sqlite3_stmt *s;
    char *text;

    cr_assert_eq(sqlite3_prepare_v2(wenda_store_db(st), sql, -1, &s, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    text = strdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    cr_assert_not_null(text);
    return text;
}

Test(search, a_database_of_an_older_schema_gets_its_sound_words_on_open)
{
    char *want = sound_rows(), *got, msg[256];
    sqlite3 *raw;

    cr_assert_gt(strlen(want), 0);
    wenda_store_close(st);
    cr_assert_eq(sqlite3_open(db, &raw), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(raw,
                              "DROP TABLE sound_words; DROP TABLE sound_fill;"
                              "DROP TABLE cluster_log;"
                              "DROP TABLE cluster_nodes;"
                              "PRAGMA user_version = 15;",
                              NULL, NULL, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(raw));
    cr_assert_eq(sqlite3_close(raw), SQLITE_OK);
    cr_assert_eq(wenda_store_open(db, 0, &st, msg, sizeof(msg)), WENDA_OK,
                 "%s", msg);
    /* What the import wrote, counted again from the topics. */
    got = sound_rows();
    cr_expect_str_eq(got, want);
    cr_expect_eq(store_int("SELECT count(*) FROM sound_fill", ""), 0);
    expect_found_as("死琐", "deadlock", "死锁");
    free(want);
    free(got);
}

Test(search, never_corrects_a_word_the_topics_hold)
{
    struct wenda_search_query q = {"进程", NULL, NULL, 50, 0};
    struct wenda_search_result r;
    size_t i;

    expect_found_as("deadlock", "deadlock", NULL);
    expect_found_as("死锁", "deadlock", NULL);
    /* 进程 sounds like 禁城 and 近程: only topics with 进程 come. */
    search_ok(&q, &r);
    cr_assert_gt(r.n, 0);
    cr_assert_null(r.corrected);
    cr_assert_eq(r.relaxed, 0);
    for (i = 0; i < r.n; i++) {
        struct wenda_topic t;

        cr_assert_eq(wenda_store_topic_get(st, r.hits[i].id, NULL, &t),
                     WENDA_OK);
        cr_expect(strstr(t.title, "进程") || strstr(t.answer, "进程") ||
                      strstr(r.hits[i].snippet, "进程"),
                  "%s holds no 进程", t.title);
        wenda_topic_cleanup(&t);
    }
    wenda_search_result_cleanup(&r);
}

Test(search, a_question_finds_what_it_asks_about)
{
    expect_found_as("为什么要有GIL", "gil", NULL);
    expect_found_as("what does a semaphore do", "semaphore", NULL);
    expect_found_as("信号量有什么用", "semaphore", NULL);
    expect_found_as("交换机和路由器有什么不同", "router-vs-switch", NULL);
    expect_found_as("ARP协议是做什么的", "arp", NULL);
}

Test(search, both_things_a_question_compares_are_in_its_first_hit)
{
    static const char *const queries[] = {
        "线程与协程的区别是什么", "difference between thread and coroutine",
        "进程和线程有什么区别",
    };
    size_t i;

    for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        struct wenda_search_query q = {queries[i], NULL, NULL, 5, 0};
        struct wenda_search_result r;
        struct wenda_topic t;
        const char *a = strstr(queries[i], "thread") ? "线程" : NULL;

        search_ok(&q, &r);
        cr_assert_gt(r.n, 0, "%s", queries[i]);
        cr_assert_eq(wenda_store_topic_get(st, r.hits[0].id, NULL, &t),
                     WENDA_OK);
        if (strstr(queries[i], "进程") != NULL)
            cr_expect(strstr(t.answer, "进程") && strstr(t.answer, "线程"),
                      "%s: first hit %s", queries[i], t.title);
        else
            cr_expect(strstr(t.answer, "协程") &&
                          strstr(t.answer, a ? a : "线程"),
                      "%s: first hit %s", queries[i], t.title);
        wenda_topic_cleanup(&t);
        wenda_search_result_cleanup(&r);
    }
}

Test(search, a_word_no_topic_holds_is_read_by_its_characters)
{
    /* 核心 is in no topic; 多核 is an alias of parallelism. */
    expect_found_as("几个CPU核心各自同时跑程序", "parallelism", NULL);
    expect_found_as("程序里的内存自动清理", "python-garbage-collection",
                    NULL);
}

Test(search, a_character_of_a_word_topics_hold_is_not_read_alone)
{
    /* 适合做 gives the bigram 合做, which no topic holds, but 合 is in
     * 适合: 做 alone would rank 如何做 code review first. */
    struct wenda_search_query q = {"flask适合做什么样的项目", NULL, NULL, 3, 0};
    struct wenda_search_result r;
    size_t i;

    search_ok(&q, &r);
    cr_assert_eq(r.relaxed, 1);
    cr_assert_eq(r.n, 3);
    for (i = 0; i < 2; i++)
        cr_expect_str_neq(r.hits[i].slug, "code-review");
    cr_expect_not_null(strstr(r.hits[0].slug, "flask"), "%s",
                       r.hits[0].slug);
    wenda_search_result_cleanup(&r);
}

Test(search, pinyin_typed_a_syllable_at_a_time_equals_a_title)
{
    expect_found_as("jin cheng", "process", NULL);
    expect_found_as("xie cheng", "coroutine", NULL);
}

Test(search, a_query_naming_what_a_question_title_asks_about_equals_it)
{
    /* 什么是网络编程 asks about 网络编程; socket's alias 网络编程接口 has
     * the same pinyin inside it. */
    expect_found_as("wangluobiancheng", "network-programming", NULL);
    expect_found_as("网络编程", "network-programming", NULL);
}

Test(search, the_pinyin_of_a_title_of_six_syllables_or_more_finds_it)
{
    expect_found_as("ruheshixianxiecheng", "implementing-coroutines", NULL);
    expect_found_as("xiechengyoudianquedian", "coroutine-pros-cons", NULL);
}

Test(search, of_two_titles_holding_the_query_the_one_it_fills_comes_first)
{
    /* 生产者消费者模式 names the pattern; 为什么要用到生产者消费者模型
     * asks about it. */
    expect_found_as("生产者消费者", "producer-consumer-pattern", NULL);
}

Test(search, a_comparing_word_is_a_question_word)
{
    /* 相比 is in no topic: the two things compared decide. */
    struct wenda_search_query q = {"协程相比线程", NULL, NULL, 3, 0};
    struct wenda_search_result r;

    search_ok(&q, &r);
    cr_assert_gt(r.n, 0);
    cr_expect_eq(r.relaxed, 0);
    cr_expect_str_eq(r.hits[0].slug, "coroutine");
    wenda_search_result_cleanup(&r);
}

Test(search, no_topic_must_hold_an_english_function_word)
{
    static const char *const queries[] = {"tcp than udp",
                                          "deadlock from my threads",
                                          "we have a deadlock"};
    size_t i;

    for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        struct wenda_search_query q = {queries[i], NULL, NULL, 3, 0};
        struct wenda_search_result r;

        search_ok(&q, &r);
        cr_expect_gt(r.n, 0, "%s finds nothing", queries[i]);
        cr_expect_eq(r.relaxed, 0, "%s is relaxed", queries[i]);
        wenda_search_result_cleanup(&r);
    }
}

Test(search, a_query_of_only_question_words_still_answers)
{
    struct wenda_search_query q = {"什么是", NULL, NULL, 10, 0};
    struct wenda_search_result r;

    search_ok(&q, &r);
    cr_assert_gt(r.n, 0);
    cr_assert_not_null(strstr(r.hits[0].title, "什么是"), "%s",
                       r.hits[0].title);
    wenda_search_result_cleanup(&r);
}

Test(search, scores_never_grow_down_the_list)
{
    static const char *const queries[] = {
        "GIL", "协程", "锁", "http", "进程 线程", "死琐", "what is tcp",
        "zzzqqq 死锁",
    };
    size_t i, j;

    for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        struct wenda_search_query q = {queries[i], NULL, NULL, 50, 0};
        struct wenda_search_result r;

        search_ok(&q, &r);
        cr_assert_gt(r.n, 0, "%s", queries[i]);
        for (j = 1; j < r.n; j++)
            cr_expect_geq(r.hits[j - 1].score, r.hits[j].score,
                          "%s: hit %zu scores %g, hit %zu %g", queries[i],
                          j - 1, r.hits[j - 1].score, j, r.hits[j].score);
        wenda_search_result_cleanup(&r);
    }
}

Test(search, marks_the_query_in_the_titles)
{
    struct wenda_search_query q = {"死锁", NULL, NULL, 3, 0};
    struct wenda_search_query fixed = {"deadlcok", NULL, NULL, 3, 0};
    struct wenda_search_result r;

    search_ok(&q, &r);
    cr_assert_gt(r.n, 0);
    cr_assert_str_eq(r.hits[0].title_html, "<mark>死锁</mark>");
    wenda_search_result_cleanup(&r);
    /* A corrected query marks what it was corrected to. */
    search_ok(&fixed, &r);
    cr_assert_gt(r.n, 0);
    cr_assert_str_eq(r.hits[0].title_html, "死锁");
    wenda_search_result_cleanup(&r);
}

Test(search, pages_through_the_hits_with_an_offset)
{
    struct wenda_search_query all = {"线程", NULL, NULL, 12, 0};
    struct wenda_search_query page = {"线程", NULL, NULL, 4, 4};
    struct wenda_search_query past = {"线程", NULL, NULL, 4, 900};
    struct wenda_search_result a, p;
    size_t i;

    search_ok(&all, &a);
    cr_assert_eq(a.n, 12);
    search_ok(&page, &p);
    cr_assert_eq(p.n, 4);
    cr_assert_eq(p.total, a.total);
    for (i = 0; i < p.n; i++) {
        cr_expect_eq(p.hits[i].id, a.hits[4 + i].id, "hit %zu", 4 + i);
        cr_expect_str_eq(p.hits[i].snippet, a.hits[4 + i].snippet);
    }
    wenda_search_result_cleanup(&p);
    /* Past the last hit: no hits, and the same total. */
    search_ok(&past, &p);
    cr_assert_eq(p.n, 0);
    cr_assert_eq(p.total, a.total);
    wenda_search_result_cleanup(&p);
    wenda_search_result_cleanup(&a);
}

/* Writes the lexicon document name of st as json, checked first. */
static void
put_lexicon(const char *name, const char *json)
{
    struct wenda_lexicon lx = {0};
    json_error_t err;
    json_t *doc = json_loads(json, 0, &err);
    char msg[256];

    cr_assert_not_null(doc, "%s", err.text);
    if (strcmp(name, "synonyms") == 0)
        cr_assert_eq(wenda_lexicon_synonyms(wenda_store_tokenizer(st), doc,
                                            &lx, msg, sizeof(msg)),
                     WENDA_OK, "%s", msg);
    else
        cr_assert_eq(wenda_lexicon_dictionary(doc, &lx, msg, sizeof(msg)),
                     WENDA_OK, "%s", msg);
    wenda_lexicon_cleanup(&lx);
    json_decref(doc);
    cr_assert_eq(wenda_store_write_begin(st), WENDA_OK);
    cr_assert_eq(wenda_store_lexicon_put(st, name, json,
                                         WENDA_STORE_ANY_VERSION, "test",
                                         NULL),
                 WENDA_OK);
    cr_assert_eq(wenda_store_write_commit(st), WENDA_OK);
}

Test(search, a_synonym_finds_what_its_group_names)
{
    struct wenda_search_query q = {"zzlink", NULL, NULL, 5, 0};
    struct wenda_search_result r;

    search_ok(&q, &r);
    cr_assert(r.total == 0 || r.relaxed || r.corrected != NULL);
    wenda_search_result_cleanup(&r);
    put_lexicon("synonyms", "{\"groups\": [[\"zzlink\", \"死锁\"]], "
                            "\"rules\": [{\"from\": \"zzlock\", "
                            "\"to\": [\"GIL\"]}]}");
    /* At once, on the same connection. */
    search_ok(&q, &r);
    cr_assert_gt(r.n, 0);
    cr_assert_str_eq(r.hits[0].slug, "deadlock");
    cr_assert_null(r.corrected);
    cr_assert_eq(r.relaxed, 0);
    wenda_search_result_cleanup(&r);
    /* Both ways within a group; a rule one way only. */
    expect_found_as("zzlock", "gil", NULL);
    q.q = "GIL";
    search_ok(&q, &r);
    cr_assert_gt(r.n, 0);
    cr_assert_str_eq(r.hits[0].slug, "gil");
    wenda_search_result_cleanup(&r);
}

Test(search, a_slip_is_also_corrected_to_a_word_of_the_dictionary)
{
    struct wenda_search_query q = {"子节码", NULL, NULL, 5, 0};
    struct wenda_search_result r;

    /* 字节码 is in an answer, not in a title or alias: without the
     * dictionary, the slip 子节码 is not read as it. */
    search_ok(&q, &r);
    cr_assert(r.corrected == NULL || strcmp(r.corrected, "字节码") != 0);
    wenda_search_result_cleanup(&r);
    put_lexicon("dictionary", "{\"words\": [\"字节码\"]}");
    expect_found_as("子节码", "python-interpreters", "字节码");
}
