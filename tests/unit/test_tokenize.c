/*
 * test_tokenize.c -- the rules of the wenda tokenizer, one test each, and
 * an end-to-end run through SQLite FTS5.
 *
 * Most tests tokenize a string and look at the tokens as "text@position"
 * lists; positions are counted the way FTS5 counts them (a colocated token
 * shares the position of the one before it).
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "tokenize_int.h"
#include "wenda/tokenize.h"

#include "buf.h"
#include "testutil.h"

struct tok {
    char text[96];
    int flags, start, end, pos;
};

struct toks {
    struct tok *v;
    size_t n, cap;
    int pos;        /* position of the last token */
    int stop_after; /* non-zero: return 42 after this many tokens */
};

static struct wenda_tokenizer *tk;

static void
setup(void)
{
    cr_assert_eq(wenda_tokenizer_new(&tk), WENDA_OK);
}

static void
teardown(void)
{
    wenda_tokenizer_free(tk);
    tk = NULL;
}

static int
collect(void *ctx, int flags, const char *token, int ntoken, int start, int end)
{
    struct toks *t = ctx;
    struct tok *k;

    cr_assert_eq(wenda_buf_reserve(&t->v, &t->cap, t->n, sizeof *t->v, 64), 0);
    if (!(flags & WENDA_TOKEN_COLOCATED))
        t->pos++;
    k = &t->v[t->n++];
    cr_assert_lt(ntoken, (int)sizeof k->text);
    memcpy(k->text, token, (size_t)ntoken);
    k->text[ntoken] = '\0';
    k->flags = flags;
    k->start = start;
    k->end = end;
    k->pos = t->pos;
    return t->stop_after && t->n == (size_t)t->stop_after ? 42 : 0;
}

static struct toks
run_len(int mode, const char *text, int ntext)
{
    struct toks t = {.pos = -1};
    int fn_rc = -1;

    cr_assert_eq(wenda_tokenize(tk, mode, text, ntext, collect, &t, &fn_rc),
                 WENDA_OK);
    cr_assert_eq(fn_rc, 0);
    return t;
}

static struct toks
run(int mode, const char *text)
{
    return run_len(mode, text, (int)strlen(text));
}

static struct toks
doc(const char *text)
{
    return run(WENDA_TOKENIZE_DOCUMENT, text);
}

static struct toks
query(const char *text)
{
    return run(WENDA_TOKENIZE_QUERY, text);
}

/* Index of the first token with this text, or -1. */
static int
find(const struct toks *t, const char *text)
{
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->v[i].text, text) == 0)
            return (int)i;
    }
    return -1;
}

/*
 * The tokens as "text@pos" separated by spaces, colocated ones marked with
 * '+'; positional_only keeps the non-colocated ones.  Static buffer.
 */
static const char *
show(const struct toks *t, int positional_only)
{
    static char buf[65536];
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < t->n; i++) {
        const struct tok *k = &t->v[i];
        int colocated = k->flags & WENDA_TOKEN_COLOCATED;

        if (positional_only && colocated)
            continue;
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s%s@%d",
                                len ? " " : "", colocated ? "+" : "", k->text,
                                k->pos);
        cr_assert_lt(len, sizeof buf);
    }
    return buf;
}

/* show() into the caller's buffer, to compare two token lists. */
static void
show_into(char *out, size_t size, const struct toks *t, int positional_only)
{
    snprintf(out, size, "%s", show(t, positional_only));
}

static void
assert_same_tokens(int mode, const char *a, const char *b)
{
    struct toks ta = run(mode, a), tb = run(mode, b);
    char sa[4096], sb[4096];

    show_into(sa, sizeof sa, &ta, 0);
    show_into(sb, sizeof sb, &tb, 0);
    cr_assert_str_eq(sa, sb, "\"%s\" gives %s but \"%s\" gives %s", a, sa, b,
                     sb);
    free(ta.v);
    free(tb.v);
}

static void
assert_span(const struct toks *t, const char *text, int start, int end)
{
    int i = find(t, text);

    cr_assert_geq(i, 0, "no token \"%s\" in %s", text, show(t, 0));
    cr_assert_eq(t->v[i].start, start, "\"%s\" starts at %d, not %d", text,
                 t->v[i].start, start);
    cr_assert_eq(t->v[i].end, end, "\"%s\" ends at %d, not %d", text,
                 t->v[i].end, end);
}

/*
 * The invariants FTS5 needs: spans inside the text and non-empty, starts
 * never decreasing, ends of positional tokens never decreasing, the first
 * token not colocated.
 */
static void
assert_well_formed(const struct toks *t, int ntext)
{
    int last_start = 0, last_end = 0;

    for (size_t i = 0; i < t->n; i++) {
        const struct tok *k = &t->v[i];

        cr_assert(k->start >= 0 && k->start < k->end && k->end <= ntext,
                  "token %zu \"%s\" has span %d-%d in %d bytes", i, k->text,
                  k->start, k->end, ntext);
        cr_assert_geq(k->start, last_start, "token %zu \"%s\" starts early", i,
                      k->text);
        last_start = k->start;
        if (i == 0)
            cr_assert_eq(k->flags, 0);
        if (!(k->flags & WENDA_TOKEN_COLOCATED)) {
            cr_assert_geq(k->end, last_end, "token %zu \"%s\" ends early", i,
                          k->text);
            last_end = k->end;
        }
    }
}

