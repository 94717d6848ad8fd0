/*
 * test_scale.c -- wenda over a generated knowledge base of 5,000 topics.
 *
 * bench-gen (tests/bench/gen.c) writes the topics from the notes' own
 * words, "wenda import" loads them from NDJSON, and the real server is
 * walked and searched: cursor pagination visits every topic exactly once,
 * with two page sizes and with a category filter; searches that match few
 * topics give the same ids, in the same order, and the same totals whether
 * the match cap is off or small, and in a category the hits of that
 * category they give without it; and bench-gen writes the same bytes for
 * the same seed and other bytes for another.
 *
 * bench-gen is $WENDA_GEN, or the bench-gen beside this test binary, where
 * the Makefile builds it.  The topics are numbered by their slugs
 * (g-<n>-<word>, n from 1), so a visit can be ticked off without trusting
 * the ids the server gave them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>

#include "../unit/testutil.h"
#include "harness.h"

#define NTOPICS 5000
#define SEED "20251125"
#define SMALL_CAP "100"
#define NARROW_MAX 50       /* matches a narrow query may have */
#define NARROW_WANTED ((size_t)20)   /* narrow queries to compare, at least */
#define GEN_TIMEOUT_S 60.0
#define IMPORT_TIMEOUT_S 300.0

/* The generated knowledge base: files, database and what was generated. */
struct kb {
    char dir[TESTUTIL_PATH_CAP];
    char db[TESTUTIL_PATH_CAP + 16];
    json_t *topics[NTOPICS + 1];   /* by number; new references */
};

static struct kb kb;
static struct wenda_server srv_a, srv_b;
static char tmp_dir[TESTUTIL_PATH_CAP];

static void
cleanup(void)
{
    size_t i;

    harness_stop(&srv_a);
    harness_stop(&srv_b);
    for (i = 0; i <= NTOPICS; i++)
        json_decref(kb.topics[i]);
    memset(kb.topics, 0, sizeof(kb.topics));
    testutil_remove_tree(kb.dir);
    testutil_remove_tree(tmp_dir);
    kb.dir[0] = tmp_dir[0] = '\0';
}

TestSuite(e2e_scale, .fini = cleanup, .timeout = 600);

/* ---- bench-gen --------------------------------------------------------- */

/* The generator's path into out: $WENDA_GEN or beside this binary. */
static void
gen_path(char *out, size_t cap)
{
    const char *env = getenv("WENDA_GEN");
    char self[PATH_MAX];
    ssize_t n;
    char *slash;

    if (env != NULL && env[0] != '\0') {
        cr_assert(strlen(env) < cap, "WENDA_GEN is too long");
        (void)snprintf(out, cap, "%s", env);
    } else {
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        cr_assert(n > 0, "readlink /proc/self/exe: %s", strerror(errno));
        self[n] = '\0';
        slash = strrchr(self, '/');
        cr_assert_not_null(slash);
        *slash = '\0';
        testutil_join(out, cap, self, "bench-gen");
    }
    cr_assert_eq(access(out, X_OK), 0,
                 "no generator at %s (make builds it; or set WENDA_GEN)",
                 out);
}

/*
 * Runs bench-gen --seed seed --count count --out out (the vocabulary is
 * content/ of the current directory, the repository root), its output
 * going to out.log; waits at most GEN_TIMEOUT_S.  Fails the test unless it
 * exits 0.
 */
