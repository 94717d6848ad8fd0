/*
 * content_int.h -- what content.c and content_yaml.c share and no other
 * module calls.  content.c owns the problem sink through which a file's
 * problems are reported with their lines, and the checks of a topic's
 * fields; content_yaml.c owns the YAML text of categories.yml, both ways,
 * which content.c reads and writes as files, and the emitter that
 * content_lexicon.c writes synonyms.yml and dictionary.yml with.
 * include/wenda/content.h is the module's face; this is its inside.
 */
#ifndef WENDA_CONTENT_INT_H
#define WENDA_CONTENT_INT_H

#include <stddef.h>
#include <yaml.h>

#include "wenda/content.h"

struct buf;
struct yaml_emitter_s;

/* ---- content.c, for content_yaml.c and content_lexicon.c -------------- */

/*
 * The problem sink of one file being read: each problem goes to fn (when
 * not NULL) with file as its name, and is counted in count.
 */
struct wenda_content_diag {
    const char *file;
    wenda_diag_fn fn;
    void *ctx;
    int count;
};

/*
 * Reports one problem of d's file at line (0: the file as a whole), its
 * message formatted as printf() does and cut at 511 bytes.
 */
void wenda_content_report(struct wenda_content_diag *d, unsigned long line,
                          const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Returns the 1-based line of buf on which byte off stands. */
unsigned long wenda_content_line_of(const char *buf, size_t off);

/*
 * Reports the problem libyaml's parser met, at its line counted from
 * first (the line of the YAML's first line in the file).
 */
void wenda_content_report_yaml(struct wenda_content_diag *d,
                               const yaml_parser_t *parser,
                               unsigned long first);

/*
 * Receives one problem of a topic: the JSON pointer of the value at fault
 * ("/title", "/tags/2", "/corrections/0/why"), and the message.
 */
typedef void (*wenda_content_problem_fn)(void *ctx, const char *pointer,
                                         const char *msg);

/*
 * Checks every field of t against the limits of wenda/content.h, reports
 * each problem through fn, and returns how many there were: a field's
 * first, and each bad entry of a list.  Messages name fields as in a topic
 * file ("title", "tags[2]", "corrections.says").
 */
int wenda_content_check(const struct wenda_topic *t,
                        wenda_content_problem_fn fn, void *ctx);

/* ---- content_yaml.c, for content.c ----------------------------------- */

/*
 * Parses categories.yml, held in buf[0..len), into c->cats and c->ncats
 * (which the caller has zeroed), reporting problems through fn as the file
 * called file, and returns how many there were.  The categories read stay
 * in c even when there were problems, so that loading a directory can go
 * on and find the problems of its topics; the caller frees them with
 * wenda_content_cleanup().
 */
int wenda_content_categories_from_yaml(const char *file, const char *buf,
                                       size_t len, struct wenda_content *c,
                                       wenda_diag_fn fn, void *ctx);

/*
 * Appends the categories of c as the canonical categories.yml to b.
 * Returns 1, or 0 when out of memory; b is the caller's to clean up either
 * way.
 */
int wenda_content_categories_to_yaml(const struct wenda_content *c,
                                     struct buf *b);

/* ---- content_yaml.c, for content_lexicon.c ---------------------------- */

/*
 * Appends a whole YAML stream to b, UTF-8 with "\n" line breaks and no
 * line folding, whose one document fn(emitter, arg) writes; the document
 * opens with "---" when explicit_start.  Returns 1, or 0 when fn or the
 * emitter fails; b is the caller's to clean up either way.
 */
int wenda_content_emit_document(struct buf *b,
                                int (*fn)(struct yaml_emitter_s *e,
                                          const void *arg),
                                const void *arg, int explicit_start);

/* Emits the scalar s, double-quoted when quoted, else plain.  1 or 0. */
int wenda_content_emit_scalar(struct yaml_emitter_s *e, const char *s,
                              int quoted);

#endif /* WENDA_CONTENT_INT_H */