static char *
read_notes(size_t *len)
{
    char path[4096];
    const char *slash = strrchr(__FILE__, '/');
    char *buf;

    /* __FILE__ is .../tests/unit/test_tokenize.c */
    snprintf(path, sizeof path, "%.*s/../data/interview-notes.zh.md",
             slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
    buf = testutil_slurp(path, len);
    cr_assert_not_null(buf, "cannot open %s", path);
    return buf;
}

TestSuite(tokenize, .init = setup, .fini = teardown);

/* Rule 1: NFKC + case folding. */

/* The category's token in the full-text index: see WENDA_TOKEN_VERBATIM. */
Test(tokenize, reads_the_mark_and_a_slug_as_one_token_in_every_mode)
{
    static const int modes[] = {
        WENDA_TOKENIZE_DOCUMENT, WENDA_TOKENIZE_QUERY,
        WENDA_TOKENIZE_QUERY | WENDA_TOKENIZE_PREFIX, WENDA_TOKENIZE_AUX,
    };
    static const char *const slugs[] = {"c40-with", "python", "7"};
    static const char *const not_slugs[] = {
        WENDA_TOKEN_VERBATIM "Python",       WENDA_TOKEN_VERBATIM "c40-with x",
        WENDA_TOKEN_VERBATIM "a--b",         WENDA_TOKEN_VERBATIM "-a",
        WENDA_TOKEN_VERBATIM,                "python" WENDA_TOKEN_VERBATIM,
        "x " WENDA_TOKEN_VERBATIM "python",  WENDA_TOKEN_VERBATIM "线程",
    };
    char text[128];
    size_t m, i, j;

    for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        for (i = 0; i < sizeof(slugs) / sizeof(slugs[0]); i++) {
            struct toks t;

            (void)snprintf(text, sizeof(text), "%s%s", WENDA_TOKEN_VERBATIM,
                           slugs[i]);
            t = run(modes[m], text);
            cr_assert_eq(t.n, 1, "mode %d, %s: %s", modes[m], slugs[i],
                         show(&t, 0));
            cr_assert_str_eq(t.v[0].text, text);
            cr_assert_eq(t.v[0].start, 0);
            cr_assert_eq(t.v[0].end, (int)strlen(text));
            free(t.v);
        }
        /* Anything else is text as usual, the mark a separator in it. */
        for (i = 0; i < sizeof(not_slugs) / sizeof(not_slugs[0]); i++) {
            struct toks t = run(modes[m], not_slugs[i]);

            for (j = 0; j < t.n; j++)
                cr_assert_null(strstr(t.v[j].text, WENDA_TOKEN_VERBATIM),
                               "mode %d, case %zu: %s", modes[m], i,
                               show(&t, 0));
            free(t.v);
        }
    }
}

Test(tokenize, folds_fullwidth_latin)
{
    struct toks t = doc("ＧＩＬ");

    cr_assert_str_eq(show(&t, 0), "gil@0");
    assert_span(&t, "gil", 0, 9);
    free(t.v);
}

Test(tokenize, folds_case_so_gil_is_gil)
{
    assert_same_tokens(WENDA_TOKENIZE_DOCUMENT, "GIL", "gil");
    assert_same_tokens(WENDA_TOKENIZE_DOCUMENT, "ＧＩＬ", "Gil");
    assert_same_tokens(WENDA_TOKENIZE_QUERY, "ＧＩＬ", "gil");
}

Test(tokenize, composes_accents_and_expands_compatibility_forms)
{
    assert_same_tokens(WENDA_TOKENIZE_DOCUMENT, "cafe\xcc\x81", "caf\xc3\xa9");
    assert_same_tokens(WENDA_TOKENIZE_DOCUMENT, "\xef\xac\x81le", "file");
    assert_same_tokens(WENDA_TOKENIZE_DOCUMENT, "STRASSE", "stra\u00dfe");
}

/* Rule 2: traditional to simplified. */

Test(tokenize, reads_traditional_as_simplified)
{
    assert_same_tokens(WENDA_TOKENIZE_DOCUMENT, "死鎖", "死锁");
    assert_same_tokens(WENDA_TOKENIZE_DOCUMENT, "遞歸鎖", "递归锁");
    assert_same_tokens(WENDA_TOKENIZE_QUERY, "死鎖", "死锁");
    assert_same_tokens(WENDA_TOKENIZE_QUERY, "遞歸鎖", "递归锁");
}

Test(tokenize, maps_taiwan_terms_through_tw2sp)
{
    struct toks t = doc("執行緒");

    cr_assert_str_eq(show(&t, 0), "线程@0 +线@0 +程@0");
    assert_span(&t, "线程", 0, 9); /* 3 characters became 2: the whole run */
    free(t.v);
}

Test(tokenize, keeps_offsets_in_the_traditional_original)
{
    struct toks t = doc("死鎖");

    assert_span(&t, "死锁", 0, 6);
    assert_span(&t, "锁", 3, 6);
    free(t.v);
}

Test(tokenize, keeps_own_offsets_around_a_phrase_that_changes_length)
{
    /* 這是執行緒的問題 -> 这是线程的问题: 8 characters became 7 */
    struct toks t = doc("這是執行緒的問題");

    cr_assert_str_eq(show(&t, 1), "这是@0 是线@1 线程@2 程的@3 的问@4 问题@5");
    assert_span(&t, "这是", 0, 6);
    assert_span(&t, "线程", 6, 15);
    assert_span(&t, "的问", 15, 21);
    assert_span(&t, "问题", 18, 24);
    free(t.v);
}