static void
generate(const char *seed, const char *count, const char *out)
{
    char gen[TESTUTIL_PATH_CAP], log[TESTUTIL_PATH_CAP + 8];
    char o_seed[] = "--seed", o_count[] = "--count", o_out[] = "--out",
         o_vocab[] = "--vocab", vocab[] = "content";
    char v_seed[32], v_count[32], v_out[TESTUTIL_PATH_CAP];
    char *const argv[] = {gen,   o_seed, v_seed,  o_count, v_count,
                          o_out, v_out,  o_vocab, vocab,   NULL};
    struct timespec nap = {0, 10L * 1000 * 1000};
    int status = 0, waited;
    pid_t pid, done = 0;

    gen_path(gen, sizeof(gen));
    cr_assert(strlen(seed) < sizeof(v_seed) && strlen(count) <
              sizeof(v_count) && strlen(out) < sizeof(v_out));
    (void)snprintf(v_seed, sizeof(v_seed), "%s", seed);
    (void)snprintf(v_count, sizeof(v_count), "%s", count);
    (void)snprintf(v_out, sizeof(v_out), "%s", out);
    (void)snprintf(log, sizeof(log), "%s.log", out);
    pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(127);
        close(fd);
        execv(gen, argv);
        _exit(127);
    }
    for (waited = 0; waited < GEN_TIMEOUT_S * 100; waited++) {
        done = waitpid(pid, &status, WNOHANG);
        if (done != 0)
            break;
        (void)nanosleep(&nap, NULL);
    }
    if (done == 0) {
        (void)kill(pid, SIGKILL);
        (void)waitpid(pid, &status, 0);
        cr_assert_fail("bench-gen ran for more than %.0f s", GEN_TIMEOUT_S);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char *text = testutil_slurp(log, NULL);

        cr_assert_fail("bench-gen failed (status %d): %s", status,
                       text ? text : "(no log)");
    }
}

/* The n of a generated slug "g-<n>-<word>", or 0. */
static size_t
slug_number(const char *slug)
{
    char *end;
    unsigned long n;

    if (slug == NULL || strncmp(slug, "g-", 2) != 0)
        return 0;
    n = strtoul(slug + 2, &end, 10);
    return *end == '-' && n >= 1 && n <= NTOPICS ? (size_t)n : 0;
}

/*
 * Generates the NTOPICS topics into a fresh directory, imports them into
 * kb.db with the CLI and keeps every topic as generated, by number.
 */
static void
make_kb(void)
{
    char out[TESTUTIL_PATH_CAP + 8], ndjson[TESTUTIL_PATH_CAP + 32],
        cats[TESTUTIL_PATH_CAP + 32];
    const char *const args[] = {"import",  "--db", kb.db, "--categories",
                                cats,      ndjson, NULL};
    struct harness_run_result res;
    char *text, *line, *eol;
    size_t n, count = 0;

    testutil_make_temp_dir(kb.dir, sizeof(kb.dir), "scale");
    (void)snprintf(out, sizeof(out), "%s/gen", kb.dir);
    (void)snprintf(ndjson, sizeof(ndjson), "%s/topics.ndjson", out);
    (void)snprintf(cats, sizeof(cats), "%s/categories.yml", out);
    (void)snprintf(kb.db, sizeof(kb.db), "%s/wenda.db", kb.dir);
    generate(SEED, "5000", out);

    cr_assert_eq(harness_run(args, IMPORT_TIMEOUT_S, &res), 0,
                 "could not run wenda import");
    cr_assert_eq(res.status, 0, "wenda import: status %d: %s", res.status,
                 res.err);
    harness_run_cleanup(&res);

    text = testutil_slurp(ndjson, NULL);
    cr_assert_not_null(text);
    for (line = text; *line != '\0'; line = eol + 1) {
        json_error_t err;
        json_t *t;

        eol = strchr(line, '\n');
        cr_assert_not_null(eol, "topics.ndjson ends without a line break");
        t = json_loadb(line, (size_t)(eol - line), 0, &err);
        cr_assert_not_null(t, "topics.ndjson: %s", err.text);
        n = slug_number(json_string_value(json_object_get(t, "slug")));
        cr_assert(n != 0 && kb.topics[n] == NULL, "bad or repeated slug");
        kb.topics[n] = t;
        count++;
    }
    free(text);
    cr_assert_eq(count, NTOPICS);
}

/* Starts srv on the generated database, with --search-cap cap unless cap
 * is NULL, and --search-count count unless count is NULL. */
static void
serve_counting(struct wenda_server *srv, const char *cap, const char *count)
{
    const char *extra[7] = {"--db", kb.db};
    size_t n = 2;

    if (cap != NULL) {
        extra[n++] = "--search-cap";
        extra[n++] = cap;
    }
    if (count != NULL) {
        extra[n++] = "--search-count";
        extra[n++] = count;
    }
    extra[n] = NULL;
    harness_start_or_fail(srv, extra);
}

