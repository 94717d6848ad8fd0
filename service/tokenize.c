/*
 * tokenize.c -- the "wenda" FTS5 tokenizer: Chinese and English text to
 * search tokens, with byte offsets into the original text.
 *
 * Documents and queries go through the same three passes, so a query
 * always produces tokens the document side produced for the same text:
 *
 *   1. normalize: the text is decoded into code points; each grapheme
 *      cluster is put through NFKC + case folding (utf8proc, dropping
 *      default-ignorable code points, as Unicode's NFKC_Casefold does), and
 *      every code point it yields keeps the cluster's byte span in the
 *      original.  ASCII and CJK Unified Ideographs, almost all of our text,
 *      skip utf8proc.  Invalid UTF-8 bytes become separators.
 *   2. numerals: a run of one or two ASCII digits next to a Han character,
 *      spaces between allowed ("3 次握手", "OSI7 层"), is read as Chinese
 *      numerals (7 -> 七, 10 -> 十, 21 -> 二十一, 05 -> 〇五) that join the
 *      Han run, so "4次挥手" finds 四次挥手.  The document side also keeps the
 *      digits as a colocated token, so "7" alone still matches.
 *   3. emit: Latin and other letter/digit words are split at letter<->digit
 *      boundaries ("pep8" -> "pep" "8"), cut to 64 bytes and stemmed with
 *      Snowball english (not for prefix queries).  A Han run is converted
 *      to simplified with OpenCC tw2sp (執行緒 -> 线程) and then gives one
 *      position per overlapping bigram, and documents colocate each single
 *      character, so one-character queries match; queries do not, because
 *      single characters would make phrases match loosely.  (A word of
 *      three or more characters needs no token of its own: its phrase of
 *      bigrams finds it, dictionary or not.)  A run of one
 *      character is just that character.  Everything else separates.
 *
 * Only runs holding a traditional-only character (one that OpenCC's t2s
 * changes on its own: 鎖, 這, 麼) go through tw2sp.  That is not only
 * faster (OpenCC costs about 0.7 us per character): tw2sp rewrites
 * mainland text with Taiwan meanings -- 程序 -> 进程, 文件 -> 文档,
 * 建立 -> 创建, 什么 -> 什幺 -- which would merge "program" into "process".
 * The table of traditional-only characters is built once per process by
 * asking t2s about every Han code point.  When tw2sp changes the length
 * of a run (執行緒 -> 线程), the characters that convert on their own to
 * what the run gave keep their offsets and each changed stretch maps to
 * the span of the original stretch, so snippet() still highlights what
 * the reader wrote.
 *
 * Positions: bigram p covers characters p and p+1 and is the first token
 * at its position, which is what FTS5's highlight() uses for offsets; the
 * last character is colocated with the last bigram.  A phrase of Han text
 * is therefore a chain of bigrams, and "间通信" matches inside "进程间通信".
 *
 * One text is not read as text: WENDA_TOKEN_VERBATIM followed by a slug,
 * and nothing else, is that one token in every mode (a topic's category
 * in the full-text index, which only a category filter asks for).
 *
 * All buffers live in the tokenizer and only grow, so the hot path does no
 * allocation once they are warm, apart from OpenCC's own for the few runs
 * that need converting.
 *
 * Tokenizing is deterministic, which lets a bulk import tokenize its rows
 * on worker threads: wenda_tokenize_record() keeps the tokens of a text,
 * and wenda_tokenize_preset() tells the FTS5 tokenizer on the writing
 * thread to replay them when FTS5 asks for that very text, byte for byte.
 */
#include "wenda/tokenize.h"
#include "wenda/content.h"
#include "tokenize_int.h"

#include <assert.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include <libstemmer.h>
#include <opencc/opencc.h>
#include <unicode/utf16.h>
#include <unicode/utrans.h>
#include <unicode/ustring.h>
#include <utf8proc.h>

static_assert(WENDA_TOKEN_COLOCATED == FTS5_TOKEN_COLOCATED,
              "WENDA_TOKEN_COLOCATED must equal FTS5_TOKEN_COLOCATED");

/* Longest Latin word kept, in bytes; longer ones are cut at a character. */
#define MAX_WORD 64
/* Longest Han token emitted, in bytes. */
#define MAX_HAN_TOKEN 64
/* How far align_conv() looks for the end of a stretch tw2sp changed. */
#define ALIGN_WINDOW ((size_t)8)
/* Scratch buffers larger than this are freed after each call. */
#define TRIM_BYTES ((size_t)4 << 20)
/* Code points below this are covered by the traditional-only table. */
#define TRAD_LIMIT 0x32400

/* NFKC_Casefold as utf8proc spells it. */
#define NORM_OPTIONS                                                           \
    (UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |                    \
     UTF8PROC_CASEFOLD | UTF8PROC_IGNORE)

enum cls {
    CLS_SEP,    /* punctuation, symbols, controls, invalid bytes */
    CLS_SPACE,  /* space or tab: may sit between a numeral and Han */
    CLS_HAN,    /* a Han character */
    CLS_LETTER, /* any other letter, or a combining mark */
    CLS_DIGIT,  /* a decimal digit */
};

/* One normalized code point and the original bytes it came from. */
struct nchar {
    int32_t cp;
    int start, end;
    unsigned char cls;     /* enum cls */
    unsigned char numeral; /* ASCII digit read as a numeral: JOIN_* bits */
};

/* Sides a numeral joins across spaces; either bit makes it a numeral. */
#define JOIN_LEFT 1
#define JOIN_RIGHT 2

/* One character of a Han run, before or after conversion. */
struct hchar {
    int32_t cp;
    int start, end;
};

/* Digits read as numerals: emitted as a colocated token in documents. */
struct numgroup {
    int at; /* index of its first character in the run, then in conv */
    int ndigits;
    char digits[2];
};

/*
 * The pinyin of one character, as ICU's transliteration gives it: its
 * syllables in lowercase ASCII letters, separated by spaces ("" for none).
 * ICU's Han-Latin reads a character the same wherever it stands, so each
 * is transliterated once per tokenizer and then found in an
 * open-addressing table of PY_SLOTS: an import's titles would otherwise
 * spend a third of its time in the transliterator.
 */
#define PY_SLOTS 8192
#define PY_MAX 24
struct pyslot {
    int32_t cp;   /* 0: empty */
    char syl[PY_MAX];
};

struct wenda_tokenizer {
    opencc_t cc;                /* tw2sp.json */
    struct sb_stemmer *stemmer; /* english, UTF-8 */
    UTransliterator *translit;  /* Han-Latin; Latin-ASCII, opened lazily */
    struct pyslot *py;          /* pinyin of each character seen */
    size_t npy;
    char py_scratch[PY_MAX];    /* a reading when py is full */