Test(tokenize, keeps_own_offsets_between_several_changed_phrases)
{
    /* 執行緒 -> 线程, 作業系統 -> 操作系统, 排程 -> 调度 */
    struct toks t = doc("執行緒是作業系統的排程");

    cr_assert_str_eq(show(&t, 1), "线程@0 程是@1 是操@2 操作@3 作系@4 "
                                  "系统@5 统的@6 的调@7 调度@8");
    assert_span(&t, "线程", 0, 9);
    assert_span(&t, "是", 9, 12);
    assert_span(&t, "系统", 18, 24);
    assert_span(&t, "的", 24, 27);
    assert_span(&t, "调度", 27, 33);
    free(t.v);
}

Test(tokenize, leaves_simplified_text_alone)
{
    /* tw2sp on simplified text would give 进程, 文档, 创建, 什幺 */
    struct toks t = doc("程序 文件 建立 什么");

    cr_assert_str_eq(show(&t, 1), "程序@0 文件@1 建立@2 什么@3");
    free(t.v);
}

/* Rule 3: bigrams and single characters. */

Test(tokenize, emits_overlapping_bigrams_one_position_each)
{
    struct toks t = doc("进程间通信");

    cr_assert_str_eq(show(&t, 1), "进程@0 程间@1 间通@2 通信@3");
    assert_span(&t, "进程", 0, 6);
    assert_span(&t, "程间", 3, 9);
    assert_span(&t, "通信", 9, 15);
    free(t.v);
}

Test(tokenize, colocates_single_characters_in_documents)
{
    struct toks t = doc("进程间通信");

    cr_assert_str_eq(show(&t, 0), "进程@0 +进@0 程间@1 +程@1 间通@2 +间@2 "
                                  "通信@3 +通@3 +信@3");
    assert_span(&t, "信", 12, 15);
    free(t.v);
}

Test(tokenize, leaves_single_characters_out_of_queries)
{
    struct toks t = query("进程间通信");

    cr_assert_str_eq(show(&t, 0), "进程@0 程间@1 间通@2 通信@3");
    free(t.v);
}

Test(tokenize, gives_a_lone_character_as_itself)
{
    struct toks d = doc("锁"), q = query("锁");

    cr_assert_str_eq(show(&d, 0), "锁@0");
    cr_assert_str_eq(show(&q, 0), "锁@0");
    free(d.v);
    free(q.v);
}

Test(tokenize, indexes_a_long_word_as_its_bigrams_only)
{
    /* No token for the word itself (中华人民共和国, 共和国): no query asks
     * for one, its phrase of bigrams finds it. */
    struct toks d = doc("中华人民共和国");

    cr_assert_str_eq(show(&d, 0), "中华@0 +中@0 华人@1 +华@1 人民@2 +人@2 "
                                  "民共@3 +民@3 共和@4 +共@4 和国@5 +和@5 "
                                  "+国@5");
    free(d.v);
}