static void
serve(struct wenda_server *srv, const char *cap)
{
    serve_counting(srv, cap, NULL);
}

/* GETs path on h and returns the body as JSON (new), asserting a 200. */
static json_t *
get_json(CURL *h, const struct wenda_server *srv, const char *path)
{
    struct http_reply r;
    json_t *j;

    cr_assert_eq(http_request_on(h, srv, "GET", path, NULL, NULL, 0, &r), 0,
                 "GET %s failed", path);
    cr_assert_eq(r.status, 200, "GET %s: %ld %s", path, r.status, r.body);
    j = http_json(&r);
    http_reply_cleanup(&r);
    return j;
}

/* ---- pagination ---------------------------------------------------------- */

/*
 * Follows the cursor chain of GET /v1/topics?limit=limit (and
 * &category=category unless it is NULL) to its end, and asserts that it
 * visits every generated topic of that category (or every one) exactly
 * once, in increasing id order, each page at most limit long.
 */
static void
walk(CURL *h, int limit, const char *category)
{
    char path[512], cursor[256] = "";
    unsigned char seen[NTOPICS + 1] = {0};
    size_t visited = 0, expected = 0, pages = 0, n;
    json_int_t last_id = 0;

    for (n = 1; n <= NTOPICS; n++) {
        const char *c =
            json_string_value(json_object_get(kb.topics[n], "category"));

        expected += category == NULL || strcmp(c, category) == 0;
    }
    for (;;) {
        json_t *page, *items, *item, *next;
        size_t i;

        (void)snprintf(path, sizeof(path), "/v1/topics?limit=%d%s%s%s%s",
                       limit, category ? "&category=" : "",
                       category ? category : "", cursor[0] ? "&cursor=" : "",
                       cursor);
        page = get_json(h, &srv_a, path);
        items = json_object_get(page, "items");
        cr_assert(json_is_array(items), "%s: no items", path);
        cr_assert_leq(json_array_size(items), (size_t)limit);
        json_array_foreach(items, i, item) {
            json_int_t id = json_integer_value(json_object_get(item, "id"));
            const char *cat =
                json_string_value(json_object_get(item, "category"));

            n = slug_number(
                json_string_value(json_object_get(item, "slug")));
            cr_assert(n != 0, "%s: a topic that was not generated", path);
            cr_assert(!seen[n], "%s: topic %zu visited twice", path, n);
            cr_assert_gt(id, last_id, "%s: ids out of order", path);
            if (category != NULL)
                cr_assert_str_eq(cat, category);
            seen[n] = 1;
            last_id = id;
            visited++;
        }
        next = json_object_get(page, "next");
        if (json_is_null(next)) {
            json_decref(page);
            break;
        }
        cr_assert(json_is_string(next), "%s: next is neither null nor a "
                  "string", path);
        {
            char *enc = curl_easy_escape(h, json_string_value(next), 0);

            cr_assert_not_null(enc);
            cr_assert_lt(strlen(enc), sizeof(cursor));
            (void)snprintf(cursor, sizeof(cursor), "%s", enc);
            curl_free(enc);
        }
        json_decref(page);
        cr_assert_leq(++pages, (size_t)(NTOPICS / limit + 2),
                      "the cursor chain does not end");
    }
    cr_assert_eq(visited, expected, "limit %d, category %s: %zu of %zu "
                 "topics visited", limit, category ? category : "(any)",
                 visited, expected);
}

