/*
 * queries.c -- writes the benchmark's search queries, one per line,
 * URL-encoded, made from the notes' own vocabulary: every title, English
 * title, alias and tag, then Chinese words of two to four characters and
 * English words taken from the answers, then pairs of those.  The order is
 * shuffled with a fixed seed, so a run is repeatable; at least MIN distinct
 * queries are written so that no result cache can stand in for search.
 *
 * With --slips, it writes queries as students mistype them instead: the
 * English words of the notes (five letters or more) with one edit (two
 * neighbours swapped, a letter dropped, doubled or replaced), and their
 * Chinese words of two to four characters with one character replaced by
 * another of the notes that has the same pinyin, as an input method slips;
 * never a word the notes hold.
 *
 * usage: bench-queries [--slips] CONTENT_DIR MIN > queries.txt
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wenda/content.h"
#include "wenda/tokenize.h"

struct set {
    char **v;
    size_t n, cap;
};

static int
has(const struct set *s, const char *q)
{
    size_t i;

    for (i = 0; i < s->n; i++)
        if (strcmp(s->v[i], q) == 0)
            return 1;
    return 0;
}

static void
add(struct set *s, const char *q, size_t len)
{
    char *p;

    if (len == 0 || len > 60)
        return;
    p = strndup(q, len);
    if (p == NULL || has(s, p)) {
        free(p);
        return;
    }
    if (s->n == s->cap) {
        char **v;

        s->cap = s->cap ? s->cap * 2 : 1024;
        v = realloc(s->v, s->cap * sizeof(char *));
        if (v == NULL) {
            free(p);
            return;
        }
        s->v = v;
    }
    s->v[s->n++] = p;
}

/* Length in bytes of the UTF-8 character at p (1 for bad bytes). */
static size_t
u8len(const unsigned char *p)
{
    return *p < 0x80 ? 1 : *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : *p >= 0xC0 ? 2 : 1;
}

/* Adds Han words of 2..4 characters and ASCII words of 3+ letters. */
static void
harvest(struct set *s, const char *text, size_t every)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t k = 0;

    while (*p != '\0') {
        size_t l = u8len(p);

        if (l == 3 && p[0] >= 0xE4 && p[0] <= 0xE9) {
            size_t want = 2 + (k % 3), got = 0, bytes = 0;
            const unsigned char *q = p;

            while (got < want && q[bytes] != '\0' && u8len(q + bytes) == 3 &&
                   q[bytes] >= 0xE4 && q[bytes] <= 0xE9) {
                bytes += 3;
                got++;
            }
            if (got == want && k++ % every == 0)
                add(s, (const char *)p, bytes);
        } else if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
            size_t n = 0;

            while ((p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= 'a' && p[n] <= 'z'))
                n++;
            if (n >= 3)
                add(s, (const char *)p, n);
            p += n;
            continue;
        }
        p += l;
    }
}

static void
put_encoded(const char *q)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)q;

    for (; *p != '\0'; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
            (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.')
            putchar(*p);
        else if (*p == ' ')
            putchar('+');
        else
            printf("%%%c%c", hex[*p >> 4], hex[*p & 15]);
    }
    putchar('\n');
}

static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint64_t
next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Returns 1 when some topic's text holds w. */
static int
in_notes(const struct wenda_content *c, const char *w)
{
    size_t i, j;

    for (i = 0; i < c->ntopics; i++) {
        const struct wenda_topic *t = &c->topics[i];

        if (strstr(t->title, w) || strstr(t->title_en, w) ||
            strcasestr(t->answer, w))
            return 1;
        for (j = 0; j < t->aliases.n; j++)
            if (strcasestr(t->aliases.v[j], w))
                return 1;
        for (j = 0; j < t->tags.n; j++)
            if (strcasestr(t->tags.v[j], w))
                return 1;
    }
    return 0;
}

/* Adds to out a misspelling of the English word w, one edit away. */
static void
misspell(const struct wenda_content *c, struct set *out, const char *w)
{
    char typo[64];
    size_t n = strlen(w), at;
    uint64_t r = next_random();

    if (n < 5 || n >= sizeof(typo) - 1)
        return;
    at = 1 + (size_t)(r % (n - 2));   /* never the first letter */
    if (!isalpha((unsigned char)w[at]) || !isalpha((unsigned char)w[at + 1]))
        return;
    memcpy(typo, w, n + 1);
    switch ((r >> 32) % 4) {
    case 0:   /* two neighbours swapped */
        typo[at] = w[at + 1];
        typo[at + 1] = w[at];
        break;
    case 1:   /* a letter dropped */
        memmove(typo + at, w + at + 1, n - at);
        break;
    case 2:   /* a letter doubled */
        memmove(typo + at + 1, w + at, n - at + 1);
        break;
    default:  /* a letter replaced by its neighbour in the alphabet */
        typo[at] = w[at] == 'z' ? 'a' : (char)(w[at] + 1);
        break;
    }
    if (strcmp(typo, w) != 0 && !in_notes(c, typo))
        add(out, typo, strlen(typo));
}

/* The Han characters of the notes, each with its syllable. */
struct sounds {
    char ch[4096][4];
    char syl[4096][8];
    size_t n;
};