Test(tokenize, query_tokens_sit_at_the_same_positions_in_documents)
{
    size_t len;
    char *notes = read_notes(&len), *line, *save = NULL;
    size_t lines = 0;

    for (line = strtok_r(notes, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        struct toks d = doc(line), q = query(line);

        for (size_t i = 0; i < q.n; i++) {
            size_t k;

            for (k = 0; k < d.n; k++) {
                if (d.v[k].pos == q.v[i].pos &&
                    strcmp(d.v[k].text, q.v[i].text) == 0)
                    break;
            }
            cr_assert_lt(k, d.n, "query token %s@%d of \"%s\" not in document",
                         q.v[i].text, q.v[i].pos, line);
        }
        free(d.v);
        free(q.v);
        lines++;
    }
    cr_assert_gt(lines, 100);
    free(notes);
}

/* Rule 4: numerals. */

Test(tokenize, reads_digits_next_to_han_as_chinese_numerals)
{
    struct toks a = query("4次挥手"), b = query("四次挥手");
    char sa[256];

    show_into(sa, sizeof sa, &a, 1);
    cr_assert_str_eq(sa, show(&b, 1));
    cr_assert_str_eq(sa, "四次@0 次挥@1 挥手@2");
    free(a.v);
    free(b.v);
}

Test(tokenize, reads_digits_across_spaces_and_after_letters)
{
    struct toks t = doc("OSI7 层模型");

    cr_assert_str_eq(show(&t, 1), "osi@0 七层@1 层模@2 模型@3");
    assert_span(&t, "七层", 3, 8);
    assert_same_tokens(WENDA_TOKENIZE_QUERY, "3 次握手", "三次握手");
    assert_same_tokens(WENDA_TOKENIZE_QUERY, "7 个步骤", "七个步骤");
    assert_same_tokens(WENDA_TOKENIZE_QUERY, "共 3 次", "共三次");
    free(t.v);
}

Test(tokenize, keeps_the_digits_as_a_colocated_token)
{
    struct toks t = doc("OSI7 层模型");
    int i = find(&t, "7");

    cr_assert_geq(i, 0, "%s", show(&t, 0));
    cr_assert_eq(t.v[i].flags, WENDA_TOKEN_COLOCATED);
    cr_assert_eq(t.v[i].pos, 1);
    assert_span(&t, "7", 3, 4);
    free(t.v);
}

Test(tokenize, spells_two_digit_numbers)
{
    assert_same_tokens(WENDA_TOKENIZE_QUERY, "10次", "十次");
    assert_same_tokens(WENDA_TOKENIZE_QUERY, "11次", "十一次");
    assert_same_tokens(WENDA_TOKENIZE_QUERY, "20次", "二十次");
    assert_same_tokens(WENDA_TOKENIZE_QUERY, "21次", "二十一次");
    assert_same_tokens(WENDA_TOKENIZE_QUERY, "05号", "〇五号");
    assert_same_tokens(WENDA_TOKENIZE_QUERY, "第0次", "第〇次");
}

Test(tokenize, joins_only_the_attached_side_when_one_side_has_spaces)
{
    struct toks t = doc("第21次 10个");

    cr_assert_str_eq(show(&t, 1), "第二@0 二十@1 十一@2 一次@3 十个@4");
    free(t.v);
}

Test(tokenize, leaves_lone_and_long_digit_runs_as_digits)
{
    struct toks a = doc("2023年"), b = doc("7"), c = doc("abc 7 def");

    cr_assert_str_eq(show(&a, 0), "2023@0 年@1");
    cr_assert_str_eq(show(&b, 0), "7@0");
    cr_assert_str_eq(show(&c, 0), "abc@0 7@1 def@2");
    free(a.v);
    free(b.v);
    free(c.v);
}

Test(tokenize, reads_fullwidth_digits_like_ascii_ones)
{
    assert_same_tokens(WENDA_TOKENIZE_QUERY, "４次挥手", "四次挥手");
}

/* Rule 5: Latin and digit words. */

Test(tokenize, splits_letters_from_digits)
{
    struct toks a = doc("pep8 python3");

    cr_assert_str_eq(show(&a, 0), "pep@0 8@1 python@2 3@3");
    assert_span(&a, "8", 3, 4);
    assert_same_tokens(WENDA_TOKENIZE_QUERY, "PEP 8", "PEP8");
    free(a.v);
}

Test(tokenize, stems_english_words)
{
    assert_same_tokens(WENDA_TOKENIZE_DOCUMENT, "coroutines", "coroutine");
    assert_same_tokens(WENDA_TOKENIZE_DOCUMENT, "handshaking", "handshake");
    assert_same_tokens(WENDA_TOKENIZE_QUERY, "Threads", "thread");
}

Test(tokenize, does_not_stem_prefix_queries)
{
    struct toks p =
        run(WENDA_TOKENIZE_QUERY | WENDA_TOKENIZE_PREFIX, "coroutines");
    struct toks q = query("coroutines");

    cr_assert_str_eq(show(&p, 0), "coroutines@0");
    cr_assert_str_eq(show(&q, 0), "coroutin@0");
    free(p.v);
    free(q.v);
}

Test(tokenize, cuts_words_longer_than_64_bytes)
{
    char word[201], expect[65];
    struct toks t;

    memset(word, 'x', 200);
    word[200] = '\0';
    memset(expect, 'x', 64);
    expect[64] = '\0';
    t = run(WENDA_TOKENIZE_QUERY | WENDA_TOKENIZE_PREFIX, word);
    cr_assert_eq(t.n, 1);
    cr_assert_str_eq(t.v[0].text, expect);
    cr_assert_eq(t.v[0].start, 0);
    cr_assert_eq(t.v[0].end, 200);
    free(t.v);
}

/* Rule 6: everything else separates. */

Test(tokenize, separates_on_punctuation_symbols_and_emoji)
{
    struct toks t = doc("GIL\xf0\x9f\x94\x92，锁！a_b-c\xe3\x80\x82\xf0\x9f"
                        "\x98\x80死锁");

    cr_assert_str_eq(show(&t, 0), "gil@0 锁@1 a@2 b@3 c@4 死锁@5 +死@5 +锁@5");
    free(t.v);
}

Test(tokenize, finds_latin_offsets_after_traditional_han)
{
    struct toks t = doc("死鎖 GIL");

    cr_assert_str_eq(show(&t, 0), "死锁@0 +死@0 +锁@0 gil@1");
    assert_span(&t, "gil", 7, 10);
    free(t.v);
}

/* Robustness. */

Test(tokenize, emits_nothing_for_empty_input)
{
    struct toks a = doc(""), b = run_len(WENDA_TOKENIZE_QUERY, NULL, 0);
    struct toks c = doc(" \t\n，。!?");

    cr_assert_eq(a.n, 0);
    cr_assert_eq(b.n, 0);
    cr_assert_eq(c.n, 0);
    free(a.v);
    free(b.v);
    free(c.v);
}

Test(tokenize, skips_invalid_utf8_and_keeps_the_valid_parts)
{
    static const char text[] = "ab\xff\xfe"
                               "cd \xe6\xad死锁\xc0\x80 GIL\xed\xa0\x80x\xe4";
    struct toks t = run_len(WENDA_TOKENIZE_DOCUMENT, text, sizeof text - 1);

    cr_assert_str_eq(show(&t, 1), "ab@0 cd@1 死锁@2 gil@3 x@4");
    assert_span(&t, "cd", 4, 6);
    assert_span(&t, "死锁", 9, 15);
    assert_well_formed(&t, sizeof text - 1);
    free(t.v);
}

Test(tokenize, survives_every_truncation_of_mixed_text)
{
    static const char text[] = "死鎖 GIL 4次挥手 café 執行緒 pep8 😀 ＧＩＬ";

    for (int n = 0; n <= (int)sizeof text - 1; n++) {
        struct toks t = run_len(WENDA_TOKENIZE_DOCUMENT, text, n);

        assert_well_formed(&t, n);
        free(t.v);
    }
}

Test(tokenize, keeps_offsets_well_formed_on_random_mixtures)
{
    /* Pieces that exercise every path, glued at random, cut anywhere. */
    static const char *const pieces[] = {"a",
                                         "Z",
                                         "7",
                                         "42",
                                         "123",
                                         " ",
                                         "\t",
                                         "\n",
                                         ",",
                                         "。",
                                         "死",
                                         "鎖",
                                         "執行緒",
                                         "作業系統",
                                         "程序",
                                         "〇",
                                         "々",
                                         "ＧＩＬ",
                                         "４",
                                         "\xcc\x81",
                                         "\xef\xac\x81",
                                         "\xc2\xbd",
                                         "\xe3\x8b\x80",
                                         "\xf0\x9f\x98\x80",
                                         "\xe2\x80\x8d",
                                         "\xef\xb8\x8f",
                                         "\xff",
                                         "\xe6\xad",
                                         "\xc0\x80",
                                         "\xed\xa0\x80",
                                         "\xf0\xa0\x80\x80",
                                         "\xd9\xa3",
                                         "\xe3\x82\xa2",
                                         "\xea\xb0\x80",
                                         "\xe1\x84\x80\xe1\x85\xa1"};
    static const int modes[] = {WENDA_TOKENIZE_DOCUMENT, WENDA_TOKENIZE_QUERY,
                                WENDA_TOKENIZE_QUERY | WENDA_TOKENIZE_PREFIX};
    const size_t npieces = sizeof pieces / sizeof pieces[0];
    unsigned long seed = 12345;
    char text[512];

    for (int round = 0; round < 3000; round++) {
        size_t len = 0;
        int count;

        seed = seed * 6364136223846793005UL + 1442695040888963407UL;
        count = (int)(seed >> 33) % 24;
        for (int k = 0; k < count; k++) {
            const char *piece;
            size_t n;

            seed = seed * 6364136223846793005UL + 1442695040888963407UL;
            piece = pieces[(seed >> 33) % npieces];
            n = strlen(piece);
            if (len + n >= sizeof text)
                break;
            memcpy(text + len, piece, n);
            len += n;
        }
        for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
            struct toks t = run_len(modes[m], text, (int)len);

            assert_well_formed(&t, (int)len);
            free(t.v);
        }
    }
}