Test(e2e_scale, cursor_pagination_visits_every_topic_exactly_once)
{
    const char *best = NULL;
    size_t n, m, best_count = 0;
    CURL *h;

    make_kb();
    serve(&srv_a, NULL);
    h = curl_easy_init();
    cr_assert_not_null(h);
    walk(h, 100, NULL);
    walk(h, 37, NULL);
    /* Of the categories of the first 40 topics, the largest that holds
     * under a quarter of all: a filter that still takes many pages. */
    for (n = 1; n <= NTOPICS; n++) {
        const char *c =
            json_string_value(json_object_get(kb.topics[n], "category"));
        size_t count = 0;

        for (m = 1; m <= NTOPICS; m++)
            count += strcmp(c, json_string_value(json_object_get(
                                   kb.topics[m], "category"))) == 0;
        if (count > best_count && count < NTOPICS / 4) {
            best = c;
            best_count = count;
        }
        if (n >= 40)
            break;
    }
    cr_assert_not_null(best);
    cr_assert_gt(best_count, 50, "no category large enough to page through");
    walk(h, 20, best);
    curl_easy_cleanup(h);
}

/* ---- the match cap ------------------------------------------------------- */

/* GET /v1/search?q=q&limit=NARROW_MAX on srv, and &category=category
 * unless it is NULL (new JSON). */
static json_t *
search_in(CURL *h, const struct wenda_server *srv, const char *q,
          const char *category)
{
    char path[1024];
    char *enc = curl_easy_escape(h, q, 0);
    json_t *j;

    cr_assert_not_null(enc);
    (void)snprintf(path, sizeof(path), "/v1/search?q=%s&limit=%d%s%s", enc,
                   NARROW_MAX, category ? "&category=" : "",
                   category ? category : "");
    curl_free(enc);
    j = get_json(h, srv, path);
    cr_assert(json_is_integer(json_object_get(j, "total")));
    cr_assert(json_is_array(json_object_get(j, "items")));
    return j;
}

static json_t *
search(CURL *h, const struct wenda_server *srv, const char *q)
{
    return search_in(h, srv, q, NULL);
}

Test(e2e_scale, narrow_searches_agree_with_and_without_the_match_cap)
{
    size_t n, compared = 0, tried = 0;
    CURL *ha, *hb;

    make_kb();
    serve(&srv_a, "0");
    serve(&srv_b, SMALL_CAP);
    ha = curl_easy_init();
    hb = curl_easy_init();
    cr_assert(ha != NULL && hb != NULL);
    /* Titles of topics spread over the data: a whole title seldom occurs
     * elsewhere.  Those that match more than NARROW_MAX are not narrow. */
    for (n = 1; n <= NTOPICS && compared < 2 * NARROW_WANTED; n += 41) {
        const char *q =
            json_string_value(json_object_get(kb.topics[n], "title"));
        json_t *a = search(ha, &srv_a, q), *b;
        json_int_t total = json_integer_value(json_object_get(a, "total"));
        json_t *ia = json_object_get(a, "items"), *ib, *item;
        size_t i;

        tried++;
        if (total < 1 || total > NARROW_MAX) {
            json_decref(a);
            continue;
        }
        b = search(hb, &srv_b, q);
        ib = json_object_get(b, "items");
        cr_assert_eq(json_integer_value(json_object_get(b, "total")), total,
                     "'%s': total %lld without the cap, %lld with it", q,
                     (long long)total,
                     (long long)json_integer_value(json_object_get(b,
                                                                   "total")));
        cr_assert_eq(json_array_size(ib), json_array_size(ia), "'%s'", q);
        json_array_foreach(ia, i, item) {
            cr_assert_eq(
                json_integer_value(json_object_get(item, "id")),
                json_integer_value(
                    json_object_get(json_array_get(ib, i), "id")),
                "'%s': hit %zu differs with the cap", q, i);
        }
        json_decref(a);
        json_decref(b);
        compared++;
    }
    cr_assert_geq(compared, NARROW_WANTED, "only %zu of %zu titles were "
                  "narrow queries", compared, tried);
    cr_log_info("%zu of %zu titles were narrow queries", compared, tried);
    curl_easy_cleanup(ha);
    curl_easy_cleanup(hb);
}

/*
 * Searches q on a server without a cap (*a) and on one with SMALL_CAP
 * (*b), asserting that q matches more than ten times SMALL_CAP topics, all
 * counted without the cap, and that the capped page is full.
 */
