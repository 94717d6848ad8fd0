/*
 * content.h -- topics as files: front matter (YAML) plus a Markdown answer.
 *
 * A content directory holds categories.yml and one file per topic at
 * <category>/<slug>.md.  A topic file is
 *
 *     ---
 *     title: "死锁"
 *     title_en: "Deadlock"
 *     slug: "deadlock"
 *     category: "concurrency"
 *     order: 35
 *     tags: ["lock", "thread"]
 *     aliases: ["deadlock", "死结"]
 *     ---
 *     Markdown answer...
 *
 * The front matter is parsed with libyaml and written back with libyaml's
 * emitter in exactly that canonical shape, so that load followed by write
 * reproduces a canonical directory byte for byte.  The answer is kept as
 * the bytes that follow the closing "---" line.
 *
 * A directory may also hold what the editors teach search (see
 * wenda/lexicon.h), as YAML of the same shape as its JSON documents:
 *
 *     groups:                        (synonyms.yml)
 *     - ["长连接", "keep-alive"]
 *     rules:
 *     - from: "py"
 *       to: ["python"]
 *
 *     words:                         (dictionary.yml)
 *     - "猴子补丁"
 */
#ifndef WENDA_CONTENT_H
#define WENDA_CONTENT_H

#include <stddef.h>
#include <stdint.h>

#include "wenda/err.h"

struct json_t;

/* Limits every topic must respect, whatever its source. */
#define WENDA_CONTENT_MAX_SLUG 64
#define WENDA_CONTENT_MAX_TITLE 200
#define WENDA_CONTENT_MAX_TAGS 10
#define WENDA_CONTENT_MAX_TAG 32
#define WENDA_CONTENT_MAX_ALIASES 32
#define WENDA_CONTENT_MAX_ALIAS 100
#define WENDA_CONTENT_MAX_ANSWER ((size_t)256 * 1024)
#define WENDA_CONTENT_MAX_FILE (WENDA_CONTENT_MAX_ANSWER + (size_t)16 * 1024)

struct wenda_strv {
    char **v;  /* n owned, NUL-terminated strings */
    size_t n;
};

/*
 * A correction of the notes: what they say, what is right, why (naming the
 * authoritative source), and the source itself.  The notes' text stays as
 * it is; corrections stand beside it.
 */
struct wenda_correction {
    char *says;
    char *right;
    char *why;
    char *source;
};

#define WENDA_CONTENT_MAX_CORRECTIONS 10
#define WENDA_CONTENT_MAX_CORRECTION 1000   /* bytes of each field */

struct wenda_topic {
    int64_t id;         /* 0 until stored */
    char *slug;
    char *title;
    char *title_en;     /* "" when absent */
    char *category;     /* a category slug */
    int64_t order;
    struct wenda_strv tags;
    struct wenda_strv aliases;
    char *answer;       /* Markdown */
    struct wenda_correction *corrections;   /* ncorrections, owned */
    size_t ncorrections;
    int64_t version;    /* 0 until stored */
    char *updated_at;   /* RFC 3339 UTC, NULL until stored */
};

struct wenda_category {
    char *slug;
    char *name;
    char *name_en;
    int64_t count;      /* topics in it; filled by the store only */
};

struct wenda_content {
    struct wenda_category *cats;
    size_t ncats;
    struct wenda_topic *topics;
    size_t ntopics;
    char *synonyms;     /* the synonyms document (wenda/lexicon.h) as
                           compact JSON, keys sorted, checked; NULL: none */
    char *dictionary;   /* the dictionary document, the same way */
};

/*
 * Receives one problem found while reading content: the file (as given),
 * the 1-based line (0 when the problem concerns the whole file) and a
 * message.  The strings are borrowed for the duration of the call.
 */
typedef void (*wenda_diag_fn)(void *ctx, const char *file, unsigned long line,
                              const char *message);

/* Frees what *t owns and zeroes it; NULL and zeroed topics are fine. */
void wenda_topic_cleanup(struct wenda_topic *t);

/* Frees what *c owns (categories, topics, lexicon) and zeroes it. */
void wenda_content_cleanup(struct wenda_content *c);

/* Frees an array of n corrections (NULL is fine). */
void wenda_corrections_free(struct wenda_correction *c, size_t n);

/*
 * Returns a new JSON array of the corrections of t (the form the API and
 * the store use), or NULL when out of memory.
 */
struct json_t *wenda_corrections_json(const struct wenda_topic *t);

/*
 * Reads a JSON array of corrections into t (replacing what it had).
 * WENDA_ERR_INVALID with a message naming the field in msg when the array
 * or one of its objects is malformed.
 */
enum wenda_err wenda_corrections_from_json(const struct json_t *a,
                                           struct wenda_topic *t, char *msg,
                                           size_t msgcap);

/* Frees the strings of *sv and zeroes it. */
void wenda_strv_cleanup(struct wenda_strv *sv);

/*
 * Returns 1 when s[0..n) is valid UTF-8 without NUL bytes, else 0, and
 * stores the byte offset of the first bad byte in *bad (when bad != NULL).
 */