Test(tokenize, tokenizes_100_kb)
{
    static const char piece[] = "死鎖 GIL 4次挥手 pep8 coroutines。";
    struct toks one = doc(piece), t;
    const size_t target = (size_t)100 * 1024;
    size_t n = target / (sizeof piece - 1) + 1, len = 0;
    char *text = malloc(n * (sizeof piece - 1) + 1);

    cr_assert_not_null(text);
    for (size_t i = 0; i < n; i++, len += sizeof piece - 1)
        memcpy(text + len, piece, sizeof piece - 1);
    text[len] = '\0';
    cr_assert_geq(len, target);
    t = doc(text);
    cr_assert_eq(t.n, n * one.n);
    cr_assert_eq(t.pos + 1, (int)n * (one.pos + 1));
    assert_well_formed(&t, (int)len);
    cr_assert_str_eq(t.v[t.n - 1].text, one.v[one.n - 1].text);
    cr_assert_eq(t.v[t.n - 1].end, (int)len - 3); /* before the last "。" */
    free(one.v);
    free(t.v);
    free(text);
}

Test(tokenize, keeps_working_after_a_text_that_outgrows_its_buffers)
{
    size_t len = (size_t)600 * 1024;
    char *text = malloc(len);
    struct toks big, small;

    cr_assert_not_null(text);
    for (size_t i = 0; i < len; i++)
        text[i] = i % 2 ? ' ' : 'a';
    big = run_len(WENDA_TOKENIZE_DOCUMENT, text, (int)len);
    cr_assert_eq(big.n, len / 2);
    small = doc("死鎖 GIL");
    cr_assert_str_eq(show(&small, 0), "死锁@0 +死@0 +锁@0 gil@1");
    free(big.v);
    free(small.v);
    free(text);
}

Test(tokenize, keeps_offsets_well_formed_on_the_notes)
{
    size_t len;
    char *notes = read_notes(&len);
    struct toks d = run_len(WENDA_TOKENIZE_DOCUMENT, notes, (int)len);
    struct toks q = run_len(WENDA_TOKENIZE_QUERY, notes, (int)len);

    cr_assert_gt(d.n, 10000);
    assert_well_formed(&d, (int)len);
    assert_well_formed(&q, (int)len);
    free(d.v);
    free(q.v);
    free(notes);
}

Test(tokenize, gives_aux_mode_the_positions_and_offsets_of_documents)
{
    static const char mixed[] = "執行緒 OSI7 層模型, 3 次握手 PEP8 coroutines";
    size_t len, i, k = 0;
    char *notes = read_notes(&len);
    const char *texts[] = {notes, mixed};
    const int lens[] = {(int)len, (int)sizeof(mixed) - 1};

    for (int t = 0; t < 2; t++) {
        struct toks d = run_len(WENDA_TOKENIZE_DOCUMENT, texts[t], lens[t]);
        struct toks a = run_len(WENDA_TOKENIZE_AUX, texts[t], lens[t]);

        /* FTS5's snippet() counts only positional tokens: AUX must give
         * exactly those, with the same offsets, and nothing colocated. */
        for (i = 0, k = 0; i < d.n; i++) {
            if (d.v[i].flags & WENDA_TOKEN_COLOCATED)
                continue;
            cr_assert_lt(k, a.n, "aux mode has too few tokens");
            cr_assert_eq(a.v[k].flags, 0);
            cr_assert_eq(a.v[k].start, d.v[i].start, "token %zu", k);
            cr_assert_eq(a.v[k].end, d.v[i].end, "token %zu", k);
            k++;
        }
        cr_assert_eq(k, a.n, "aux mode has %zu tokens, documents %zu "
                     "positions", a.n, k);
        free(d.v);
        free(a.v);
    }
    free(notes);
}