    struct nchar *nc; /* the normalized text */
    size_t nnc, cap_nc;
    int32_t *norm; /* utf8proc's scratch for one cluster */
    size_t cap_norm;
    struct hchar *run; /* the current Han run as written */
    size_t nrun, cap_run;
    struct hchar *conv; /* the current Han run converted */
    size_t nconv, cap_conv;
    const struct hchar *cur; /* run or conv: what gets emitted */
    size_t ncur;
    struct numgroup *grp; /* numerals of the current run */
    size_t ngrp, cap_grp;
    char *u8; /* UTF-8 scratch: OpenCC input */
    size_t cap_u8;
    int *slot; /* alignment scratch: per run char, conv index */
    size_t cap_slot;

    /* State of the current wenda_tokenize() call. */
    int mode;
    wenda_token_fn fn;
    void *ctx;
    int fn_rc;          /* non-zero: fn asked to stop */
    enum wenda_err err; /* non-zero: we failed */
};

static int reserve(void *pptr, size_t *cap, size_t need, size_t size);
static void trim(struct wenda_tokenizer *tk);
static void build_trad_table(void);
static int is_trad(int32_t cp);
static enum cls classify(int32_t cp);
static int fail(struct wenda_tokenizer *tk, enum wenda_err err);
static int push_nchar(struct wenda_tokenizer *tk, int32_t cp, int start,
                      int end);
static int push_cluster(struct wenda_tokenizer *tk, const unsigned char *s,
                        int start, int end, int32_t first, int single);
static int normalize(struct wenda_tokenizer *tk, const unsigned char *s, int n);
static int simple_gcb(int32_t cp);
static int maybe_prepend(int32_t cp);
static int han_beside(const struct wenda_tokenizer *tk, size_t i, size_t j,
                      int before);
static void mark_numerals(struct wenda_tokenizer *tk);
static int push_run(struct wenda_tokenizer *tk, int32_t cp, int start, int end);
static int push_numeral(struct wenda_tokenizer *tk, size_t i, size_t j);
static int joins_across(const struct wenda_tokenizer *tk, size_t a, size_t b);
static size_t collect_run(struct wenda_tokenizer *tk, size_t i);
static int encode_run(struct wenda_tokenizer *tk, const struct hchar *h,
                      size_t n, int separate);
static int decode_conv(struct wenda_tokenizer *tk, const char *s);
static void map_stretch(struct wenda_tokenizer *tk, size_t r, size_t dr,
                        size_t c, size_t dc);
static void align_conv(struct wenda_tokenizer *tk, const char *singles);
static int convert_run(struct wenda_tokenizer *tk);
static int emit(struct wenda_tokenizer *tk, int flags, const char *tok,
                int ntok, int start, int end);
static int emit_chars(struct wenda_tokenizer *tk, int flags, size_t at,
                      size_t len);
static int emit_run(struct wenda_tokenizer *tk);
static size_t emit_word(struct wenda_tokenizer *tk, size_t i);
static int append(char **buf, size_t *len, size_t *cap, const char *s,
                  size_t n);
static int is_ascii_letter(UChar u);
static int pinyin_run(struct wenda_tokenizer *tk, char **buf, size_t *len,
                      size_t *cap);
static int fts5_create(void *user, const char **argv, int argc,
                       Fts5Tokenizer **out);
static void fts5_delete(Fts5Tokenizer *tok);
static int fts5_tokenize(Fts5Tokenizer *tok, void *ctx, int flags,
                         const char *text, int ntext,
                         int (*xToken)(void *, int, const char *, int, int,
                                       int));

/* Traditional-only characters: bit set when t2s changes the character. */
static unsigned char trad_table[TRAD_LIMIT / 8];
static once_flag trad_once = ONCE_FLAG_INIT;
static enum wenda_err trad_status = WENDA_ERR_INTERNAL;

/* 0-9 as Chinese numerals, and 十. */
static const int32_t numeral_cp[10] = {0x3007, 0x4E00, 0x4E8C, 0x4E09, 0x56DB,
                                       0x4E94, 0x516D, 0x4E03, 0x516B, 0x4E5D};
#define TEN_CP 0x5341

/*
 * Grows the array *pptr (elements of size bytes, capacity *cap) to hold
 * need elements.  Returns 0, or -1 with the array untouched.
 */
static int
reserve(void *pptr, size_t *cap, size_t need, size_t size)
{
    void *old, *p;
    size_t ncap;

    if (need <= *cap)
        return 0;
    ncap = *cap ? *cap : 64;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / size)
            return -1;
        ncap *= 2;
    }
    memcpy(&old, pptr, sizeof old);
    p = realloc(old, ncap * size);
    if (p == NULL)
        return -1;
    memcpy(pptr, &p, sizeof p);
    *cap = ncap;
    return 0;
}

/*
 * Frees the scratch buffers that one very large text left big, so that a
 * long-lived tokenizer holds no more than about TRIM_BYTES each.
 */
static void
trim(struct wenda_tokenizer *tk)
{
#define TRIM(buf, cap)                                                         \
    do {                                                                       \
        if ((cap) * sizeof *(buf) > TRIM_BYTES) {                              \
            free(buf);                                                         \
            (buf) = NULL;                                                      \
            (cap) = 0;                                                         \
        }                                                                      \
    } while (0)
    TRIM(tk->nc, tk->cap_nc);
    TRIM(tk->norm, tk->cap_norm);
    TRIM(tk->run, tk->cap_run);
    TRIM(tk->conv, tk->cap_conv);
    TRIM(tk->grp, tk->cap_grp);
    TRIM(tk->u8, tk->cap_u8);
    TRIM(tk->slot, tk->cap_slot);
#undef TRIM
}

/*
 * Fills trad_table by converting every Han code point with t2s.json, one
 * per line, in a single call.  Sets trad_status.
 */
