/*
 * gen.c -- bench-gen: a knowledge base of any size, for the scale benchmark
 * and the scale tests, in the form "wenda import" reads: DIR/categories.yml
 * and DIR/topics.ndjson, one topic a line as GET /v1/export writes them.
 *
 * The text is the notes' own.  Their Markdown (content/ by default) is cut
 * into Chinese words (each run of Han characters in chunks of two to four
 * characters), English words and sentence punctuation; the words are
 * counted and ranked, most frequent first, and topics draw from the ranks
 * with a Zipf-like law, so that common words stay common and the tail is
 * long.  Answers are 100 to about 3,000 characters, skewed like a
 * log-normal law (median 320): paragraphs of Chinese sentences with English
 * terms, now and then a list or a code fence, as the notes are written.
 * Titles are 4-20 characters, tags a vocabulary of about 300 slugs (the
 * notes' tags first), 40 categories, each topic in one of them.
 *
 * The output depends on the vocabulary directory, --seed and --count only:
 * xoshiro256** seeded through splitmix64, integer arithmetic throughout (no
 * libm, no locale, no rand()), a sorted directory walk, and vocabulary
 * ranks that break ties by first appearance, never by hash order.  Every
 * topic passes wenda_topic_validate() before it is written.
 *
 * usage: bench-gen --seed S --count N --out DIR [--vocab DIR]
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "wenda/content.h"

#define NCATEGORIES 40
#define NTAGS 300
#define MAX_LATIN 24      /* longest English word kept, in letters */
#define MAX_TITLE_CHARS 20
#define MAX_ANSWER_CHARS 3000
#define MIN_HAN_WORDS 50
#define MIN_LATIN_WORDS 20

/* ---- random numbers -------------------------------------------------- */

struct rng {
    uint64_t s[4];
};