Test(tokenize, stops_when_the_callback_returns_non_zero)
{
    struct toks t = {.pos = -1, .stop_after = 2};
    int fn_rc = 0;

    cr_assert_eq(wenda_tokenize(tk, WENDA_TOKENIZE_DOCUMENT, "a b c d", 7,
                                collect, &t, &fn_rc),
                 WENDA_OK);
    cr_assert_eq(fn_rc, 42);
    cr_assert_eq(t.n, 2);
    free(t.v);
}

Test(tokenize, rejects_invalid_arguments)
{
    struct toks t = {.pos = -1};

    cr_assert_eq(wenda_tokenize(NULL, 0, "a", 1, collect, &t, NULL),
                 WENDA_ERR_INVALID);
    cr_assert_eq(wenda_tokenize(tk, 0, "a", 1, NULL, &t, NULL),
                 WENDA_ERR_INVALID);
    cr_assert_eq(wenda_tokenize(tk, 0, "a", -1, collect, &t, NULL),
                 WENDA_ERR_INVALID);
    cr_assert_eq(wenda_tokenize(tk, 0, NULL, 1, collect, &t, NULL),
                 WENDA_ERR_INVALID);
    cr_assert_eq(wenda_tokenize(tk, 8, "a", 1, collect, &t, NULL),
                 WENDA_ERR_INVALID);
    cr_assert_eq(t.n, 0);
    cr_assert_eq(wenda_tokenizer_new(NULL), WENDA_ERR_INVALID);
    wenda_tokenizer_free(NULL);
}

/* Pinyin. */

static void
assert_pinyin(const char *text, const char *expect)
{
    char *out = NULL;

    cr_assert_eq(wenda_tokenizer_pinyin(tk, text, strlen(text), &out),
                 WENDA_OK);
    cr_assert_str_eq(out, expect, "pinyin of \"%s\"", text);
    free(out);
}

Test(tokenize, gives_pinyin_joined_then_spaced)
{
    assert_pinyin("死锁", "sisuo si suo");
    assert_pinyin("信号量", "xinhaoliang xin hao liang");
}

Test(tokenize, gives_pinyin_of_traditional_text)
{
    assert_pinyin("死鎖", "sisuo si suo");
    assert_pinyin("執行緒", "xiancheng xian cheng");
}

Test(tokenize, gives_pinyin_per_han_run_and_drops_the_rest)
{
    assert_pinyin("GIL 全局锁, 锁!", "quanjusuo quan ju suo suo");
    assert_pinyin("4次挥手", "sicihuishou si ci hui shou");
    assert_pinyin("GIL", "");
    assert_pinyin("", "");
}

static sqlite3 *fts; /* the fts5 suite's table, opened by fts5_setup() */

static sqlite3 *
open_db(void)
{
    static const char *const rows[][2] = {
        {"死锁", "这是死锁现象"},
        {"GIL", "CPython 的 GIL 全局解释器锁"},
        {"TCP 四次挥手", "断开连接需要四次挥手"},
        {"PEP8", "PEP8 是 Python 的代码风格指南"},
        {"OSI", "OSI7 层模型"},
        {"进程间通信", "进程间通信的方式有管道、信号量、共享内存"},
        {"執行緒", "執行緒是作業系統能夠進行運算排程的最小單位"},
    };
    sqlite3 *db;
    sqlite3_stmt *st;

    cr_assert_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    cr_assert_eq(wenda_tokenize_register(db), WENDA_OK);
    cr_assert_eq(sqlite3_exec(db,
                              "CREATE VIRTUAL TABLE t USING "
                              "fts5(title, body, tokenize='wenda')",
                              NULL, NULL, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "INSERT INTO t(rowid, title, body) "
                                    "VALUES (?1, ?2, ?3)",
                                    -1, &st, NULL),
                 SQLITE_OK);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        sqlite3_bind_int(st, 1, (int)i + 1);
        sqlite3_bind_text(st, 2, rows[i][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, rows[i][1], -1, SQLITE_STATIC);
        cr_assert_eq(sqlite3_step(st), SQLITE_DONE, "%s", sqlite3_errmsg(db));
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return db;
}

static void
fts5_setup(void)
{
    setup();
    fts = open_db();
}

static void
fts5_teardown(void)
{
    sqlite3_close(fts);
    fts = NULL;
    teardown();
}

TestSuite(fts5, .init = fts5_setup, .fini = fts5_teardown);

/* The rowids matching q, ascending, as "1,3"; static buffer. */
static const char *
match(sqlite3 *db, const char *q)
{
    static char buf[256];
    sqlite3_stmt *st;
    size_t len = 0;
    int rc;

    buf[0] = '\0';
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT rowid FROM t WHERE t MATCH ?1 "
                                    "ORDER BY rowid",
                                    -1, &st, NULL),
                 SQLITE_OK);
    sqlite3_bind_text(st, 1, q, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%d",
                                len ? "," : "", sqlite3_column_int(st, 0));
    }
    cr_assert_eq(rc, SQLITE_DONE, "%s: %s", q, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return buf;
}

/* The result of an SQL expression over row rowid matching q; static. */
static const char *
aux(sqlite3 *db, const char *expr, const char *q, int rowid)
{
    static char buf[1024];
    char sql[256];
    sqlite3_stmt *st;

    snprintf(sql, sizeof sql,
             "SELECT %s FROM t WHERE t MATCH ?1 AND rowid = ?2", expr);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s",
                 sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, q, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, rowid);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s: no row %d", q, rowid);
    snprintf(buf, sizeof buf, "%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return buf;
}

