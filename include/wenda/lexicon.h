/*
 * lexicon.h -- what the editors teach search: synonyms and a dictionary.
 *
 * Synonyms come as groups, whose words all find each other (长连接,
 * keep-alive, 持久连接), and as one-way rules, whose word also finds the
 * others but not the other way round (py -> python).  The dictionary lists
 * Chinese words search must know: a query never cuts a question or
 * function word out of the middle of one (和平 keeps its 和), and an input-
 * method slip is also corrected to them.  Both are JSON documents over the
 * API and YAML files in a content directory (synonyms.yml, dictionary.yml):
 *
 *   {"groups": [["长连接", "keep-alive"], ...],
 *    "rules": [{"from": "py", "to": ["python"]}, ...]}
 *   {"words": ["猴子补丁", ...]}
 *
 * A document is checked whole before anything of it is used: sizes,
 * UTF-8, no control characters or noncharacters, every term must hold a
 * word, no term in two groups, no one-way rule leading back to its start.
 */
#ifndef WENDA_LEXICON_H
#define WENDA_LEXICON_H

#include <stddef.h>

#include "wenda/err.h"

struct json_t;
struct wenda_tokenizer;

/* Limits of the two documents. */
#define WENDA_LEXICON_MAX_GROUPS 1000   /* groups, and rules */
#define WENDA_LEXICON_MAX_TERMS 16      /* terms of a group or rule */
#define WENDA_LEXICON_MAX_TERM 64       /* bytes of a term */
#define WENDA_LEXICON_MAX_WORDS 5000    /* words of the dictionary */
#define WENDA_LEXICON_MAX_WORD 8        /* characters of a word */

/* One group (one_way 0: every term finds the others) or rule (one_way 1:
 * terms[0] also finds terms[1..n), not the other way round). */
struct wenda_synonyms {
    char **terms;
    size_t n;
    int one_way;
};

struct wenda_lexicon {
    struct wenda_synonyms *sets;   /* the groups, then the rules */
    size_t nsets;
    char **words;                  /* the dictionary */
    size_t nwords;
};

/*
 * Reads the synonyms document syn (a JSON object as above; NULL: none)
 * into out->sets, checking every term with tk (it must hold a token).
 * Every problem is added to p, named by its JSON pointer ("/groups/3/1")
 * with a detail that does not repeat it; the result is then
 * WENDA_ERR_INVALID and out is left empty.  WENDA_ERR_NOMEM.
 */
enum wenda_err wenda_lexicon_read_synonyms(struct wenda_tokenizer *tk,
                                           const struct json_t *syn,
                                           struct wenda_lexicon *out,
                                           struct wenda_problems *p);

/*
 * Reads the dictionary document dict ({"words": [...]}; NULL: none) into
 * out->words: each word two to WENDA_LEXICON_MAX_WORD Han characters.
 * Errors as wenda_lexicon_read_synonyms().
 */
enum wenda_err wenda_lexicon_read_dictionary(const struct json_t *dict,
                                             struct wenda_lexicon *out,
                                             struct wenda_problems *p);

/*
 * wenda_lexicon_read_synonyms(), keeping only the first problem in msg,
 * after its JSON pointer ("/groups/3/1: ...").
 */
enum wenda_err wenda_lexicon_synonyms(struct wenda_tokenizer *tk,
                                      const struct json_t *syn,
                                      struct wenda_lexicon *out, char *msg,
                                      size_t msgcap);

/* wenda_lexicon_read_dictionary(), as wenda_lexicon_synonyms() is. */
enum wenda_err wenda_lexicon_dictionary(const struct json_t *dict,
                                        struct wenda_lexicon *out, char *msg,
                                        size_t msgcap);

/* Frees what lx holds and empties it; NULL is fine. */
void wenda_lexicon_cleanup(struct wenda_lexicon *lx);

#endif /* WENDA_LEXICON_H */