static void
build_trad_table(void)
{
    static const int32_t ranges[][2] = {{0x2E80, 0x9FFF},
                                        {0x20000, TRAD_LIMIT - 1}};
    opencc_t cc;
    char *in = NULL, *out = NULL;
    const char *p, *q, *pe, *qe;
    size_t n = 0, cap = 0;
    int32_t cp;

    cc = opencc_open("t2s.json");
    if (cc == (opencc_t)-1)
        return;
    cap = 5 * (size_t)(0x9FFF - 0x2E80 + 1 + TRAD_LIMIT - 0x20000);
    in = malloc(cap + 1);
    if (in == NULL)
        goto cleanup;
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
        for (cp = ranges[r][0]; cp <= ranges[r][1]; cp++) {
            n += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)in + n);
            in[n++] = '\n';
        }
    }
    in[n] = '\0';
    out = opencc_convert_utf8(cc, in, n);
    if (out == NULL)
        goto cleanup;
    for (p = in, q = out; *p != '\0'; p = pe + 1, q = qe + 1) {
        pe = strchr(p, '\n');
        qe = strchr(q, '\n');
        if (qe == NULL)
            goto cleanup; /* lines lost: do not trust the table */
        if (pe - p != qe - q || memcmp(p, q, (size_t)(pe - p)) != 0) {
            utf8proc_iterate((const utf8proc_uint8_t *)p, pe - p, &cp);
            if (cp >= 0 && cp < TRAD_LIMIT)
                trad_table[cp / 8] |= (unsigned char)(1u << (cp % 8));
        }
    }
    trad_status = WENDA_OK;

cleanup:
    if (out != NULL)
        opencc_convert_utf8_free(out);
    free(in);
    opencc_close(cc);
}

static int
is_trad(int32_t cp)
{
    return cp < TRAD_LIMIT && (trad_table[cp / 8] >> (cp % 8) & 1);
}

int
wenda_tokenize_is_han(int32_t cp)
{
    if (cp >= 0x4E00 && cp <= 0x9FFF)
        return 1;
    if (cp < 0x2E80)
        return 0;
    return (cp <= 0x2FD5 && cp != 0x2E9A && !(cp > 0x2EF3 && cp < 0x2F00)) ||
           cp == 0x3005 || cp == 0x3007 || (cp >= 0x3021 && cp <= 0x3029) ||
           (cp >= 0x3038 && cp <= 0x303B) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x323AF);
}

static enum cls
classify(int32_t cp)
{
    if (cp < 0x80) {
        if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'))
            return CLS_LETTER;
        if (cp >= '0' && cp <= '9')
            return CLS_DIGIT;
        return cp == ' ' || cp == '\t' ? CLS_SPACE : CLS_SEP;
    }
    if (wenda_tokenize_is_han(cp))
        return CLS_HAN;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME: return CLS_LETTER;
    case UTF8PROC_CATEGORY_ND: return CLS_DIGIT;
    default: return CLS_SEP;
    }
}

/* Records err (the first one wins) and returns -1 for "stop". */
static int
fail(struct wenda_tokenizer *tk, enum wenda_err err)
{
    if (tk->err == WENDA_OK)
        tk->err = err;
    return -1;
}

static int
push_nchar(struct wenda_tokenizer *tk, int32_t cp, int start, int end)
{
    struct nchar *c;

    if (reserve(&tk->nc, &tk->cap_nc, tk->nnc + 1, sizeof *tk->nc))
        return fail(tk, WENDA_ERR_NOMEM);
    c = &tk->nc[tk->nnc++];
    c->cp = cp;
    c->start = start;
    c->end = end;
    c->cls = (unsigned char)classify(cp);
    c->numeral = 0;
    return 0;
}

/*
 * Appends the normalization of the grapheme cluster s[start..end), whose
 * first code point is first; single says it has no other.
 */
static int
push_cluster(struct wenda_tokenizer *tk, const unsigned char *s, int start,
             int end, int32_t first, int single)
{
    utf8proc_ssize_t n;

    if (single && first < 0x80) {
        if (first >= 'A' && first <= 'Z')
            first += 'a' - 'A';
        return push_nchar(tk, first, start, end);
    }
    if (single && first >= 0x4E00 && first <= 0x9FFF)
        return push_nchar(tk, first, start, end);
    for (;;) {
        n = utf8proc_decompose(s + start, end - start, tk->norm,
                               (utf8proc_ssize_t)tk->cap_norm, NORM_OPTIONS);
        if (n < 0)
            return push_nchar(tk, 0xFFFD, start, end); /* cannot happen */
        if ((size_t)n <= tk->cap_norm)
            break;
        if (reserve(&tk->norm, &tk->cap_norm, (size_t)n, sizeof *tk->norm))
            return fail(tk, WENDA_ERR_NOMEM);
    }
    n = utf8proc_normalize_utf32(tk->norm, n, NORM_OPTIONS);
    for (utf8proc_ssize_t k = 0; k < n; k++) {
        if (push_nchar(tk, tk->norm[k], start, end))
            return -1;
    }
    return 0;
}

/*
 * Returns 1 for the common characters of Chinese text whose grapheme
 * cluster break property is Other (ideographs, ideographic punctuation up
 * to U+3029, fullwidth ASCII), so that no cluster continues into them
 * unless a Prepend character comes first (UAX #29, GB9b).
 */
static int
simple_gcb(int32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3000 && cp <= 0x3029) ||
           (cp >= 0xFF01 && cp <= 0xFF5E);
}

/* Returns 0 when cp is certainly not a Prepend character (all are at or
 * above U+0600, none is an ideograph). */
static int
maybe_prepend(int32_t cp)
{
    return cp >= 0x600 && !simple_gcb(cp);
}

/*
 * Pass 1: fills tk->nc with the normalized text of s[0..n).  A cluster
 * only continues past a byte of 0xCC or more (U+0300 and up), so ASCII and
 * Latin-1 never ask utf8proc about grapheme breaks.
 */
static int
normalize(struct wenda_tokenizer *tk, const unsigned char *s, int n)
{
    int i = 0, j, single;
    utf8proc_ssize_t len;
    int32_t cp, last, next, state;

    tk->nnc = 0;
    while (i < n) {
        len = utf8proc_iterate(s + i, n - i, &cp);
        if (len < 0) {
            if (push_nchar(tk, 0xFFFD, i, i + 1)) /* a separator */
                return -1;
            i++;
            continue;
        }
        j = i + (int)len;
        last = cp;
        state = 0;
        single = 1;
        while (j < n && s[j] >= 0xCC) {
            len = utf8proc_iterate(s + j, n - j, &next);
            if (len < 0 || (simple_gcb(next) && !maybe_prepend(last)) ||
                utf8proc_grapheme_break_stateful(last, next, &state))
                break;
            last = next;
            j += (int)len;
            single = 0;
        }
        if (push_cluster(tk, s, i, j, cp, single))
            return -1;
        i = j;
    }
    return 0;
}

/*
 * Looks for Han next to the digits nc[i..j): before i when before is set,
 * else from j on, past spaces.  Returns 0 if there is none, 1 if it is
 * attached, 2 if spaces come between.
 */
