/*
 * queries.c -- writes the benchmark's search queries, one per line,
 * URL-encoded, made from the notes' own vocabulary: every title, English
 * title, alias and tag, then Chinese words of two to four characters and
 * English words taken from the answers, then pairs of those.  The order is
 * shuffled with a fixed seed, so a run is repeatable; at least MIN distinct
 * queries are written so that no result cache can stand in for search.
 *
 * usage: bench-queries CONTENT_DIR MIN > queries.txt
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wenda/content.h"

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

int
main(int argc, char **argv)
{
    struct wenda_content c;
    struct set s = {0};
    uint64_t rng = 0x9E3779B97F4A7C15u;
    size_t i, j, min, base;

    if (argc != 3) {
        fputs("usage: bench-queries CONTENT_DIR MIN\n", stderr);
        return 2;
    }
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
    /* Pairs of the words found so far, until there are enough. */
    base = s.n;
    for (i = 0; s.n < min && base > 1 && i < min * 4; i++) {
        char pair[128];
        size_t a, b;

        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        a = (size_t)(rng % base);
        b = (size_t)((rng >> 32) % base);
        if (a != b &&
            snprintf(pair, sizeof(pair), "%s %s", s.v[a], s.v[b]) <
                (int)sizeof(pair))
            add(&s, pair, strlen(pair));
    }
    for (i = s.n; i > 1; i--) {   /* Fisher-Yates, fixed seed */
        char *t;

        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        j = (size_t)(rng % i);
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