int wenda_utf8_valid(const char *s, size_t n, size_t *bad);

/* Returns the characters (code points) of the valid UTF-8 text s[0..n):
 * the limits a reader counts, where bytes would count a Chinese
 * character three times. */
size_t wenda_utf8_chars(const char *s, size_t n);

/*
 * Returns the first Unicode noncharacter of the valid UTF-8 text s[0..n)
 * (U+FDD0 to U+FDEF, and the last two code points of every plane), or 0
 * when it holds none.  Unicode keeps them for a program's own use: wenda
 * marks the category token of its index with U+FDD0
 * (WENDA_TOKEN_VERBATIM), so neither a topic's text nor a query may hold
 * one.
 */
unsigned long wenda_utf8_noncharacter(const char *s, size_t n);

/* Returns 1 when s is a valid slug: [a-z0-9]+(-[a-z0-9]+)*, at most
 * WENDA_CONTENT_MAX_SLUG bytes; tags and category slugs follow the same rule
 * (tags at most WENDA_CONTENT_MAX_TAG bytes). */
int wenda_slug_valid(const char *s, size_t max);

/*
 * Parses one topic file held in buf[0..len) into *out (which the caller
 * then owns and releases with wenda_topic_cleanup).  Every problem is
 * reported through diag with file as its name; the result is WENDA_OK when
 * there was none, WENDA_ERR_UTF8 or WENDA_ERR_PARSE otherwise, in which case
 * *out is left zeroed.
 */
enum wenda_err wenda_content_parse_topic(const char *file, const char *buf,
                                         size_t len, struct wenda_topic *out,
                                         wenda_diag_fn diag, void *ctx);

/*
 * Checks the fields of a topic against the limits above (required fields,
 * slug pattern, lengths, UTF-8) and adds every problem to p, named by the
 * JSON pointer of the value at fault ("/slug", "/aliases/2").  Returns
 * WENDA_OK when there was none, WENDA_ERR_INVALID, or WENDA_ERR_NOMEM when
 * a problem could not be kept.
 */
enum wenda_err wenda_topic_check(const struct wenda_topic *t,
                                 struct wenda_problems *p);

/*
 * Checks t as wenda_topic_check() does, but stores only the first
 * problem's message (at most msgcap bytes) in msg.
 */
enum wenda_err wenda_topic_validate(const struct wenda_topic *t, char *msg,
                                    size_t msgcap);

/*
 * Returns the API's JSON of t, compact UTF-8, as a new NUL-terminated
 * malloc'ed string of *len bytes (len may be NULL), or NULL when out of
 * memory.  full adds the answer (Markdown, and as HTML rendered in safe
 * mode: answer_html), the aliases and the corrections to the fields of a list
 * item: id, slug, title, title_en, category, tags, order, version,
 * updated_at.
 */
char *wenda_topic_json(const struct wenda_topic *t, int full, size_t *len);

/*
 * Applies the JSON merge patch patch (RFC 7396) to target and returns the
 * result.  Takes the caller's reference to target (which may be NULL) and
 * returns a new one; patch is borrowed.  NULL when out of memory.
 */
struct json_t *wenda_json_merge_patch(struct json_t *target,
                                      const struct json_t *patch);

/*
 * Reads a topic from a JSON object of its editable fields (slug, title,
 * title_en, category, order, tags, aliases, answer, corrections) into
 * *out, which the caller releases with wenda_topic_cleanup().  Every
 * unknown field, wrong type and value out of range is added to p, named
 * by its JSON pointer in o, and the result is WENDA_ERR_INVALID (*out then
 * zeroed); WENDA_ERR_NOMEM.  A field of the wrong type is named once, not
 * again by the checks of its value.
 */
enum wenda_err wenda_topic_read_json(const struct json_t *o,
                                     struct wenda_topic *out,
                                     struct wenda_problems *p);

/*
 * Reads a topic as wenda_topic_read_json() does, but stores only the first
 * problem's message, which names the field, in msg (at most msgcap bytes).
 */
enum wenda_err wenda_topic_from_json(const struct json_t *o,
                                     struct wenda_topic *out, char *msg,
                                     size_t msgcap);

/*
 * Reads one line of NDJSON (n bytes, without its newline), as
 * wenda_topic_from_line() does, adding every problem to p as
 * wenda_topic_read_json() does; a line that is not JSON is one problem at
 * "" whose detail is the parser's message, and WENDA_ERR_PARSE.
 */
enum wenda_err wenda_topic_read_line(const char *line, size_t n,
                                     struct wenda_topic *out,
                                     struct wenda_problems *p);

/*
 * Reads one line of NDJSON (n bytes, without its newline), in the form
 * GET /v1/export writes it, into *out: wenda_topic_from_json() after dropping
 * the server's own fields (id, version, updated_at, answer_html).  Not
 * JSON is WENDA_ERR_PARSE; the rest is as wenda_topic_from_json().
 */
enum wenda_err wenda_topic_from_line(const char *line, size_t n,
                                     struct wenda_topic *out, char *msg,
                                     size_t msgcap);