static int
han_beside(const struct wenda_tokenizer *tk, size_t i, size_t j, int before)
{
    size_t k = before ? i : j;
    int gap = 0;

    if (before) {
        for (; k > 0 && tk->nc[k - 1].cls == CLS_SPACE; k--)
            gap = 1;
        return k > 0 && tk->nc[k - 1].cls == CLS_HAN ? 1 + gap : 0;
    }
    for (; k < tk->nnc && tk->nc[k].cls == CLS_SPACE; k++)
        gap = 1;
    return k < tk->nnc && tk->nc[k].cls == CLS_HAN ? 1 + gap : 0;
}

/*
 * Pass 2: marks each run of one or two ASCII digits next to Han as a
 * numeral, and which side it joins: an attached side always; a side
 * across spaces unless the other side is attached ("次 10个" joins 个
 * only, "共 3 次" both).  Decided on the classes of pass 1 alone, so a
 * digit run never depends on how a neighbouring one was read.
 */
static void
mark_numerals(struct wenda_tokenizer *tk)
{
    size_t i = 0, j;
    int left, right, join;

    while (i < tk->nnc) {
        if (tk->nc[i].cls != CLS_DIGIT || tk->nc[i].cp > '9') {
            i++;
            continue;
        }
        for (j = i;
             j < tk->nnc && tk->nc[j].cls == CLS_DIGIT && tk->nc[j].cp <= '9';
             j++)
            ;
        left = han_beside(tk, i, j, 1);
        right = han_beside(tk, i, j, 0);
        if (j - i <= 2 && (left || right)) {
            join = 0;
            if (left == 1 || (left == 2 && right != 1))
                join |= JOIN_LEFT;
            if (right == 1 || (right == 2 && left != 1))
                join |= JOIN_RIGHT;
            for (size_t k = i; k < j; k++)
                tk->nc[k].numeral = (unsigned char)join;
        }
        i = j;
    }
}

static int
push_run(struct wenda_tokenizer *tk, int32_t cp, int start, int end)
{
    struct hchar *h;

    if (reserve(&tk->run, &tk->cap_run, tk->nrun + 1, sizeof *tk->run))
        return fail(tk, WENDA_ERR_NOMEM);
    h = &tk->run[tk->nrun++];
    h->cp = cp;
    h->start = start;
    h->end = end;
    return 0;
}

/*
 * Appends the digits nc[i..j) to the run as Chinese numerals, each with
 * the span of all the digits, and records them as a numeral group.
 */
static int
push_numeral(struct wenda_tokenizer *tk, size_t i, size_t j)
{
    struct numgroup *g;
    int start = tk->nc[i].start, end = tk->nc[j - 1].end;
    int d0 = tk->nc[i].cp - '0', d1;
    int rc = 0;

    if (reserve(&tk->grp, &tk->cap_grp, tk->ngrp + 1, sizeof *tk->grp))
        return fail(tk, WENDA_ERR_NOMEM);
    g = &tk->grp[tk->ngrp++];
    g->at = (int)tk->nrun;
    g->ndigits = (int)(j - i);
    g->digits[0] = (char)tk->nc[i].cp;
    g->digits[1] = (char)(j - i == 2 ? tk->nc[i + 1].cp : 0);
    if (j - i == 1)
        return push_run(tk, numeral_cp[d0], start, end);
    d1 = tk->nc[i + 1].cp - '0';
    if (d0 == 0) /* "05": read digit by digit */
        rc = push_run(tk, numeral_cp[0], start, end);
    else if (d0 > 1)
        rc = push_run(tk, numeral_cp[d0], start, end);
    if (rc == 0 && d0 != 0)
        rc = push_run(tk, TEN_CP, start, end);
    if (rc == 0 && (d1 != 0 || d0 == 0))
        rc = push_run(tk, numeral_cp[d1], start, end);
    return rc;
}

/*
 * Do the run's last character nc[a] and nc[b], with only spaces between,
 * belong to one run?  Only if a numeral among them joins that side.
 */
static int
joins_across(const struct wenda_tokenizer *tk, size_t a, size_t b)
{
    const struct nchar *nc = tk->nc;

    if (b >= tk->nnc)
        return 0;
    if (nc[b].numeral)
        return (nc[b].numeral & JOIN_LEFT) != 0;
    return nc[b].cls == CLS_HAN && (nc[a].numeral & JOIN_RIGHT) != 0;
}

/*
 * Collects the Han run starting at nc[i] (a Han character or a numeral)
 * into tk->run and its numerals into tk->grp.  Spaces are skipped only
 * on a side a numeral joins.  Returns the index after the run; check
 * tk->err.
 */
static size_t
collect_run(struct wenda_tokenizer *tk, size_t i)
{
    const struct nchar *nc = tk->nc;
    size_t j = i, k;

    tk->nrun = 0;
    tk->ngrp = 0;
    while (j < tk->nnc) {
        if (nc[j].numeral) {
            for (k = j; k < tk->nnc && nc[k].numeral; k++)
                ;
            if (push_numeral(tk, j, k))
                return k;
            j = k;
        } else if (nc[j].cls == CLS_HAN) {
            if (push_run(tk, nc[j].cp, nc[j].start, nc[j].end))
                return j + 1;
            j++;
        } else if (nc[j].cls == CLS_SPACE) {
            for (k = j; k < tk->nnc && nc[k].cls == CLS_SPACE; k++)
                ;
            if (!joins_across(tk, j - 1, k))
                break;
            j = k;
        } else {
            break;
        }
    }
    return j;
}

/*
 * Writes the UTF-8 of h[0..n) to tk->u8, NUL-terminated, with a newline
 * after each character when separate is set.  Returns the length, or -1.
 */
static int
encode_run(struct wenda_tokenizer *tk, const struct hchar *h, size_t n,
           int separate)
{
    size_t len = 0;

    if (reserve(&tk->u8, &tk->cap_u8, 5 * n + 1, 1))
        return fail(tk, WENDA_ERR_NOMEM);
    for (size_t k = 0; k < n; k++) {
        len += (size_t)utf8proc_encode_char(h[k].cp,
                                            (utf8proc_uint8_t *)tk->u8 + len);
        if (separate)
            tk->u8[len++] = '\n';
    }
    tk->u8[len] = '\0';
    return len > INT_MAX ? fail(tk, WENDA_ERR_TOO_LARGE) : (int)len;
}