static void
search_broad(const char *q, json_t **a, json_t **b)
{
    CURL *h;

    make_kb();
    serve(&srv_a, "0");
    serve(&srv_b, SMALL_CAP);
    h = curl_easy_init();
    cr_assert_not_null(h);
    *a = search(h, &srv_a, q);
    *b = search(h, &srv_b, q);
    curl_easy_cleanup(h);
    cr_assert_gt(json_integer_value(json_object_get(*a, "total")),
                 10 * atoi(SMALL_CAP), "'%s'", q);
    cr_assert(json_is_true(json_object_get(*a, "total_exact")), "'%s'", q);
    cr_assert_eq(json_array_size(json_object_get(*b, "items")), NARROW_MAX,
                 "'%s'", q);
}

Test(e2e_scale, a_last_word_that_fills_the_cap_alone_is_not_a_prefix_too)
{
    json_t *a, *b;

    /* "http" is in thousands of the generated answers, and begins https. */
    search_broad("http", &a, &b);
    /* With the cap, "http" alone filled it: its count is a floor. */
    cr_assert(json_is_false(json_object_get(b, "total_exact")));
    cr_assert_geq(json_integer_value(json_object_get(b, "total")),
                  atoi(SMALL_CAP));
    cr_assert_leq(json_integer_value(json_object_get(b, "total")),
                  json_integer_value(json_object_get(a, "total")));
    json_decref(a);
    json_decref(b);
}

/* The total and total_exact of a search for q on srv. */
static json_int_t
total_on(CURL *h, const struct wenda_server *srv, const char *q, int *exact)
{
    json_t *j = search(h, srv, q);
    json_int_t total = json_integer_value(json_object_get(j, "total"));

    *exact = json_is_true(json_object_get(j, "total_exact"));
    json_decref(j);
    return total;
}

/* Restarts srv with SMALL_CAP and --search-count count. */
static void
recount(struct wenda_server *srv, const char *count)
{
    cr_assert_eq(harness_stop(srv), 0);
    serve_counting(srv, SMALL_CAP, count);
}

Test(e2e_scale, a_broad_search_counts_to_the_search_count_and_says_so)
{
    /* The commonest character of the notes: in nearly every answer. */
    static const char q[] = "的";
    json_t *a, *b;
    json_int_t all;
    CURL *h;
    int exact;

    search_broad("的", &a, &b);
    all = json_integer_value(json_object_get(a, "total"));
    /* By default, counted up to 1,000 past a cap of 100. */
    cr_assert_eq(json_integer_value(json_object_get(b, "total")), 1000);
    cr_assert(json_is_false(json_object_get(b, "total_exact")));
    json_decref(a);
    json_decref(b);
    h = curl_easy_init();
    cr_assert_not_null(h);
    recount(&srv_b, "0");
    cr_assert_eq(total_on(h, &srv_b, q, &exact), all);
    cr_assert(exact, "--search-count 0 counts every match");
    recount(&srv_b, "250");
    cr_assert_eq(total_on(h, &srv_b, q, &exact), 250);
    cr_assert(!exact);
    recount(&srv_b, SMALL_CAP);
    cr_assert_eq(total_on(h, &srv_b, q, &exact), atoi(SMALL_CAP),
                 "a count no larger than the cap: the matches scored");
    cr_assert(!exact);
    curl_easy_cleanup(h);
}

/* ---- the generator ---------------------------------------------------------- */

/* Reads dir/name into a new buffer, its length into *len. */
static char *
read_out(const char *dir, const char *name, size_t *len)
{
    char path[TESTUTIL_PATH_CAP + 32];
    char *text;

    (void)snprintf(path, sizeof(path), "%s/%s", dir, name);
    text = testutil_slurp(path, len);
    cr_assert_not_null(text, "%s was not written", path);
    return text;
}