static uint64_t
splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15u);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static void
rng_seed(struct rng *r, uint64_t seed)
{
    int i;

    for (i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t
rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static uint64_t
rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* A number in [0, n); n > 0.  The modulo bias is below 2^-40 here. */
static uint64_t
rng_below(struct rng *r, uint64_t n)
{
    return rng_next(r) % n;
}

/* 1 with probability pct/100. */
static int
rng_pct(struct rng *r, unsigned pct)
{
    return rng_below(r, 100) < pct;
}

/* ---- growable byte strings ------------------------------------------- */

struct sbuf {
    char *p;
    size_t n, cap;
};

static void
die_oom(void)
{
    fputs("bench-gen: out of memory\n", stderr);
    exit(1);
}

static void
sb_put(struct sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *p;

        while (cap < b->n + n + 1)
            cap *= 2;
        p = realloc(b->p, cap);
        if (p == NULL)
            die_oom();
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void
sb_puts(struct sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void
sb_reset(struct sbuf *b)
{
    b->n = 0;
    sb_put(b, "", 0);
}

/* ---- the vocabulary -------------------------------------------------- */

struct word {
    char *s;          /* owned, NUL-terminated */
    size_t len;       /* bytes */
    size_t nch;       /* characters */
    uint64_t count;   /* occurrences in the notes */
    size_t first;     /* order of first appearance */
};

/*
 * A set of words with their counts.  After rank(), w is sorted most
 * frequent first and cum holds the cumulative weights that pick() draws
 * from: Zipf-like (rank r weighs 2^32 / (r + 2)) or the counts themselves.
 */
struct words {
    struct word *w;
    size_t n, cap;
    size_t *slot;     /* open addressing: index + 1, 0 when empty */
    size_t nslot;
    uint64_t *cum;
};

static uint64_t
fnv1a(const char *s, size_t n)
{
    uint64_t h = 0xCBF29CE484222325u;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001B3u;
    }
    return h;
}

static void
words_rehash(struct words *ws)
{
    size_t nslot = ws->nslot ? ws->nslot * 2 : 1024, i;
    size_t *slot = calloc(nslot, sizeof(*slot));

    if (slot == NULL)
        die_oom();
    for (i = 0; i < ws->n; i++) {
        size_t h = (size_t)fnv1a(ws->w[i].s, ws->w[i].len) & (nslot - 1);

        while (slot[h] != 0)
            h = (h + 1) & (nslot - 1);
        slot[h] = i + 1;
    }
    free(ws->slot);
    ws->slot = slot;
    ws->nslot = nslot;
}

/* Counts one occurrence of s[0..n), a word of nch characters. */
static void
words_add(struct words *ws, const char *s, size_t n, size_t nch)
{
    size_t h;
    struct word *w;

    if (2 * (ws->n + 1) > ws->nslot)
        words_rehash(ws);
    h = (size_t)fnv1a(s, n) & (ws->nslot - 1);
    while (ws->slot[h] != 0) {
        w = &ws->w[ws->slot[h] - 1];
        if (w->len == n && memcmp(w->s, s, n) == 0) {
            w->count++;
            return;
        }
        h = (h + 1) & (ws->nslot - 1);
    }
    if (ws->n == ws->cap) {
        size_t cap = ws->cap ? ws->cap * 2 : 256;
        struct word *v = realloc(ws->w, cap * sizeof(*v));

        if (v == NULL)
            die_oom();
        ws->w = v;
        ws->cap = cap;
    }
    w = &ws->w[ws->n];
    w->s = malloc(n + 1);
    if (w->s == NULL)
        die_oom();
    memcpy(w->s, s, n);
    w->s[n] = '\0';
    w->len = n;
    w->nch = nch;
    w->count = 1;
    w->first = ws->n;
    ws->slot[h] = ++ws->n;
}

static int
by_count(const void *a, const void *b)
{
    const struct word *x = a, *y = b;

    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

/*
 * Sorts ws most frequent first and builds its cumulative weights: Zipf-like
 * by rank when zipf is set, else the counts themselves.  The hash index is
 * dropped: a ranked set takes no more words.
 */
static void
words_rank(struct words *ws, int zipf)
{
    uint64_t total = 0;
    size_t i;

    if (ws->n > 1)
        qsort(ws->w, ws->n, sizeof(*ws->w), by_count);
    free(ws->slot);
    ws->slot = NULL;
    ws->nslot = 0;
    free(ws->cum);
    ws->cum = malloc((ws->n ? ws->n : 1) * sizeof(*ws->cum));
    if (ws->cum == NULL)
        die_oom();
    for (i = 0; i < ws->n; i++) {
        total += zipf ? ((uint64_t)1 << 32) / (i + 2) : ws->w[i].count;
        ws->cum[i] = total;
    }
}

/* A word drawn by the weights of words_rank(); ws is not empty. */
static const struct word *
words_pick(const struct words *ws, struct rng *r)
{
    uint64_t u = rng_below(r, ws->cum[ws->n - 1]);
    size_t lo = 0, hi = ws->n - 1;

    while (lo < hi) {   /* the first cum[i] > u */
        size_t mid = lo + (hi - lo) / 2;

        if (ws->cum[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return &ws->w[lo];
}

static void
words_free(struct words *ws)
{
    size_t i;

    for (i = 0; i < ws->n; i++)
        free(ws->w[i].s);
    free(ws->w);
    free(ws->slot);
    free(ws->cum);
    memset(ws, 0, sizeof(*ws));
}

struct vocab {
    struct words han;     /* Chinese words of 2-4 characters */
    struct words han2;    /* the two-character ones again */
    struct words latin;   /* English words, as written */
    struct words tags;    /* tag slugs: the notes' tags, then English words */
    struct words mid;     /* clause punctuation: ", " "，" ... */
    struct words end;     /* sentence punctuation: ". " "。" ... */
    struct words chars;   /* single Han characters, for broad queries */
    struct words bigrams; /* overlapping Han bigrams, for broad queries */
    struct rng chunk;     /* cuts Han runs; fixed, so that the vocabulary
                             depends on the notes alone */
};

/* Decodes the UTF-8 character at s[0..n); 0 and *len 1 when invalid. */
static uint32_t
utf8_decode(const unsigned char *s, size_t n, size_t *len)
{
    uint32_t c;
    size_t k, i;

    *len = 1;
    if (s[0] < 0x80)
        return s[0];
    if (s[0] >= 0xF0 && s[0] <= 0xF4)
        k = 4, c = s[0] & 0x07u;
    else if (s[0] >= 0xE0)
        k = 3, c = s[0] & 0x0Fu;
    else if (s[0] >= 0xC2)
        k = 2, c = s[0] & 0x1Fu;
    else
        return 0;
    if (k > n)
        return 0;
    for (i = 1; i < k; i++) {
        if ((s[i] & 0xC0u) != 0x80u)
            return 0;
        c = (c << 6) | (s[i] & 0x3Fu);
    }
    *len = k;
    return c;
}

static int
is_han(uint32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF);
}

static int
is_alpha(uint32_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int
is_alnum(uint32_t c)
{
    return is_alpha(c) || (c >= '0' && c <= '9');
}

/* Cuts a run of nch Han characters (3 bytes each) into words of 2-4. */
static void
add_han_run(struct vocab *v, const char *s, size_t nch)
{
    size_t i;

    for (i = 0; i < nch; i++) {
        words_add(&v->chars, s + 3 * i, 3, 1);
        if (i + 1 < nch)
            words_add(&v->bigrams, s + 3 * i, 6, 2);
    }
    while (nch >= 2) {
        size_t k = 2 + (size_t)rng_below(&v->chunk, 3);

        if (k > nch)
            k = nch;
        if (nch - k == 1)   /* never leave one character behind */
            k = k == 4 ? 3 : k + 1;
        words_add(&v->han, s, 3 * k, k);
        if (k == 2)
            words_add(&v->han2, s, 6, 2);
        s += 3 * k;
        nch -= k;
    }
}

/* Adds the words and punctuation of the text s[0..n) to v. */
static void
harvest(struct vocab *v, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0, nrun = 0;

    while (i <= n) {
        size_t len = 1;
        uint32_t c = i < n ? utf8_decode(p + i, n - i, &len) : 0;

        /* Han characters here are all three bytes long. */
        if (i < n && is_han(c) && len == 3) {
            if (nrun++ == 0)
                run = i;
            i += len;
            continue;
        }
        if (nrun > 0)
            add_han_run(v, s + run, nrun);
        nrun = 0;
        if (i == n)
            break;
        if (is_alpha(c)) {
            size_t k = 0;

            while (i + k < n && is_alnum(p[i + k]))
                k++;
            if (k >= 2 && k <= MAX_LATIN)
                words_add(&v->latin, s + i, k, k);
            i += k;
            continue;
        }
        if (c == ',' || c == ';' || c == '.' || c == '?' || c == '!') {
            /* Followed by a space or a line break ("3.5", "os.path" are
             * not punctuation); written back with one space after it. */
            if (i + 1 == n || p[i + 1] == ' ' || p[i + 1] == '\n') {
                char pw[2] = {(char)c, ' '};

                words_add(c == ',' || c == ';' ? &v->mid : &v->end, pw, 2,
                          2);
            }
        } else if (c == 0xFF0C || c == 0x3001 || c == 0xFF1B) {   /* ，、； */
            words_add(&v->mid, s + i, len, 1);
        } else if (c == 0x3002 || c == 0xFF1F || c == 0xFF01) {   /* 。？！ */
            words_add(&v->end, s + i, len, 1);
        }
        i += len;
    }
}

/* Adds each "quoted" string of a front-matter list line to v->tags. */
static void
harvest_tags(struct vocab *v, const char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        size_t j;

        if (s[i] != '"') {
            i++;
            continue;
        }
        for (j = i + 1; j < n && s[j] != '"'; j++)
            ;
        if (j < n && j - i - 1 <= WENDA_CONTENT_MAX_TAG) {
            char tag[WENDA_CONTENT_MAX_TAG + 1];

            memcpy(tag, s + i + 1, j - i - 1);
            tag[j - i - 1] = '\0';
            if (wenda_slug_valid(tag, WENDA_CONTENT_MAX_TAG))
                words_add(&v->tags, tag, j - i - 1, j - i - 1);
        }
        i = j + 1;
    }
}

/*
 * Harvests one topic file: the values of title, title_en, aliases and tags
 * in its front matter, and the answer after it.  Other keys (slug, order,
 * corrections, ...) are not the notes' words.
 */
static void
harvest_file(struct vocab *v, const char *buf, size_t n)
{
    const char *body = buf, *end = buf + n;

    if (n >= 4 && memcmp(buf, "---\n", 4) == 0) {
        const char *fm_end = strstr(buf + 3, "\n---\n");
        const char *line = buf + 4;

        if (fm_end != NULL) {
            while (line < fm_end) {
                const char *eol = memchr(line, '\n', (size_t)(end - line));
                size_t len;

                if (eol == NULL)
                    eol = end;
                len = (size_t)(eol - line);
                if (strncmp(line, "tags:", 5) == 0)
                    harvest_tags(v, line + 5, len - 5);
                else if (strncmp(line, "title:", 6) == 0)
                    harvest(v, line + 6, len - 6);
                else if (strncmp(line, "title_en:", 9) == 0)
                    harvest(v, line + 9, len - 9);
                else if (strncmp(line, "aliases:", 8) == 0)
                    harvest(v, line + 8, len - 8);
                line = eol + 1;
            }
            body = fm_end + 5;
        }
    }
    harvest(v, body, (size_t)(end - body));
}

static int
by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
read_whole(const char *path, struct sbuf *out)
{
    FILE *f = fopen(path, "rb");
    char chunk[65536];
    size_t got;

    if (f == NULL)
        return -1;
    sb_reset(out);
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        sb_put(out, chunk, got);
    got = (size_t)ferror(f);
    fclose(f);
    return got ? -1 : 0;
}

/*
 * Harvests every *.md file under dir, depth first, each directory's
 * entries in byte order.  Returns the number of files read, -1 on error.
 */
static long
walk(struct vocab *v, const char *dir, struct sbuf *file)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    long total = 0;

    if (d == NULL) {
        fprintf(stderr, "bench-gen: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **nv;

            cap = cap ? cap * 2 : 64;
            nv = realloc(names, cap * sizeof(*nv));
            if (nv == NULL)
                die_oom();
            names = nv;
        }
        names[n] = strdup(e->d_name);
        if (names[n++] == NULL)
            die_oom();
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof(*names), by_name);
    for (i = 0; i < n && total >= 0; i++) {
        size_t plen = strlen(dir) + strlen(names[i]) + 2;
        char *path = malloc(plen);
        struct stat st;
        size_t nl = strlen(names[i]);

        if (path == NULL)
            die_oom();
        (void)snprintf(path, plen, "%s/%s", dir, names[i]);
        if (stat(path, &st) != 0) {
            fprintf(stderr, "bench-gen: %s: %s\n", path, strerror(errno));
            total = -1;
        } else if (S_ISDIR(st.st_mode)) {
            long sub = walk(v, path, file);

            total = sub < 0 ? -1 : total + sub;
        } else if (nl > 3 && strcmp(names[i] + nl - 3, ".md") == 0) {
            if (read_whole(path, file) != 0) {
                fprintf(stderr, "bench-gen: cannot read %s\n", path);
                total = -1;
            } else {
                harvest_file(v, file->p, file->n);
                total++;
            }
        }
        free(path);
    }
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return total;
}

static const char lowercase[] = "abcdefghijklmnopqrstuvwxyz";
static const char uppercase[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/* Lower-cases an English word into out (at least len + 1 bytes). */
static void
lower(const struct word *w, char *out)
{
    size_t i;

    for (i = 0; i < w->len; i++) {
        out[i] = w->s[i];
        if (out[i] >= 'A' && out[i] <= 'Z')
            out[i] = lowercase[out[i] - 'A'];
    }
    out[w->len] = '\0';
}

/*
 * Loads the vocabulary of the notes under dir and ranks it.  The tag
 * vocabulary is the notes' tags, then their English words lower-cased,
 * NTAGS in all.  Returns 0, or -1 with a message when dir holds too few
 * words to write realistic text.
 */
static int
vocab_load(struct vocab *v, const char *dir)
{
    struct sbuf file = {0};
    long files;
    size_t i, from_notes;

    memset(v, 0, sizeof(*v));
    rng_seed(&v->chunk, 1);
    files = walk(v, dir, &file);
    free(file.p);
    if (files < 0)
        return -1;
    words_rank(&v->latin, 1);
    from_notes = v->tags.n;
    for (i = 0; i < v->latin.n && v->tags.n < NTAGS; i++) {
        char tag[MAX_LATIN + 1];

        lower(&v->latin.w[i], tag);
        if (wenda_slug_valid(tag, WENDA_CONTENT_MAX_TAG))
            words_add(&v->tags, tag, v->latin.w[i].len, v->latin.w[i].len);
    }
    /* The notes' tags by use, then the words in their rank order. */
    for (i = from_notes; i < v->tags.n; i++)
        v->tags.w[i].count = 0;
    words_rank(&v->han, 1);
    words_rank(&v->han2, 1);
    words_rank(&v->tags, 1);
    words_rank(&v->mid, 0);
    words_rank(&v->end, 0);
    words_rank(&v->chars, 0);
    words_rank(&v->bigrams, 0);
    if (v->han.n < MIN_HAN_WORDS || v->han2.n == 0 ||
        v->latin.n < MIN_LATIN_WORDS || v->tags.n < 10) {
        fprintf(stderr, "bench-gen: %s: %ld files give too few words (%zu "
                "Chinese, %zu English)\n", dir, files, v->han.n, v->latin.n);
        return -1;
    }
    if (v->mid.n == 0)
        words_add(&v->mid, ", ", 2, 2), words_rank(&v->mid, 0);
    if (v->end.n == 0)
        words_add(&v->end, ". ", 2, 2), words_rank(&v->end, 0);
    return 0;
}

static void
vocab_free(struct vocab *v)
{
    words_free(&v->han);
    words_free(&v->han2);
    words_free(&v->latin);
    words_free(&v->tags);
    words_free(&v->mid);
    words_free(&v->end);
    words_free(&v->chars);
    words_free(&v->bigrams);
}

/* ---- text ------------------------------------------------------------ */

enum last { L_NONE, L_HAN, L_LATIN, L_PUNCT };

/*
 * Text being written: its bytes, characters and what ended it.  Words that
 * would take it within 8 characters of max (when max is not 0) are left
 * out, so that the punctuation and line breaks after them still fit.
 */
struct text {
    struct sbuf b;
    size_t nch;
    size_t max;
    enum last last;
};

static void
text_reset(struct text *t, size_t max)
{
    sb_reset(&t->b);
    t->nch = 0;
    t->max = max;
    t->last = L_NONE;
}

static int
text_full(const struct text *t, const struct word *w)
{
    return t->max != 0 && t->nch + w->nch + 8 > t->max;
}

/* Appends raw ASCII (code, markers); each byte is one character. */
static void
text_raw(struct text *t, const char *s, enum last last)
{
    size_t n = strlen(s);

    sb_put(&t->b, s, n);
    t->nch += n;
    t->last = last;
}

/* Drops trailing spaces (before a line break). */
static void
text_trim(struct text *t)
{
    while (t->b.n > 0 && t->b.p[t->b.n - 1] == ' ') {
        t->b.p[--t->b.n] = '\0';
        t->nch--;
    }
}

static void
text_newlines(struct text *t, int n)
{
    text_trim(t);
    while (n-- > 0)
        text_raw(t, "\n", L_NONE);
}

/* A Chinese word, set off by a space from English before it. */
static void
text_han(struct text *t, const struct word *w)
{
    if (text_full(t, w))
        return;
    if (t->last == L_LATIN)
        text_raw(t, " ", L_PUNCT);
    sb_put(&t->b, w->s, w->len);
    t->nch += w->nch;
    t->last = L_HAN;
}

/* An English word, set off by a space from any word before it. */
static void
text_latin(struct text *t, const struct word *w)
{
    if (text_full(t, w))
        return;
    if (t->last == L_HAN || t->last == L_LATIN)
        text_raw(t, " ", L_PUNCT);
    sb_put(&t->b, w->s, w->len);
    t->nch += w->nch;
    t->last = L_LATIN;
}

static void
text_punct(struct text *t, const struct word *w)
{
    sb_put(&t->b, w->s, w->len);
    t->nch += w->nch;
    t->last = L_PUNCT;
}

/* A clause of 2-7 words, about one in eight of them English. */
static void
clause(struct text *t, const struct vocab *v, struct rng *r)
{
    size_t k = 2 + (size_t)rng_below(r, 6);

    while (k-- > 0) {
        if (rng_pct(r, 12))
            text_latin(t, words_pick(&v->latin, r));
        else
            text_han(t, words_pick(&v->han, r));
    }
}

/* A sentence of 1-4 clauses and its closing punctuation. */
static void
sentence(struct text *t, const struct vocab *v, struct rng *r)
{
    size_t k = 1 + (size_t)rng_below(r, 4);

    while (k-- > 0) {
        clause(t, v, r);
        text_punct(t, words_pick(k ? &v->mid : &v->end, r));
    }
}

/* An identifier made of one or two English words, lower-cased. */
static void
ident(struct text *t, const struct vocab *v, struct rng *r)
{
    char w[MAX_LATIN + 1];

    lower(words_pick(&v->latin, r), w);
    text_raw(t, w, L_PUNCT);
    if (rng_pct(r, 40)) {
        lower(words_pick(&v->latin, r), w);
        text_raw(t, "_", L_PUNCT);
        text_raw(t, w, L_PUNCT);
    }
}

/*
 * A fenced code block of 2-6 lines of Python-like code; a line is at most
 * 3 identifiers of 49 characters and 30 more, so lines stop while 200
 * characters are left before max.
 */
static void
code_block(struct text *t, const struct vocab *v, struct rng *r)
{
    size_t k = 2 + (size_t)rng_below(r, 5);

    text_raw(t, rng_pct(r, 60) ? "```python\n" : "```\n", L_NONE);
    while (k-- > 0 && t->nch + 200 < t->max) {
        switch (rng_below(r, 4)) {
        case 0:
            text_raw(t, "import ", L_PUNCT);
            ident(t, v, r);
            break;
        case 1:
            text_raw(t, "def ", L_PUNCT);
            ident(t, v, r);
            text_raw(t, "(", L_PUNCT);
            ident(t, v, r);
            text_raw(t, "):\n    return ", L_PUNCT);
            ident(t, v, r);
            break;
        case 2:
            ident(t, v, r);
            text_raw(t, " = ", L_PUNCT);
            ident(t, v, r);
            text_raw(t, ".", L_PUNCT);
            ident(t, v, r);
            text_raw(t, "()", L_PUNCT);
            break;
        default:
            text_raw(t, "for ", L_PUNCT);
            ident(t, v, r);
            text_raw(t, " in ", L_PUNCT);
            ident(t, v, r);
            text_raw(t, ":\n    print(", L_PUNCT);
            ident(t, v, r);
            text_raw(t, ")", L_PUNCT);
            break;
        }
        text_raw(t, "\n", L_NONE);
    }
    text_raw(t, "```\n\n", L_NONE);
}

/* A numbered or bulleted list of 2-6 items; stops early past want. */
static void
list_block(struct text *t, const struct vocab *v, struct rng *r, size_t want)
{
    size_t k = 2 + (size_t)rng_below(r, 5), i;
    int numbered = rng_pct(r, 60);

    for (i = 1; i <= k && t->nch < want; i++) {
        char mark[16];

        if (numbered)
            (void)snprintf(mark, sizeof(mark), "%zu. ", i);
        else
            (void)snprintf(mark, sizeof(mark), "- ");
        text_raw(t, mark, L_NONE);
        clause(t, v, r);
        if (rng_pct(r, 50))
            text_punct(t, words_pick(&v->end, r));
        text_newlines(t, 1);
    }
    text_newlines(t, 1);
}

/*
 * Answer lengths in characters: 65 points of a log-normal law (median 320,
 * sigma 0.8) at quantiles 0.002, 1/64, ..., 63/64, 0.998, clamped to
 * 100..2850; a draw interpolates between two neighbours.  The longest
 * answer stays under MAX_ANSWER_CHARS because every block after the target
 * is reached is a paragraph, which stops at the end of a sentence.
 */
static const unsigned short answer_len_q[65] = {
    100, 100, 100, 100, 100, 103, 111, 120, 127, 135, 143, 150, 157,
    165, 172, 179, 187, 194, 201, 209, 216, 224, 232, 240, 248, 256,
    265, 273, 282, 291, 301, 310, 320, 330, 341, 352, 363, 375, 387,
    400, 413, 427, 441, 457, 473, 490, 509, 528, 549, 571, 596, 622,
    651, 682, 718, 758, 803, 856, 918, 995, 1092, 1223, 1420, 1793, 2850,
};

static size_t
answer_length(struct rng *r)
{
    size_t i = (size_t)rng_below(r, 64);
    uint64_t f = rng_below(r, 1024);
    uint64_t a = answer_len_q[i], b = answer_len_q[i + 1];

    return (size_t)(a + (b - a) * f / 1024);
}

static void
answer(struct text *t, const struct vocab *v, struct rng *r)
{
    size_t want = answer_length(r);

    text_reset(t, MAX_ANSWER_CHARS);
    while (t->nch < want) {
        uint64_t kind = rng_below(r, 100);
        int room = t->nch + 400 < want;

        if (t->nch > 0 && room && kind < 6) {
            code_block(t, v, r);
        } else if (room && kind < 18) {
            list_block(t, v, r, want);
        } else {
            size_t k = 1 + (size_t)rng_below(r, 4);

            while (k-- > 0 && t->nch < want)
                sentence(t, v, r);
            text_newlines(t, 2);
        }
    }
    while (t->b.n > 1 && t->b.p[t->b.n - 2] == '\n') {   /* one final \n */
        t->b.p[--t->b.n] = '\0';
        t->nch--;
    }
}

/* A title of 4-20 characters: Chinese words, maybe one English term. */
static void
title(struct text *t, const struct vocab *v, struct rng *r)
{
    size_t want = 4 + (size_t)rng_below(r, 9);
    int tries;

    if (rng_pct(r, 50))
        want += (size_t)rng_below(r, 9);
    text_reset(t, 0);
    if (rng_pct(r, 25)) {
        const struct word *w = words_pick(&v->latin, r);

        if (w->nch <= 10)
            text_latin(t, w);
    }
    for (tries = 0; t->nch < want && tries < 16; tries++) {
        const struct word *w = words_pick(&v->han, r);

        if (t->nch + w->nch + (t->last == L_LATIN) <= MAX_TITLE_CHARS)
            text_han(t, w);
    }
    while (t->nch < 4)
        text_han(t, words_pick(&v->han2, r));
}

/* 1-4 English words, the first capitalized. */
static void
title_en(struct text *t, const struct vocab *v, struct rng *r)
{
    size_t k = 1 + (size_t)rng_below(r, 4);

    text_reset(t, 0);
    while (k-- > 0)
        text_latin(t, words_pick(&v->latin, r));
    if (t->b.p[0] >= 'a' && t->b.p[0] <= 'z')
        t->b.p[0] = uppercase[t->b.p[0] - 'a'];
}

/* An alias: a lower-case English phrase or 1-3 Chinese words. */
static void
alias(struct text *t, const struct vocab *v, struct rng *r)
{
    size_t k = 1 + (size_t)rng_below(r, 3);

    text_reset(t, 0);
    if (rng_pct(r, 50)) {
        while (k-- > 0) {
            char w[MAX_LATIN + 1];

            if (t->b.n > 0)
                text_raw(t, " ", L_PUNCT);
            lower(words_pick(&v->latin, r), w);
            text_raw(t, w, L_PUNCT);
        }
    } else {
        while (k-- > 0)
            text_han(t, words_pick(&v->han, r));
    }
}

/* ---- output ---------------------------------------------------------- */

/* Writes s as a JSON string (quotes included). */
static void
json_str(struct sbuf *o, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const char *run = s;

    sb_put(o, "\"", 1);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[7] = "\\u00";

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        sb_put(o, run, (size_t)(s - run));
        run = s + 1;
        if (c == '"' || c == '\\') {
            esc[1] = (char)c;
            sb_put(o, esc, 2);
        } else if (c == '\n') {
            sb_put(o, "\\n", 2);
        } else if (c == '\t') {
            sb_put(o, "\\t", 2);
        } else {
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            sb_put(o, esc, 6);
        }
    }
    sb_put(o, run, (size_t)(s - run));
    sb_put(o, "\"", 1);
}

static void
json_strv(struct sbuf *o, const struct wenda_strv *sv)
{
    size_t i;

    sb_put(o, "[", 1);
    for (i = 0; i < sv->n; i++) {
        if (i > 0)
            sb_put(o, ",", 1);
        json_str(o, sv->v[i]);
    }
    sb_put(o, "]", 1);
}

/* One topic as a line of NDJSON, in GET /v1/export's field order. */
static void
topic_line(struct sbuf *o, const struct wenda_topic *t)
{
    char num[32];
    size_t i;

    sb_reset(o);
    sb_puts(o, "{\"slug\":");
    json_str(o, t->slug);
    sb_puts(o, ",\"title\":");
    json_str(o, t->title);
    sb_puts(o, ",\"title_en\":");
    json_str(o, t->title_en);
    sb_puts(o, ",\"category\":");
    json_str(o, t->category);
    sb_puts(o, ",\"tags\":");
    json_strv(o, &t->tags);
    (void)snprintf(num, sizeof(num), ",\"order\":%lld", (long long)t->order);
    sb_puts(o, num);
    sb_puts(o, ",\"aliases\":");
    json_strv(o, &t->aliases);
    sb_puts(o, ",\"answer\":");
    json_str(o, t->answer);
    sb_puts(o, ",\"corrections\":[");
    for (i = 0; i < t->ncorrections; i++) {
        const struct wenda_correction *c = &t->corrections[i];

        sb_puts(o, i ? ",{\"says\":" : "{\"says\":");
        json_str(o, c->says);
        sb_puts(o, ",\"right\":");
        json_str(o, c->right);
        sb_puts(o, ",\"why\":");
        json_str(o, c->why);
        sb_puts(o, ",\"source\":");
        json_str(o, c->source);
        sb_puts(o, "}");
    }
    sb_puts(o, "]}\n");
}

struct category {
    char slug[64];
    struct text name, name_en;
};

/* Writes DIR/categories.yml; the names need no escaping (Han, letters). */
static int
write_categories(const char *path, const struct category *cats, size_t n)
{
    FILE *f = fopen(path, "wb");
    size_t i;

    if (f == NULL)
        return -1;
    for (i = 0; i < n; i++)
        fprintf(f, "- slug: \"%s\"\n  name: \"%s\"\n  name_en: \"%s\"\n",
                cats[i].slug, cats[i].name.b.p, cats[i].name_en.b.p);
    return fclose(f) == 0 ? 0 : -1;
}

/* Draws the categories: slug c<N>-<word>, a Chinese and an English name. */
static void
make_categories(struct category *cats, struct words *pick,
                const struct vocab *v, struct rng *r)
{
    size_t i;

    for (i = 0; i < NCATEGORIES; i++) {
        struct category *c = &cats[i];
        char w[MAX_LATIN + 1];

        lower(words_pick(&v->latin, r), w);
        (void)snprintf(c->slug, sizeof(c->slug), "c%zu-%s", i + 1, w);
        text_reset(&c->name, 0);
        text_han(&c->name, words_pick(&v->han, r));
        text_han(&c->name, words_pick(&v->han, r));
        title_en(&c->name_en, v, r);
        words_add(pick, c->slug, strlen(c->slug), 0);
    }
    words_rank(pick, 1);   /* all counts 1: the order above, Zipf-weighted */
}

/* The text buffers of one topic, reused from topic to topic. */
struct topic_bufs {
    struct text title, title_en, answer, alias[4], says[2], right[2], why[2],
        source[2];
    char slug[WENDA_CONTENT_MAX_SLUG + 1];
    char *aliases[4];
    char *tags[5];
    struct wenda_correction corr[2];
};

/*
 * Fills *t with topic number n (1-based), pointing into *tb.  Returns 0,
 * or -1 with a message when wenda would refuse it.
 */
static int
make_topic(struct wenda_topic *t, struct topic_bufs *tb, uint64_t n,
           const struct words *cats, const struct vocab *v, struct rng *r)
{
    static const unsigned ntags_pct[5] = {20, 50, 80, 92, 100};
    static const unsigned nalias_pct[5] = {30, 60, 80, 92, 100};
    char w[MAX_LATIN + 1], msg[256];
    uint64_t u;
    size_t i, k, tries;

    memset(t, 0, sizeof(*t));
    lower(words_pick(&v->latin, r), w);
    (void)snprintf(tb->slug, sizeof(tb->slug), "g-%llu-%s",
                   (unsigned long long)n, w);
    t->slug = tb->slug;
    title(&tb->title, v, r);
    t->title = tb->title.b.p;
    title_en(&tb->title_en, v, r);
    t->title_en = tb->title_en.b.p;
    t->category = words_pick(cats, r)->s;
    t->order = (int64_t)n;

    u = rng_below(r, 100);
    for (k = 1; u >= ntags_pct[k - 1]; k++)
        ;
    t->tags.v = tb->tags;
    for (tries = 0; t->tags.n < k && tries < 64; tries++) {
        char *tag = words_pick(&v->tags, r)->s;

        for (i = 0; i < t->tags.n && strcmp(tb->tags[i], tag) != 0; i++)
            ;
        if (i == t->tags.n)
            tb->tags[t->tags.n++] = tag;
    }

    u = rng_below(r, 100);
    for (k = 0; u >= nalias_pct[k]; k++)
        ;
    t->aliases.v = tb->aliases;
    for (tries = 0; t->aliases.n < k && tries < 8; tries++) {
        struct text *a = &tb->alias[t->aliases.n];

        alias(a, v, r);
        for (i = 0; i < t->aliases.n && strcmp(tb->aliases[i], a->b.p) != 0;
             i++)
            ;
        if (i == t->aliases.n && a->b.n <= WENDA_CONTENT_MAX_ALIAS)
            tb->aliases[t->aliases.n++] = a->b.p;
    }

    answer(&tb->answer, v, r);
    t->answer = tb->answer.b.p;

    if (rng_pct(r, 12)) {
        t->ncorrections = 1 + (size_t)rng_below(r, 2);
        t->corrections = tb->corr;
        for (i = 0; i < t->ncorrections; i++) {
            struct text *f[3] = {&tb->says[i], &tb->right[i], &tb->why[i]};

            for (k = 0; k < 3; k++) {
                text_reset(f[k], 0);
                sentence(f[k], v, r);
                text_trim(f[k]);
            }
            title_en(&tb->source[i], v, r);
            tb->corr[i].says = tb->says[i].b.p;
            tb->corr[i].right = tb->right[i].b.p;
            tb->corr[i].why = tb->why[i].b.p;
            tb->corr[i].source = tb->source[i].b.p;
        }
    }
    if (wenda_topic_validate(t, msg, sizeof(msg)) != WENDA_OK) {
        fprintf(stderr, "bench-gen: topic %s is invalid: %s\n", t->slug, msg);
        return -1;
    }
    if (tb->answer.nch > MAX_ANSWER_CHARS) {
        fprintf(stderr, "bench-gen: topic %s: answer of %zu characters\n",
                t->slug, tb->answer.nch);
        return -1;
    }
    return 0;
}

static void
topic_bufs_free(struct topic_bufs *tb)
{
    struct text *all[] = {&tb->title,    &tb->title_en,  &tb->answer,
                          &tb->alias[0], &tb->alias[1],  &tb->alias[2],
                          &tb->alias[3], &tb->says[0],   &tb->says[1],
                          &tb->right[0], &tb->right[1],  &tb->why[0],
                          &tb->why[1],   &tb->source[0], &tb->source[1]};
    size_t i;

    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        free(all[i]->b.p);
}

/* ---- main ------------------------------------------------------------ */

static const char usage[] =
    "usage: bench-gen --seed S --count N --out DIR [--vocab DIR]\n"
    "       bench-gen --broad-queries K [--vocab DIR]\n"
    "\n"
    "Writes DIR/categories.yml and DIR/topics.ndjson: N topics in 40\n"
    "categories, with text drawn from the Markdown notes under --vocab\n"
    "(default: content).  The same vocabulary, seed and count give the\n"
    "same bytes.  Import with: wenda import --categories DIR/categories.yml\n"
    "DIR/topics.ndjson\n"
    "\n"
    "--broad-queries K prints, URL-encoded, one a line, the K commonest\n"
    "Chinese characters and the K commonest character pairs of the notes:\n"
    "search queries that match much of a generated knowledge base.\n";

/* Writes q URL-encoded (form style) and a line break to f. */
static void
put_encoded(FILE *f, const char *q)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)q;

    for (; *p != '\0'; p++) {
        if (is_alnum(*p) || *p == '-' || *p == '_' || *p == '.')
            putc(*p, f);
        else if (*p == ' ')
            putc('+', f);
        else
            fprintf(f, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
    }
    putc('\n', f);
}

static int
broad_queries(const char *vocab_dir, uint64_t k)
{
    struct vocab v;
    size_t i;
    int rc = 1;

    if (vocab_load(&v, vocab_dir) == 0) {
        for (i = 0; i < v.chars.n && i < k; i++)
            put_encoded(stdout, v.chars.w[i].s);
        for (i = 0; i < v.bigrams.n && i < k; i++)
            put_encoded(stdout, v.bigrams.w[i].s);
        rc = fflush(stdout) != 0;
    }
    vocab_free(&v);
    return rc;
}

/* Parses a decimal number in [min, max] into *out. */
static int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long x;

    if (s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    x = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || x < min || x > max)
        return -1;
    *out = (uint64_t)x;
    return 0;
}

/* Joins dir and name into a new string, or exits. */
static char *
join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);

    if (p == NULL)
        die_oom();
    (void)snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static int
generate(const char *vocab_dir, const char *out_dir, uint64_t seed,
         uint64_t count)
{
    struct vocab v;
    struct category cats[NCATEGORIES];
    struct words cat_pick = {0};
    struct topic_bufs tb;
    struct sbuf line = {0};
    struct rng r;
    char *cat_path = join(out_dir, "categories.yml");
    char *top_path = join(out_dir, "topics.ndjson");
    FILE *f = NULL;
    int rc = 1;
    uint64_t n;
    size_t i;

    memset(cats, 0, sizeof(cats));
    memset(&tb, 0, sizeof(tb));
    if (vocab_load(&v, vocab_dir) != 0)
        goto cleanup;
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "bench-gen: %s: %s\n", out_dir, strerror(errno));
        goto cleanup;
    }
    rng_seed(&r, seed);
    make_categories(cats, &cat_pick, &v, &r);
    if (write_categories(cat_path, cats, NCATEGORIES) != 0) {
        fprintf(stderr, "bench-gen: cannot write %s\n", cat_path);
        goto cleanup;
    }
    f = fopen(top_path, "wb");
    if (f == NULL) {
        fprintf(stderr, "bench-gen: %s: %s\n", top_path, strerror(errno));
        goto cleanup;
    }
    (void)setvbuf(f, NULL, _IOFBF, (size_t)1 << 20);
    for (n = 1; n <= count; n++) {
        struct wenda_topic t;

        if (make_topic(&t, &tb, n, &cat_pick, &v, &r) != 0)
            goto cleanup;
        topic_line(&line, &t);
        if (fwrite(line.p, 1, line.n, f) != line.n)
            break;
    }
    rc = fclose(f) != 0 || n <= count;
    f = NULL;
    if (rc != 0)
        fprintf(stderr, "bench-gen: cannot write %s\n", top_path);

cleanup:
    if (f != NULL)
        fclose(f);
    for (i = 0; i < NCATEGORIES; i++) {
        free(cats[i].name.b.p);
        free(cats[i].name_en.b.p);
    }
    topic_bufs_free(&tb);
    words_free(&cat_pick);
    vocab_free(&v);
    free(line.p);
    free(cat_path);
    free(top_path);
    return rc;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"seed", required_argument, NULL, 's'},
        {"count", required_argument, NULL, 'n'},
        {"out", required_argument, NULL, 'o'},
        {"vocab", required_argument, NULL, 'v'},
        {"broad-queries", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *vocab = "content";
    uint64_t seed = 0, count = 0, broad = 0;
    int have_seed = 0, have_count = 0, c;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (parse_u64(optarg, 0, UINT64_MAX, &seed) != 0) {
                fputs("bench-gen: --seed takes a number\n", stderr);
                return 2;
            }
            have_seed = 1;
            break;
        case 'n':
            if (parse_u64(optarg, 1, 100000000, &count) != 0) {
                fputs("bench-gen: --count takes 1 to 100000000\n", stderr);
                return 2;
            }
            have_count = 1;
            break;
        case 'b':
            if (parse_u64(optarg, 1, 100000, &broad) != 0) {
                fputs("bench-gen: --broad-queries takes 1 to 100000\n",
                      stderr);
                return 2;
            }
            break;
        case 'o': out = optarg; break;
        case 'v': vocab = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (broad > 0 && !have_seed && !have_count && out == NULL &&
        optind == argc)
        return broad_queries(vocab, broad);
    if (!have_seed || !have_count || out == NULL || optind != argc) {
        fputs(usage, stderr);
        return 2;
    }
    return generate(vocab, out, seed, count);
}