/* Decodes OpenCC's output s into tk->conv, spans still unset. */
static int
decode_conv(struct wenda_tokenizer *tk, const char *s)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    size_t n = strlen(s);
    utf8proc_ssize_t len;
    int32_t cp;

    tk->nconv = 0;
    if (reserve(&tk->conv, &tk->cap_conv, n, sizeof *tk->conv))
        return fail(tk, WENDA_ERR_NOMEM);
    while (n > 0) {
        len = utf8proc_iterate(p, (utf8proc_ssize_t)n, &cp);
        if (len < 0) {
            len = 1; /* OpenCC gives valid UTF-8; skip if not */
        } else {
            tk->conv[tk->nconv].cp = cp;
            tk->conv[tk->nconv].start = 0;
            tk->conv[tk->nconv].end = 0;
            tk->nconv++;
        }
        p += len;
        n -= (size_t)len;
    }
    return 0;
}

/*
 * Maps run[r..r+dr) to conv[c..c+dc), a stretch tw2sp changed: the
 * converted characters get the span of the whole original stretch.  An
 * insertion borrows the span of the original character that follows it
 * (or precedes it, at the end); a deletion widens its neighbour.
 */
static void
map_stretch(struct wenda_tokenizer *tk, size_t r, size_t dr, size_t c,
            size_t dc)
{
    const struct hchar *run = tk->run;
    size_t n = tk->nrun, m = tk->nconv, k;
    int start, end;

    if (dr > 0) {
        start = run[r].start;
        end = run[r + dr - 1].end;
    } else {
        k = r < n ? r : n - 1;
        start = run[k].start;
        end = run[k].end;
    }
    for (k = c; k < c + dc; k++) {
        tk->conv[k].start = start;
        tk->conv[k].end = end;
    }
    if (dc == 0 && c > 0 && tk->conv[c - 1].end < end)
        tk->conv[c - 1].end = end;
    for (k = r; k < r + dr; k++)
        tk->slot[k] = (int)(c < m ? c : m - 1);
}

/*
 * Gives each converted character a span when tw2sp changed the run's
 * length.  singles is the run converted one character per line (NULL if
 * that failed).  Characters that convert alone to what the run gave keep
 * their own spans; in between, the converted stretch up to the next such
 * character (looked for within ALIGN_WINDOW on either side) gets the span
 * of the original stretch.  tk->slot[r] is set to the conv index that
 * carries run character r.
 */
static void
align_conv(struct wenda_tokenizer *tk, const char *singles)
{
    size_t n = tk->nrun, m = tk->nconv, r, c, dr = 0, dc = 0, sum;
    int32_t *one = tk->norm; /* single conversions; cap_norm >= n */
    const char *p = singles, *e;
    int found;

    for (r = 0; r < n; r++)
        one[r] = -1;
    for (r = 0; p != NULL && r < n; r++, p = e + 1) {
        int32_t cp;
        utf8proc_ssize_t len;

        e = strchr(p, '\n');
        if (e == NULL)
            break;
        len = utf8proc_iterate((const utf8proc_uint8_t *)p, e - p, &cp);
        if (len == e - p)
            one[r] = cp;
    }
    r = c = 0;
    while (r < n && c < m) {
        if (one[r] == tk->conv[c].cp) {
            map_stretch(tk, r++, 1, c++, 1);
            continue;
        }
        found = 0;
        for (sum = 1; sum <= 2 * ALIGN_WINDOW && !found; sum++) {
            for (dr = 0; dr <= sum && !found; dr++) {
                dc = sum - dr;
                found = dr <= ALIGN_WINDOW && dc <= ALIGN_WINDOW &&
                        r + dr < n && c + dc < m &&
                        one[r + dr] == tk->conv[c + dc].cp;
            }
        }
        if (found) {
            dr--; /* the loops went one past */
        } else {
            dr = n - r;
            dc = m - c;
        }
        map_stretch(tk, r, dr, c, dc);
        r += dr;
        c += dc;
    }
    if (r < n || c < m)
        map_stretch(tk, r, n - r, c, m - c);
    if (tk->conv[0].start > tk->run[0].start) /* a leading deletion */
        tk->conv[0].start = tk->run[0].start;
}

/*
 * Converts tk->run to simplified when it holds a traditional-only
 * character, and points tk->cur at what should be emitted.  Numeral
 * groups are moved to the converted indices.
 */
static int
convert_run(struct wenda_tokenizer *tk)
{
    char *out = NULL, *singles = NULL;
    size_t r, n = tk->nrun;
    int len, need = 0;

    tk->cur = tk->run;
    tk->ncur = n;
    for (r = 0; r < n && !need; r++)
        need = is_trad(tk->run[r].cp);
    if (!need)
        return 0;
    if ((len = encode_run(tk, tk->run, n, 0)) < 0)
        return -1;
    out = opencc_convert_utf8(tk->cc, tk->u8, (size_t)len);
    if (out == NULL)
        return fail(tk, WENDA_ERR_INTERNAL);
    if (decode_conv(tk, out))
        goto cleanup;
    tk->cur = tk->conv;
    tk->ncur = tk->nconv;
    if (tk->nconv == n) {
        for (r = 0; r < n; r++) {
            tk->conv[r].start = tk->run[r].start;
            tk->conv[r].end = tk->run[r].end;
        }
        goto cleanup;
    }
    if (tk->nconv == 0)
        goto cleanup;
    if (reserve(&tk->slot, &tk->cap_slot, n, sizeof *tk->slot) ||
        reserve(&tk->norm, &tk->cap_norm, n, sizeof *tk->norm)) {
        fail(tk, WENDA_ERR_NOMEM);
        goto cleanup;
    }
    if ((len = encode_run(tk, tk->run, n, 1)) < 0)
        goto cleanup;
    singles = opencc_convert_utf8(tk->cc, tk->u8, (size_t)len);
    align_conv(tk, singles); /* NULL singles: the whole run's span */
    for (r = 0; r < tk->ngrp; r++)
        tk->grp[r].at = tk->slot[tk->grp[r].at];

cleanup:
    if (singles != NULL)
        opencc_convert_utf8_free(singles);
    opencc_convert_utf8_free(out);
    return tk->err ? -1 : 0;
}

/* Passes one token to the caller; returns non-zero once we must stop. */
static int
emit(struct wenda_tokenizer *tk, int flags, const char *tok, int ntok,
     int start, int end)
{
    int rc;

    assert(start >= 0 && start < end);
    rc = tk->fn(tk->ctx, flags, tok, ntok, start, end);
    if (rc != 0) {
        tk->fn_rc = rc;
        return -1;
    }
    return 0;
}

