/*
 * eval.c -- search quality against a query set: MRR@10 and success@5.
 *
 * usage: wenda-eval [--min X [--min-class Y]] CONTENT_DIR QUERIES_TSV
 *
 * Imports CONTENT_DIR into a fresh temporary database, runs every query of
 * the TSV file (query, class, relevant titles separated by " | ") through
 * wenda_search_run(), and prints MRR@10 and success@5 overall and per
 * class, then each query that missed its first place.  With --min X it
 * exits 1 when the overall MRR@10 is below X, or any class's is below Y
 * (X unless --min-class says otherwise).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wenda/content.h"
#include "wenda/search.h"
#include "wenda/store.h"

#define MAX_CLASSES 32

struct cls {
    char name[64];
    int n;
    double rr, s5;
};

static void
diag(void *ctx, const char *file, unsigned long line, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "%s:%lu: %s\n", file, line, msg);
}

/* Returns 1 when title is one of the " | "-separated titles in rel. */
static int
relevant(const char *rel, const char *title)
{
    size_t n = strlen(title);
    const char *p = rel;

    while (*p != '\0') {
        const char *end = strstr(p, " | ");
        size_t len = end ? (size_t)(end - p) : strlen(p);

        if (len == n && strncmp(p, title, n) == 0)
            return 1;
        if (end == NULL)
            break;
        p = end + 3;
    }
    return 0;
}

static struct cls *
class_of(struct cls *v, int *n, const char *name)
{
    int i;

    for (i = 0; i < *n; i++)
        if (strcmp(v[i].name, name) == 0)
            return &v[i];
    if (*n == MAX_CLASSES)
        return NULL;
    memset(&v[*n], 0, sizeof(v[*n]));
    (void)snprintf(v[*n].name, sizeof(v[*n].name), "%s", name);
    return &v[(*n)++];
}

int
main(int argc, char **argv)
{
    struct cls classes[MAX_CLASSES], all = {"overall", 0, 0, 0};
    struct wenda_content c;
    struct wenda_store *st;
    char dir[] = "/tmp/wenda-eval-XXXXXX", db[64], line[4096], msg[512];
    double min = -1, min_class = -1;
    int nclasses = 0, argi = 1, failed = 0, i;
    FILE *f;

    if (argc > 2 && strcmp(argv[1], "--min") == 0) {
        min = min_class = strtod(argv[2], NULL);
        argi = 3;
    }
    if (argc > argi + 1 && strcmp(argv[argi], "--min-class") == 0) {
        min_class = strtod(argv[argi + 1], NULL);
        argi += 2;
    }
    if (argc - argi != 2) {
        fputs("usage: wenda-eval [--min X [--min-class Y]] CONTENT_DIR "
              "QUERIES_TSV\n",
              stderr);
        return 2;
    }
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    (void)snprintf(db, sizeof(db), "%s/eval.db", dir);
    if (wenda_content_load(argv[argi], &c, diag, NULL) != WENDA_OK)
        return 1;
    if (wenda_store_open(db, WENDA_STORE_CREATE, &st, msg, sizeof(msg)) !=
            WENDA_OK ||
        wenda_store_import(st, &c) != WENDA_OK) {
        fprintf(stderr, "eval: cannot build %s: %s\n", db, msg);
        return 1;
    }
    wenda_content_cleanup(&c);
    f = fopen(argv[argi + 1], "r");
    if (f == NULL) {
        perror(argv[argi + 1]);
        return 1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        struct wenda_search_query q = {NULL, NULL, NULL, 10, 0};
        struct wenda_search_result r;
        char *query, *klass, *rel;
        struct cls *k;
        double rr = 0, s5 = 0;
        size_t j;

        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        query = strtok(line, "\t");
        klass = strtok(NULL, "\t");
        rel = strtok(NULL, "\t");
        if (query == NULL || klass == NULL || rel == NULL)
            continue;
        q.q = query;
        if (wenda_search_run(st, &q, &r, msg, sizeof(msg)) != WENDA_OK) {
            printf("  error  %-24s %s\n", query, msg);
            r.n = 0;
            r.hits = NULL;
        }
        for (j = 0; j < r.n; j++) {
            if (relevant(rel, r.hits[j].title)) {
                rr = 1.0 / (double)(j + 1);
                s5 = j < 5 ? 1 : 0;
                break;
            }
        }
        if (rr < 1.0)
            printf("  miss   %-24s [%s] rank %s; first: %s\n", query, klass,
                   rr > 0 ? (j == 1 ? "2" : j == 2 ? "3" : ">3") : "none",
                   r.n > 0 ? r.hits[0].title : "-");
        wenda_search_result_cleanup(&r);
        k = class_of(classes, &nclasses, klass);
        if (k != NULL) {
            k->n++;
            k->rr += rr;
            k->s5 += s5;
        }
        all.n++;
        all.rr += rr;
        all.s5 += s5;
    }
    (void)fclose(f);
    wenda_store_close(st);
    (void)unlink(db);
    (void)snprintf(line, sizeof(line), "%s-wal", db);
    (void)unlink(line);
    (void)snprintf(line, sizeof(line), "%s-shm", db);
    (void)unlink(line);
    (void)rmdir(dir);

    printf("%-16s %7s %9s %9s\n", "class", "queries", "MRR@10", "success@5");
    for (i = 0; i <= nclasses; i++) {
        const struct cls *k = i < nclasses ? &classes[i] : &all;
        double mrr = k->n ? k->rr / k->n : 0;

        printf("%-16s %7d %9.3f %9.3f\n", k->name, k->n, mrr,
               k->n ? k->s5 / k->n : 0);
        if (min >= 0 && mrr < (i < nclasses ? min_class : min))
            failed = 1;
    }
    if (failed)
        printf("eval: MRR@10 below %.2f overall or %.2f in a class\n", min,
               min_class);
    return failed;
}