Test(fts5, matches_a_traditional_query_against_simplified_text)
{
    cr_assert_str_eq(match(fts, "\"死鎖\""), "1");
}

Test(fts5, matches_a_simplified_query_against_traditional_text)
{
    cr_assert_str_eq(match(fts, "\"线程\""), "7");
    cr_assert_str_eq(match(fts, "\"操作系统\""), "7"); /* 作業系統 */
    cr_assert_str_eq(match(fts, "\"執行緒\""), "7");
}

Test(fts5, matches_a_fullwidth_query)
{
    cr_assert_str_eq(match(fts, "\"ＧＩＬ\""), "2");
}

Test(fts5, matches_arabic_numerals_against_chinese_ones)
{
    cr_assert_str_eq(match(fts, "\"4次挥手\""), "3");
    cr_assert_str_eq(match(fts, "\"七层模型\""), "5");
    cr_assert_str_eq(match(fts, "\"7\""), "5");
}

Test(fts5, matches_pep_8_against_pep8)
{
    cr_assert_str_eq(match(fts, "\"pep 8\""), "4");
}

Test(fts5, matches_a_prefix_query)
{
    cr_assert_str_eq(match(fts, "\"gi\"*"), "2");
    cr_assert_str_eq(match(fts, "\"死\"*"), "1");
}

Test(fts5, matches_a_phrase_inside_a_longer_run)
{
    cr_assert_str_eq(match(fts, "\"间通信\""), "6");
    cr_assert_str_eq(match(fts, "\"进程间通信\""), "6");
}

Test(fts5, matches_a_single_character)
{
    cr_assert_str_eq(match(fts, "\"锁\""), "1,2");
}

Test(fts5, does_not_match_what_is_not_there)
{
    cr_assert_str_eq(match(fts, "\"四次握手\""), "");
    cr_assert_str_eq(match(fts, "\"程序\""), ""); /* not 进程 */
    cr_assert_str_eq(match(fts, "\"死锁现\" \"GIL\""), "");
}

Test(fts5, snippet_marks_exactly_the_matched_characters)
{
    cr_assert_str_eq(
        aux(fts, "snippet(t, 1, '<mark>', '</mark>', '…', 10)", "\"死锁\"", 1),
        "这是<mark>死锁</mark>现象");
}

Test(fts5, highlight_marks_original_traditional_and_latin_text)
{
    cr_assert_str_eq(aux(fts, "highlight(t, 1, '[', ']')", "\"线程\"", 7),
                     "[執行緒]是作業系統能夠進行運算排程的最小單位");
    cr_assert_str_eq(aux(fts, "highlight(t, 1, '[', ']')", "\"操作系统\"", 7),
                     "執行緒是[作業系統]能夠進行運算排程的最小單位");
    cr_assert_str_eq(aux(fts, "highlight(t, 1, '[', ']')", "\"ＧＩＬ\"", 2),
                     "CPython 的 [GIL] 全局解释器锁");
    cr_assert_str_eq(aux(fts, "highlight(t, 1, '[', ']')", "\"进程间通信\"", 6),
                     "[进程间通信]的方式有管道、信号量、共享内存");
    cr_assert_str_eq(aux(fts, "highlight(t, 1, '[', ']')", "\"七层\"", 5),
                     "OSI[7 层]模型");
}

Test(fts5, rejects_tokenizer_arguments)
{
    sqlite3 *db;

    cr_assert_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    cr_assert_eq(wenda_tokenize_register(db), WENDA_OK);
    cr_assert_neq(sqlite3_exec(db,
                               "CREATE VIRTUAL TABLE t USING "
                               "fts5(a, tokenize='wenda extra')",
                               NULL, NULL, NULL),
                  SQLITE_OK);
    cr_assert_eq(wenda_tokenize_register(NULL), WENDA_ERR_INVALID);
    sqlite3_close(db);
}

/* ---- recorded token streams and the preset ----------------------------- */

Test(tokenize, replays_recorded_tokens_exactly_as_tokenized)
{
    static const char *const texts[] = {
        "",
        "死锁",
        "執行緒是作業系統能夠進行運算排程的最小單位",
        "TCP 4次挥手, OSI7 层, pep8 and Running queues",
        "CPython 的 GIL 全局解释器锁 \xff\xfe bad bytes",
    };
    size_t notes_len;
    char *notes = read_notes(&notes_len);

    for (size_t i = 0; i <= sizeof texts / sizeof texts[0]; i++) {
        const char *text = i < sizeof texts / sizeof texts[0] ? texts[i]
                                                              : notes;
        int n = i < sizeof texts / sizeof texts[0] ? (int)strlen(text)
                                                   : (int)notes_len;
        struct wenda_token_stream s = {0};
        struct toks direct = run_len(WENDA_TOKENIZE_DOCUMENT, text, n);
        struct toks replayed = {.pos = -1};

        cr_assert_eq(wenda_tokenize_record(tk, text, n, &s), WENDA_OK);
        cr_assert_eq(wenda_token_stream_replay(&s, collect, &replayed), 0);
        cr_assert_eq(replayed.n, direct.n, "text %zu: %zu tokens, not %zu", i,
                     replayed.n, direct.n);
        for (size_t k = 0; k < direct.n; k++) {
            const struct tok *a = &direct.v[k], *b = &replayed.v[k];

            cr_assert(strcmp(a->text, b->text) == 0 && a->flags == b->flags &&
                          a->start == b->start && a->end == b->end,
                      "text %zu, token %zu: \"%s\" %d %d-%d replayed as "
                      "\"%s\" %d %d-%d",
                      i, k, a->text, a->flags, a->start, a->end, b->text,
                      b->flags, b->start, b->end);
        }
        free(direct.v);
        free(replayed.v);
        wenda_token_stream_cleanup(&s);
    }
    free(notes);
}