/* Emits tk->cur[at..at+len) as one token; longer than 64 bytes: nothing. */
static int
emit_chars(struct wenda_tokenizer *tk, int flags, size_t at, size_t len)
{
    char buf[MAX_HAN_TOKEN + 4]; /* room for one more character */
    int n = 0;

    for (size_t k = at; k < at + len; k++) {
        if (n > MAX_HAN_TOKEN)
            return 0;
        n += (int)utf8proc_encode_char(tk->cur[k].cp,
                                       (utf8proc_uint8_t *)buf + n);
    }
    if (n > MAX_HAN_TOKEN)
        return 0;
    return emit(tk, flags, buf, n, tk->cur[at].start,
                tk->cur[at + len - 1].end);
}

/*
 * Emits the converted run tk->cur: per position p, the bigram p, then
 * colocated in documents the character p and the digits of numerals
 * starting at p; the last character and its numerals go with the last
 * position.
 */
static int
emit_run(struct wenda_tokenizer *tk)
{
    const int coloc = WENDA_TOKEN_COLOCATED;
    const int doc = !(tk->mode & WENDA_TOKENIZE_QUERY);
    size_t m = tk->ncur, g = 0, p, c;

    if (m == 0)
        return 0;
    if (m == 1)
        return emit_chars(tk, 0, 0, 1);
    if (tk->mode & WENDA_TOKENIZE_AUX) {
        /* Positions only: one bigram per position, nothing colocated. */
        for (p = 0; p + 1 < m; p++)
            if (emit_chars(tk, 0, p, 2))
                return -1;
        return 0;
    }
    for (p = 0; p + 1 < m; p++) {
        if (emit_chars(tk, 0, p, 2))
            return -1;
        if (!doc)
            continue;
        for (c = p; c <= (p + 2 == m ? p + 1 : p); c++) {
            if (emit_chars(tk, coloc, c, 1))
                return -1;
            for (; g < tk->ngrp && tk->grp[g].at == (int)c; g++) {
                if (emit(tk, coloc, tk->grp[g].digits, tk->grp[g].ndigits,
                         tk->cur[c].start, tk->cur[c].end))
                    return -1;
            }
        }
    }
    return 0;
}

/*
 * Emits the letter or digit word starting at nc[i]: it ends where the
 * class changes, so letters and digits part.  Returns the index after it;
 * check tk->err and tk->fn_rc.
 */
static size_t
emit_word(struct wenda_tokenizer *tk, size_t i)
{
    const struct nchar *nc = tk->nc;
    unsigned char cls = nc[i].cls;
    char buf[MAX_WORD + 4]; /* room for one more character */
    const sb_symbol *stem;
    int n = 0, clen;
    size_t j;

    for (j = i; j < tk->nnc && nc[j].cls == cls && !nc[j].numeral; j++) {
        clen = (int)utf8proc_encode_char(nc[j].cp, (utf8proc_uint8_t *)buf + n);
        if (n + clen > MAX_WORD)
            break;
        n += clen;
    }
    while (j < tk->nnc && nc[j].cls == cls && !nc[j].numeral)
        j++; /* the truncated rest */
    if (cls == CLS_LETTER &&
        !(tk->mode & (WENDA_TOKENIZE_PREFIX | WENDA_TOKENIZE_AUX))) {
        stem = sb_stemmer_stem(tk->stemmer, (const sb_symbol *)buf, n);
        if (stem == NULL) {
            fail(tk, WENDA_ERR_NOMEM);
            return j;
        }
        clen = sb_stemmer_length(tk->stemmer);
        if (clen > 0 && clen <= MAX_WORD) {
            memcpy(buf, stem, (size_t)clen);
            n = clen;
        }
    }
    if (n > 0)
        emit(tk, 0, buf, n, nc[i].start, nc[j - 1].end);
    return j;
}

enum wenda_err
wenda_tokenizer_new(struct wenda_tokenizer **out)
{
    struct wenda_tokenizer *tk;

    if (out == NULL)
        return WENDA_ERR_INVALID;
    *out = NULL;
    call_once(&trad_once, build_trad_table);
    if (trad_status != WENDA_OK)
        return trad_status;
    tk = calloc(1, sizeof *tk);
    if (tk == NULL)
        return WENDA_ERR_NOMEM;
    tk->cc = opencc_open("tw2sp.json");
    if (tk->cc == (opencc_t)-1) {
        tk->cc = NULL;
        goto cleanup;
    }
    tk->stemmer = sb_stemmer_new("english", "UTF_8");
    if (tk->stemmer == NULL)
        goto cleanup;
    *out = tk;
    return WENDA_OK;

cleanup:
    wenda_tokenizer_free(tk);
    return WENDA_ERR_INTERNAL;
}

void
wenda_tokenizer_free(struct wenda_tokenizer *tk)
{
    if (tk == NULL)
        return;
    if (tk->cc != NULL)
        opencc_close(tk->cc);
    sb_stemmer_delete(tk->stemmer);
    if (tk->translit != NULL)
        utrans_close(tk->translit);
    free(tk->py);
    free(tk->nc);
    free(tk->norm);
    free(tk->run);
    free(tk->conv);
    free(tk->grp);
    free(tk->u8);
    free(tk->slot);
    free(tk);
}

/* Whether text[0..n) is WENDA_TOKEN_VERBATIM and a slug. */
static int
is_verbatim(const char *text, int n)
{
    const size_t nv = sizeof(WENDA_TOKEN_VERBATIM) - 1;
    char slug[WENDA_CONTENT_MAX_SLUG + 1];
    size_t ns;

    if (n <= (int)nv || memcmp(text, WENDA_TOKEN_VERBATIM, nv) != 0)
        return 0;
    ns = (size_t)n - nv;
    if (ns > WENDA_CONTENT_MAX_SLUG || memchr(text + nv, '\0', ns) != NULL)
        return 0;
    memcpy(slug, text + nv, ns);
    slug[ns] = '\0';
    return wenda_slug_valid(slug, WENDA_CONTENT_MAX_SLUG);
}