Test(e2e_scale, bench_gen_writes_the_same_bytes_for_the_same_seed)
{
    static const char *const files[] = {"topics.ndjson", "categories.yml"};
    char a[TESTUTIL_PATH_CAP + 8], b[TESTUTIL_PATH_CAP + 8],
        c[TESTUTIL_PATH_CAP + 8];
    size_t i, k, lines;

    testutil_make_temp_dir(tmp_dir, sizeof(tmp_dir), "gen");
    (void)snprintf(a, sizeof(a), "%s/a", tmp_dir);
    (void)snprintf(b, sizeof(b), "%s/b", tmp_dir);
    (void)snprintf(c, sizeof(c), "%s/c", tmp_dir);
    generate("7", "2000", a);
    generate("7", "2000", b);
    generate("8", "2000", c);
    for (i = 0; i < 2; i++) {
        size_t la, lb, lc;
        char *ta = read_out(a, files[i], &la), *tb = read_out(b, files[i], &lb);
        char *tc = read_out(c, files[i], &lc);

        cr_assert_gt(la, 0);
        cr_assert(la == lb && memcmp(ta, tb, la) == 0,
                  "%s differs between two runs with seed 7", files[i]);
        cr_assert(la != lc || memcmp(ta, tc, la) != 0,
                  "%s is the same for seeds 7 and 8", files[i]);
        if (i == 0) {
            for (k = 0, lines = 0; k < la; k++)
                lines += ta[k] == '\n';
            cr_assert_eq(lines, 2000);
        }
        free(ta);
        free(tb);
        free(tc);
    }
}

/* ---- the category filter ------------------------------------------------- */

/*
 * Asserts that the search of q in category on srv gives the hits of all
 * (the same search unfiltered, every match on its page) of that category,
 * in their order, with their scores and snippets.  Returns how many.
 */
static size_t
assert_category_page(CURL *h, const char *q, json_t *all,
                     const char *category)
{
    json_t *f = search_in(h, &srv_a, q, category), *items, *hit;
    size_t i, k = 0;

    items = json_object_get(f, "items");
    json_array_foreach(json_object_get(all, "items"), i, hit) {
        json_t *got;

        if (strcmp(json_string_value(json_object_get(hit, "category")),
                   category) != 0)
            continue;
        got = json_array_get(items, k);
        cr_assert_not_null(got, "'%s' in %s: %s is missing", q, category,
                           json_string_value(json_object_get(hit, "slug")));
        cr_assert(json_equal(got, hit), "'%s' in %s: hit %zu is %s, not %s",
                  q, category, k,
                  json_string_value(json_object_get(got, "slug")),
                  json_string_value(json_object_get(hit, "slug")));
        k++;
    }
    cr_assert_eq(json_array_size(items), k, "'%s' in %s: %zu hits, not %zu",
                 q, category, json_array_size(items), k);
    cr_assert_eq(json_integer_value(json_object_get(f, "total")),
                 (json_int_t)k);
    json_decref(f);
    return k;
}

Test(e2e_scale, a_category_filter_gives_the_hits_of_that_category_as_they_were)
{
    size_t n, compared = 0, hits = 0;
    CURL *h;

    make_kb();
    serve(&srv_a, "0");
    h = curl_easy_init();
    cr_assert_not_null(h);
    /* Narrow title queries, as above, in the category of each of their
     * hits: the generated categories are slugs with digits and hyphens,
     * of Zipf-like sizes. */
    for (n = 1; n <= NTOPICS && compared < NARROW_WANTED; n += 41) {
        const char *q =
            json_string_value(json_object_get(kb.topics[n], "title"));
        json_t *all = search(h, &srv_a, q), *hit;
        json_int_t total = json_integer_value(json_object_get(all, "total"));
        size_t i, j;

        if (total < 1 || total > NARROW_MAX) {
            json_decref(all);
            continue;
        }
        json_array_foreach(json_object_get(all, "items"), i, hit) {
            const char *c =
                json_string_value(json_object_get(hit, "category"));
            json_t *before;
            int seen = 0;

            json_array_foreach(json_object_get(all, "items"), j, before) {
                if (j >= i)
                    break;
                seen |= strcmp(json_string_value(json_object_get(
                                   before, "category")), c) == 0;
            }
            if (!seen)
                hits += assert_category_page(h, q, all, c);
        }
        json_decref(all);
        compared++;
    }
    cr_assert_geq(compared, NARROW_WANTED);
    cr_log_info("%zu queries, %zu filtered hits compared", compared, hits);
    curl_easy_cleanup(h);
}