Test(tokenize, stops_a_replay_when_the_callback_returns_non_zero)
{
    struct wenda_token_stream s = {0};
    struct toks t = {.pos = -1, .stop_after = 2};

    cr_assert_eq(wenda_tokenize_record(tk, "one two three four", 18, &s),
                 WENDA_OK);
    cr_assert_eq(s.n, 4);
    cr_assert_eq(wenda_token_stream_replay(&s, collect, &t), 42);
    cr_assert_eq(t.n, 2);
    free(t.v);
    wenda_token_stream_cleanup(&s);
    wenda_token_stream_cleanup(NULL);
}

/* Inserts (rowid, title, body) into the fts5 suite's table t. */
static void
insert_row(int rowid, const char *title, const char *body)
{
    sqlite3_stmt *st;

    cr_assert_eq(sqlite3_prepare_v2(fts,
                                    "INSERT INTO t(rowid, title, body) "
                                    "VALUES (?1, ?2, ?3)",
                                    -1, &st, NULL),
                 SQLITE_OK);
    sqlite3_bind_int(st, 1, rowid);
    sqlite3_bind_text(st, 2, title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, body, -1, SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(st), SQLITE_DONE, "%s", sqlite3_errmsg(fts));
    sqlite3_finalize(st);
}

Test(fts5, replays_preset_tokens_for_that_very_text_only)
{
    /* A's preset holds B's tokens, so that a replay shows in the index. */
    static const char a[] = "alpha beta 死锁 x";
    static const char a2[] = "alpha beta 死锁 y"; /* one byte differs */
    static const char b[] = "zebra 信号量";
    char title[sizeof a];
    struct wenda_token_stream sb = {0};
    struct wenda_token_preset p = {a, (int)strlen(a), &sb};

    cr_assert_eq(wenda_tokenize_record(tk, b, (int)strlen(b), &sb),
                 WENDA_OK);
    memcpy(title, a, sizeof a); /* the same bytes at another address */
    wenda_tokenize_preset(&p, 1);
    insert_row(100, title, a2);
    cr_assert_str_eq(match(fts, "title : \"zebra\""), "100");
    cr_assert_str_eq(match(fts, "title : \"信号量\""), "100");
    cr_assert_str_eq(match(fts, "title : \"alpha\""), "");
    cr_assert_str_eq(match(fts, "body : \"alpha\" AND body : \"死锁\""),
                     "100");
    cr_assert_str_eq(match(fts, "body : \"zebra\""), "");
    /* Queries are never replayed, though their text is the preset's. */
    cr_assert_str_eq(match(fts, "\"alpha beta 死锁 x\""), "");

    wenda_tokenize_preset(NULL, 0);
    insert_row(101, a, "");
    cr_assert_str_eq(match(fts, "title : \"alpha\""), "101");
    cr_assert_str_eq(match(fts, "title : \"zebra\""), "100");
    wenda_token_stream_cleanup(&sb);
}

Test(fts5, indexes_a_replayed_row_as_a_tokenized_one)
{
    static const char title[] = "執行緒 和 进程 / Threads and processes";
    size_t n;
    char *body = read_notes(&n);
    struct wenda_token_stream st[2] = {{0}, {0}};
    struct wenda_token_preset p[2];
    sqlite3_stmt *q;

    if (n > 20000) {
        n = 20000;
        while (n > 0 && (body[n] & 0xC0) == 0x80)
            n--; /* whole characters only */
        body[n] = '\0';
    }
    cr_assert_eq(wenda_tokenize_record(tk, title, (int)strlen(title), &st[0]),
                 WENDA_OK);
    cr_assert_eq(wenda_tokenize_record(tk, body, (int)strlen(body), &st[1]),
                 WENDA_OK);
    p[0] = (struct wenda_token_preset){title, (int)strlen(title), &st[0]};
    p[1] = (struct wenda_token_preset){body, (int)strlen(body), &st[1]};
    wenda_tokenize_preset(p, 2);
    insert_row(200, title, body);
    wenda_tokenize_preset(NULL, 0);
    insert_row(201, title, body);
    cr_assert_eq(sqlite3_exec(fts,
                              "CREATE VIRTUAL TABLE temp.v USING "
                              "fts5vocab(main, t, instance)",
                              NULL, NULL, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(fts));
    cr_assert_eq(sqlite3_prepare_v2(
                     fts,
                     "SELECT (SELECT count(*) FROM temp.v WHERE doc = 200), "
                     "(SELECT count(*) FROM (SELECT term, col, offset FROM "
                     "temp.v WHERE doc = 200 EXCEPT SELECT term, col, offset "
                     "FROM temp.v WHERE doc = 201)), "
                     "(SELECT count(*) FROM (SELECT term, col, offset FROM "
                     "temp.v WHERE doc = 201 EXCEPT SELECT term, col, offset "
                     "FROM temp.v WHERE doc = 200))",
                     -1, &q, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(fts));
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    cr_assert_gt(sqlite3_column_int(q, 0), 1000);
    cr_assert_eq(sqlite3_column_int(q, 1), 0);
    cr_assert_eq(sqlite3_column_int(q, 2), 0);
    sqlite3_finalize(q);
    for (int i = 0; i < 2; i++)
        wenda_token_stream_cleanup(&st[i]);
    free(body);
}