enum wenda_err
wenda_tokenize(struct wenda_tokenizer *tk, int mode, const char *text,
               int ntext, wenda_token_fn fn, void *ctx, int *fn_rc)
{
    const int modes =
        WENDA_TOKENIZE_QUERY | WENDA_TOKENIZE_PREFIX | WENDA_TOKENIZE_AUX;
    const struct nchar *c;
    size_t i = 0;

    if (fn_rc != NULL)
        *fn_rc = 0;
    if (tk == NULL || fn == NULL || ntext < 0 || (text == NULL && ntext > 0) ||
        (mode & ~modes) != 0)
        return WENDA_ERR_INVALID;
    if (mode & WENDA_TOKENIZE_PREFIX)
        mode |= WENDA_TOKENIZE_QUERY;
    tk->mode = mode;
    tk->fn = fn;
    tk->ctx = ctx;
    tk->fn_rc = 0;
    tk->err = WENDA_OK;
    if (is_verbatim(text, ntext)) {
        (void)emit(tk, 0, text, ntext, 0, ntext);
        if (fn_rc != NULL)
            *fn_rc = tk->fn_rc;
        return WENDA_OK;
    }
    if (normalize(tk, (const unsigned char *)text, ntext))
        return tk->err;
    mark_numerals(tk);
    while (i < tk->nnc && tk->err == WENDA_OK && tk->fn_rc == 0) {
        c = &tk->nc[i];
        if (c->cls == CLS_HAN || c->numeral) {
            i = collect_run(tk, i);
            if (tk->err == WENDA_OK && convert_run(tk) == 0)
                emit_run(tk);
        } else if (c->cls == CLS_LETTER || c->cls == CLS_DIGIT) {
            i = emit_word(tk, i);
        } else {
            i++;
        }
    }
    trim(tk);
    if (fn_rc != NULL)
        *fn_rc = tk->fn_rc;
    return tk->err;
}

/* Appends s[0..n) to the malloc'ed string *buf, keeping it NUL-terminated. */
static int
append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (reserve(buf, cap, *len + n + 1, 1))
        return -1;
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

static int
is_ascii_letter(UChar u)
{
    return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z');
}

/*
 * Writes the syllables of ICU's transliteration of cp to out (PY_MAX
 * bytes): each run of ASCII letters, lowercased, after a space when not
 * the first.  Returns 0, or -1 with tk->err set.
 */
static int
translit_char(struct wenda_tokenizer *tk, int32_t cp, char out[PY_MAX])
{
    UChar u[32];
    int32_t n = 0, limit, i;
    UErrorCode status = U_ZERO_ERROR;
    size_t k = 0;

    U16_APPEND_UNSAFE(u, n, cp);
    limit = n;
    utrans_transUChars(tk->translit, u, &n, (int32_t)(sizeof(u) / sizeof(*u)),
                       0, &limit, &status);
    if (U_FAILURE(status))
        return fail(tk, WENDA_ERR_INTERNAL);
    for (i = 0; i < n; i++) {
        if (!is_ascii_letter(u[i]))
            continue;
        if (k > 0 && !is_ascii_letter(u[i - 1]))
            out[k++] = ' ';
        if (k >= PY_MAX - 2)
            break;   /* no reading is this long; keep what fits */
        out[k++] = (char)(u[i] | 0x20);
    }
    out[k] = '\0';
    return 0;
}

/* Finds (or makes) the pinyin of cp; NULL with tk->err set on failure. */
static const char *
pinyin_of(struct wenda_tokenizer *tk, int32_t cp)
{
    size_t h;

    if (tk->py == NULL) {
        tk->py = calloc(PY_SLOTS, sizeof(*tk->py));
        if (tk->py == NULL) {
            (void)fail(tk, WENDA_ERR_NOMEM);
            return NULL;
        }
    }
    h = ((uint32_t)cp * 2654435761u) & (PY_SLOTS - 1);
    while (tk->py[h].cp != 0 && tk->py[h].cp != cp)
        h = (h + 1) & (PY_SLOTS - 1);
    if (tk->py[h].cp == cp)
        return tk->py[h].syl;
    if (tk->npy >= PY_SLOTS * 3 / 4) {
        /* Full enough: transliterate without keeping it. */
        return translit_char(tk, cp, tk->py_scratch) == 0 ? tk->py_scratch
                                                          : NULL;
    }
    if (translit_char(tk, cp, tk->py[h].syl) != 0)
        return NULL;
    tk->py[h].cp = cp;
    tk->npy++;
    return tk->py[h].syl;
}

/*
 * Appends the syllables s (of pinyin_of()) to *buf, with the spaces between
 * them when spaced, else joined.  Returns the number of syllables, or -1
 * when out of memory.
 */
static int
append_syllables(char **buf, size_t *len, size_t *cap, const char *s,
                 int spaced)
{
    int n = *s != '\0';

    for (; *s != '\0'; s++) {
        n += *s == ' ';
        if (*s == ' ' && !spaced)
            continue;
        if (append(buf, len, cap, s, 1))
            return -1;
    }
    return n;
}

/*
 * Appends the pinyin of the converted run tk->cur to *buf, after a space
 * if *buf is not empty: the syllables (runs of ASCII letters in ICU's
 * transliteration) joined, then, if there are several, each after a space.
 */
static int
pinyin_run(struct wenda_tokenizer *tk, char **buf, size_t *len, size_t *cap)
{
    size_t k, start;
    const char *s;
    int n, nsyl = 0;

    if (*len > 0 && append(buf, len, cap, " ", 1))
        return fail(tk, WENDA_ERR_NOMEM);
    start = *len;
    for (k = 0; k < tk->ncur; k++) {
        if ((s = pinyin_of(tk, tk->cur[k].cp)) == NULL)
            return -1;
        if ((n = append_syllables(buf, len, cap, s, 0)) < 0)
            return fail(tk, WENDA_ERR_NOMEM);
        nsyl += n;
    }
    if (nsyl == 0 && start > 0) /* no reading: take the space back */
        (*buf)[--*len] = '\0';
    if (nsyl < 2)
        return 0;
    for (k = 0; k < tk->ncur; k++) {
        s = pinyin_of(tk, tk->cur[k].cp);
        if (s == NULL)
            return -1;
        if (*s == '\0')
            continue;
        if (append(buf, len, cap, " ", 1) ||
            append_syllables(buf, len, cap, s, 1) < 0)
            return fail(tk, WENDA_ERR_NOMEM);
    }
    return 0;
}