/* Adds the Han characters of text to snd, with their pinyin. */
static void
learn_sounds(struct wenda_tokenizer *tk, struct sounds *snd, const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t i;
    char *py;

    for (; *p != '\0'; p += u8len(p)) {
        if (u8len(p) != 3 || p[0] < 0xE4 || p[0] > 0xE9)
            continue;
        for (i = 0; i < snd->n && memcmp(snd->ch[i], p, 3) != 0; i++)
            ;
        if (i < snd->n || snd->n == 4096 ||
            wenda_tokenizer_pinyin(tk, (const char *)p, 3, &py) != WENDA_OK)
            continue;
        if (strlen(py) > 0 && strlen(py) < 8 && strchr(py, ' ') == NULL) {
            memcpy(snd->ch[snd->n], p, 3);
            snd->ch[snd->n][3] = '\0';
            (void)snprintf(snd->syl[snd->n], 8, "%s", py);
            snd->n++;
        }
        free(py);
    }
}

/* Adds to out the Han word w with one character replaced by another of
 * the same syllable, when the result is not in the notes. */
static void
slip(const struct wenda_content *c, const struct sounds *snd,
     struct set *out, const char *w)
{
    char word[16];
    size_t n = strlen(w), at, i, k, start;

    if (n < 6 || n > 12 || n % 3 != 0)
        return;
    at = 3 * (size_t)(next_random() % (n / 3));
    for (k = 0; k < snd->n && memcmp(snd->ch[k], w + at, 3) != 0; k++)
        ;
    if (k == snd->n)
        return;
    start = (size_t)(next_random() % snd->n);
    for (i = 0; i < snd->n; i++) {
        size_t j = (start + i) % snd->n;

        if (j == k || strcmp(snd->syl[j], snd->syl[k]) != 0)
            continue;
        memcpy(word, w, n + 1);
        memcpy(word + at, snd->ch[j], 3);
        if (!in_notes(c, word)) {
            add(out, word, n);
            return;
        }
    }
}

/* Writes the mistyped queries (see the opening comment) into out. */
static void
slips(const struct wenda_content *c, const struct set *words,
      struct set *out)
{
    struct wenda_tokenizer *tk = NULL;
    struct sounds *snd = calloc(1, sizeof(*snd));
    size_t i, pass;

    if (snd == NULL || wenda_tokenizer_new(&tk) != WENDA_OK) {
        free(snd);
        return;
    }
    for (i = 0; i < c->ntopics; i++) {
        learn_sounds(tk, snd, c->topics[i].title);
        learn_sounds(tk, snd, c->topics[i].answer);
    }
    for (pass = 0; pass < 4; pass++)
        for (i = 0; i < words->n; i++) {
            if ((unsigned char)words->v[i][0] < 0x80)
                misspell(c, out, words->v[i]);
            else
                slip(c, snd, out, words->v[i]);
        }
    wenda_tokenizer_free(tk);
    free(snd);
}

int
main(int argc, char **argv)
{
    struct wenda_content c;
    struct set s = {0}, mistyped = {0};
    size_t i, j, min, base;
    int mistype = argc == 4 && strcmp(argv[1], "--slips") == 0;

    if (argc != 3 && !mistype) {
        fputs("usage: bench-queries [--slips] CONTENT_DIR MIN\n", stderr);
        return 2;
    }
    argv += mistype;
    min = (size_t)strtoul(argv[2], NULL, 10);
    if (wenda_content_load(argv[1], &c, NULL, NULL) != WENDA_OK) {
        fputs("bench-queries: cannot load content\n", stderr);
        return 1;
    }
    for (i = 0; i < c.ntopics; i++) {
        const struct wenda_topic *t = &c.topics[i];

        add(&s, t->title, strlen(t->title));
        add(&s, t->title_en, strlen(t->title_en));
        for (j = 0; j < t->aliases.n; j++)
            add(&s, t->aliases.v[j], strlen(t->aliases.v[j]));
        for (j = 0; j < t->tags.n; j++)
            add(&s, t->tags.v[j], strlen(t->tags.v[j]));
    }
    for (i = 0; i < c.ntopics; i++)
        harvest(&s, c.topics[i].answer, 1);
    if (mistype) {
        slips(&c, &s, &mistyped);
        s = mistyped;   /* the words' set is left to the process's end */
    }
    /* Pairs of the words found so far, until there are enough. */
    base = s.n;
    for (i = 0; !mistype && s.n < min && base > 1 && i < min * 4; i++) {
        char pair[128];
        size_t a, b;

        next_random();
        a = (size_t)(rng % base);
        b = (size_t)((rng >> 32) % base);
        if (a != b &&
            snprintf(pair, sizeof(pair), "%s %s", s.v[a], s.v[b]) <
                (int)sizeof(pair))
            add(&s, pair, strlen(pair));
    }
    for (i = s.n; i > 1; i--) {   /* Fisher-Yates, fixed seed */
        char *t;

        j = (size_t)(next_random() % i);
        t = s.v[i - 1];
        s.v[i - 1] = s.v[j];
        s.v[j] = t;
    }
    for (i = 0; i < s.n; i++)
        put_encoded(s.v[i]);
    fprintf(stderr, "bench-queries: %zu distinct queries\n", s.n);
    wenda_content_cleanup(&c);
    return s.n >= min ? 0 : 1;
}