/*
 * Returns a new JSON object of the fields of t a client may edit: what a
 * PATCH's merge patch applies to before the result is read again with
 * wenda_topic_from_json().  NULL when out of memory.
 */
struct json_t *wenda_topic_editable_json(const struct wenda_topic *t);

/* Bytes of an ETag written by wenda_etag(), with its NUL. */
#define WENDA_ETAG_SIZE 19

/*
 * Writes the entity tag of body[0..n) to out: its 64-bit SipHash-2-4
 * (libsodium's crypto_shorthash, with a key of zeros) in sixteen hex
 * digits between double quotes.  Every read's ETag, and what a
 * write's If-Match is compared with.
 */
void wenda_etag(const char *body, size_t n, char out[WENDA_ETAG_SIZE]);

/*
 * Returns 1 when list names etag: list is "*", which names any, or entity
 * tags joined by commas with nothing between them ("\"a\",\"b\""), as a
 * write's If-Match is handed to the store; else 0.  Tags are compared byte
 * for byte (strong comparison).
 */
int wenda_etag_listed(const char *list, const char *etag);

/*
 * Writes t as a canonical topic file.  On success *out is a new malloc'ed
 * buffer of *outlen bytes (NUL-terminated too) that the caller frees.
 */
enum wenda_err wenda_content_format_topic(const struct wenda_topic *t,
                                          char **out, size_t *outlen);

/*
 * Parses the lexicon file held in buf[0..len): synonyms.yml when name is
 * "synonyms", dictionary.yml when it is "dictionary".  Its YAML is read as
 * the JSON document of wenda/lexicon.h (mappings as objects, lists as
 * arrays, every scalar a string) and checked whole with
 * wenda_lexicon_synonyms() or wenda_lexicon_dictionary(); every problem is
 * reported through diag with file as its name and the line of the value
 * at fault, the message starting with its JSON pointer as the API's do.
 * An empty file is the empty document.  On WENDA_OK *json is the document
 * as compact JSON with sorted keys (new; the caller frees), as the store
 * keeps it; otherwise *json is NULL and the result is WENDA_ERR_PARSE (any
 * problem of the file), WENDA_ERR_INVALID (another name), WENDA_ERR_NOMEM
 * or WENDA_ERR_INTERNAL (no tokenizer to check the terms with).
 */
enum wenda_err wenda_content_parse_lexicon(const char *file, const char *name,
                                           const char *buf, size_t len,
                                           char **json, wenda_diag_fn diag,
                                           void *ctx);

/*
 * Writes the lexicon document json (a checked one, as
 * wenda_content_parse_lexicon() or the store gives it) as its canonical
 * file: the keys of each mapping sorted, the lists of the top level one
 * entry a line, the lists within them in flow style, every string
 * double-quoted.  On success *out is a new buffer of *outlen bytes
 * (NUL-terminated too) that the caller frees.  WENDA_ERR_INVALID when
 * json is not an object of strings, lists and mappings; WENDA_ERR_NOMEM.
 */
enum wenda_err wenda_content_format_lexicon(const char *json, char **out,
                                            size_t *outlen);

/*
 * Loads the content directory dir: categories.yml and every
 * <category>/<slug>.md below it, topics sorted by order then slug, and
 * synonyms.yml and dictionary.yml when they are there (see
 * wenda_content_parse_lexicon()).  All problems are reported through diag
 * (file and line); duplicate slugs, unknown categories and files whose
 * path does not match their slug and category count as problems.  Returns
 * WENDA_OK only when there was none; otherwise *out is left zeroed.  The
 * caller owns *out on success.
 */
enum wenda_err wenda_content_load(const char *dir, struct wenda_content *out,
                                  wenda_diag_fn diag, void *ctx);

/*
 * Loads only the categories of file (in the form of a content directory's
 * categories.yml) into out->cats, reporting problems as
 * wenda_content_load() does.  The caller owns *out on success.
 */
enum wenda_err wenda_content_load_categories(const char *file,
                                             struct wenda_content *out,
                                             wenda_diag_fn diag, void *ctx);

/*
 * Parses the categories file held in buf[0..len) (categories.yml: a list of
 * mappings of slug, name and name_en) into out->cats, reporting problems
 * through diag with file as its name, as wenda_content_load_categories()
 * does for a file on disk.  WENDA_OK, with *out the caller's, or
 * WENDA_ERR_PARSE with *out zeroed.
 */
enum wenda_err wenda_content_parse_categories(const char *file,
                                              const char *buf, size_t len,
                                              struct wenda_content *out,
                                              wenda_diag_fn diag, void *ctx);

/*
 * Writes c to the directory dir (created if needed) in canonical form:
 * categories.yml, <category>/<slug>.md for every topic, and synonyms.yml
 * and dictionary.yml for a document that is not NULL and holds any field
 * (not "{}").  Existing files of the same names are replaced; others are
 * left alone.  WENDA_ERR_INVALID for a lexicon document that
 * wenda_content_format_lexicon() refuses; WENDA_ERR_IO, WENDA_ERR_NOMEM.
 */
enum wenda_err wenda_content_write(const char *dir,
                                   const struct wenda_content *c);

#endif /* WENDA_CONTENT_H */