enum wenda_err
wenda_tokenizer_pinyin(struct wenda_tokenizer *tk, const char *text,
                       size_t ntext, char **out)
{
    static const UChar id[] = u"Han-Latin; Latin-ASCII";
    UErrorCode status = U_ZERO_ERROR;
    char *buf = NULL;
    size_t len = 0, cap = 0, i = 0;

    if (out != NULL)
        *out = NULL;
    if (tk == NULL || out == NULL || (text == NULL && ntext > 0))
        return WENDA_ERR_INVALID;
    if (ntext > INT_MAX)
        return WENDA_ERR_TOO_LARGE;
    if (tk->translit == NULL) {
        tk->translit =
            utrans_openU(id, -1, UTRANS_FORWARD, NULL, 0, NULL, &status);
        if (U_FAILURE(status)) {
            tk->translit = NULL;
            return status == U_MEMORY_ALLOCATION_ERROR ? WENDA_ERR_NOMEM
                                                       : WENDA_ERR_INTERNAL;
        }
    }
    tk->err = WENDA_OK;
    tk->fn_rc = 0;
    if (append(&buf, &len, &cap, "", 0))
        return WENDA_ERR_NOMEM;
    if (normalize(tk, (const unsigned char *)text, (int)ntext))
        goto cleanup;
    mark_numerals(tk);
    while (i < tk->nnc && tk->err == WENDA_OK) {
        if (tk->nc[i].cls != CLS_HAN && !tk->nc[i].numeral) {
            i++;
            continue;
        }
        i = collect_run(tk, i);
        if (tk->err == WENDA_OK && convert_run(tk) == 0)
            pinyin_run(tk, &buf, &len, &cap);
    }

cleanup:
    trim(tk);
    if (tk->err != WENDA_OK) {
        free(buf);
        return tk->err;
    }
    *out = buf;
    return WENDA_OK;
}

/* ---- recorded token streams ------------------------------------------ */

/*
 * The preset of the calling thread (see wenda_tokenize_preset()): borrowed
 * from the caller, read only by fts5_tokenize() on the same thread.
 */
static thread_local const struct wenda_token_preset *preset;
static thread_local size_t npreset;

static int
record_token(void *ctx, int flags, const char *tok, int ntok, int start,
             int end)
{
    struct wenda_token_stream *s = ctx;
    struct wenda_token_rec *r;

    if (reserve(&s->tok, &s->cap, s->n + 1, sizeof(*s->tok)) ||
        reserve(&s->bytes, &s->capbytes, s->nbytes + (size_t)ntok, 1))
        return SQLITE_NOMEM;
    r = &s->tok[s->n++];
    r->flags = flags;
    r->start = start;
    r->end = end;
    r->off = s->nbytes;
    r->len = ntok;
    memcpy(s->bytes + s->nbytes, tok, (size_t)ntok);
    s->nbytes += (size_t)ntok;
    return 0;
}

enum wenda_err
wenda_tokenize_record(struct wenda_tokenizer *tk, const char *text, int ntext,
                      struct wenda_token_stream *out)
{
    enum wenda_err rc;
    int fn_rc = 0;

    if (out == NULL)
        return WENDA_ERR_INVALID;
    rc = wenda_tokenize(tk, WENDA_TOKENIZE_DOCUMENT, text, ntext,
                        record_token, out, &fn_rc);
    if (rc == WENDA_OK && fn_rc != 0)
        rc = WENDA_ERR_NOMEM;
    return rc;
}

int
wenda_token_stream_replay(const struct wenda_token_stream *s,
                          wenda_token_fn fn, void *ctx)
{
    size_t i;
    int rc;

    for (i = 0; i < s->n; i++) {
        const struct wenda_token_rec *r = &s->tok[i];

        rc = fn(ctx, r->flags, s->bytes + r->off, r->len, r->start, r->end);
        if (rc != 0)
            return rc;
    }
    return 0;
}

void
wenda_token_stream_cleanup(struct wenda_token_stream *s)
{
    if (s == NULL)
        return;
    free(s->tok);
    free(s->bytes);
    memset(s, 0, sizeof(*s));
}

void
wenda_tokenize_preset(const struct wenda_token_preset *p, size_t n)
{
    preset = n > 0 ? p : NULL;
    npreset = preset != NULL ? n : 0;
}

/* Returns the tokens preset for text[0..ntext) on this thread, or NULL. */
static const struct wenda_token_stream *
preset_for(const char *text, int ntext)
{
    size_t i;

    for (i = 0; i < npreset; i++)
        if (preset[i].ntext == ntext &&
            (ntext == 0 || preset[i].text == text ||
             memcmp(preset[i].text, text, (size_t)ntext) == 0))
            return preset[i].tokens;
    return NULL;
}

static int
fts5_create(void *user, const char **argv, int argc, Fts5Tokenizer **out)
{
    struct wenda_tokenizer *tk;
    enum wenda_err rc;

    (void)user;
    (void)argv;
    *out = NULL;
    if (argc != 0)
        return SQLITE_ERROR; /* the wenda tokenizer takes no options */
    rc = wenda_tokenizer_new(&tk);
    if (rc != WENDA_OK)
        return rc == WENDA_ERR_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
    *out = (Fts5Tokenizer *)tk;
    return SQLITE_OK;
}

static void
fts5_delete(Fts5Tokenizer *tok)
{
    wenda_tokenizer_free((struct wenda_tokenizer *)tok);
}

static int
fts5_tokenize(Fts5Tokenizer *tok, void *ctx, int flags, const char *text,
              int ntext,
              int (*xToken)(void *, int, const char *, int, int, int))
{
    int mode = WENDA_TOKENIZE_DOCUMENT, fn_rc = 0;
    const struct wenda_token_stream *known;
    enum wenda_err rc;

    if (flags == FTS5_TOKENIZE_DOCUMENT && npreset > 0 &&
        (known = preset_for(text, ntext)) != NULL)
        return wenda_token_stream_replay(known, xToken, ctx);
    if (flags & FTS5_TOKENIZE_QUERY)
        mode = WENDA_TOKENIZE_QUERY;
    if (flags & FTS5_TOKENIZE_PREFIX)
        mode = WENDA_TOKENIZE_QUERY | WENDA_TOKENIZE_PREFIX;
    if (flags & FTS5_TOKENIZE_AUX)
        mode = WENDA_TOKENIZE_AUX;
    rc = wenda_tokenize((struct wenda_tokenizer *)tok, mode, text, ntext,
                        xToken, ctx, &fn_rc);
    if (rc != WENDA_OK)
        return rc == WENDA_ERR_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
    return fn_rc;
}

enum wenda_err
wenda_tokenize_register(sqlite3 *db)
{
    static fts5_tokenizer methods = {fts5_create, fts5_delete, fts5_tokenize};
    sqlite3_stmt *stmt = NULL;
    fts5_api *api = NULL;
    int rc;

    if (db == NULL)
        return WENDA_ERR_INVALID;
    rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, NULL);
    if (rc != SQLITE_OK)
        return WENDA_ERR_DB; /* no FTS5 in this SQLite */
    sqlite3_bind_pointer(stmt, 1, (void *)&api, "fts5_api_ptr", NULL);
    sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (api == NULL || api->iVersion < 2)
        return WENDA_ERR_DB;
    rc = api->xCreateTokenizer(api, "wenda", NULL, &methods, NULL);
    return rc == SQLITE_OK ? WENDA_OK : WENDA_ERR_DB;
}
