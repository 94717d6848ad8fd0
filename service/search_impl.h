/*
 * search_impl.h -- what the files of search share, and nothing outside
 * them includes: the state of a connection's search (struct wenda_search,
 * with wenda_rank()'s struct rank_params), the index's columns, and the
 * functions one file of search calls in another.
 *
 *   search.c          running a search; the topics like a topic
 *   search_query.c    the safe query builder, title keys, pinyin
 *   search_index.c    writing the index
 *   search_rank.c     wenda_rank(); opening a connection's search
 *   search_snippet.c  wenda_snippet(); the marks kept while ranking
 *   search_sound.c    the words of the titles and aliases by their sound
 */
#ifndef WENDA_SEARCH_IMPL_H
#define WENDA_SEARCH_IMPL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "wenda/content.h"
#include "wenda/err.h"
#include "wenda/search.h"

struct wenda_tokenizer;

/* A topic whose whole title (weight 2) or alias (weight 1) is the query. */
#define MAX_EXACT 32
struct exact_hit {
    int64_t id;
    int weight;
};

/*
 * The full-text columns of topics_fts, in their order.  The category is
 * one token (WENDA_TOKEN_VERBATIM and the slug) that only a filter asks
 * for and that ranking leaves out (see doc_tokens()).
 */
enum {
    COL_TITLE, COL_ALIASES, COL_PINYIN, COL_TAGS, COL_ANSWER, COL_CATEGORY,
    NCOLS
};

/* The most matches a snippet (of the answer column) marks. */
#define SNIP_MAX_MARKS 64

struct span {
    int start, end;
};

/*
 * The matches in the answer of one of the best rows a search has scored so
 * far (see snip_keep()): the token positions, first to last, of the
 * matches its snippet marks, or n = -1 when they must be read again.
 */
struct snip_row {
    int64_t rowid;
    double rank;
    int n;
    struct span marks[SNIP_MAX_MARKS];
};
struct snip_cache;

/* The search state of a connection (see wenda_search_register()). */
struct rank_params {
    sqlite3 *db;
    sqlite3_stmt *keys;     /* title_keys lookup, prepared on first use */
    sqlite3_stmt *ins_fts;  /* the index's writes, prepared on first use */
    sqlite3_stmt *ins_key;
    sqlite3_stmt *del_fts;
    sqlite3_stmt *del_key;
    const char *key;        /* the query's key; NULL outside a search */
    const int *chunk;       /* chunk of each phrase; NULL: one each */
    int nchunk_map;
    int idf;
    int skip;               /* leading phrases that only filter */
    int64_t cap;            /* candidates per search; 0: every match */
    int64_t count;          /* matches counted for a total; 0: all */
    int nidf;               /* idf_of[] holds the current query's; -1: not */
    double idf_of[64];      /* MAX_PHRASES */
    int nexact;             /* exact[] holds the current query's; -1: not */
    struct exact_hit exact[MAX_EXACT];
    int64_t scored;         /* rows wenda_rank() scored in this search, */
    int64_t scored_exact;   /* ... and how many of them by their title */
    struct snip_cache *snip_cache; /* wenda_snippet()'s */
    struct snip_row snip[WENDA_SEARCH_MAX_LIMIT]; /* the best so far */
    unsigned int snip_want; /* rows to keep in snip[]; 0: none */
    unsigned int snip_n;    /* rows kept */
    unsigned int snip_worst; /* the last of them once snip_n == snip_want */
    int snip_prefix;        /* phrase of the prefix alternative; -1: none */
    uint32_t *ntok;         /* tokens of topic id + 1 (0: not known yet) */
    size_t nntok;           /* entries of ntok[] */
    unsigned int ntok_version; /* the database's version ntok[] is of */
    int ntok_usable;        /* 0: the version cannot be read, no cache */
    int64_t nrow;           /* rows of the index at ntok_version; -1: not
                               known */
};

/* The statements a connection's search keeps prepared. */
enum {
    SLOT_SEARCH, SLOT_PLAIN, SLOT_COUNT, SLOT_SNIPPET, /* search.c */
    SLOT_TOPIC, SLOT_EXACT,                   /* search.c */
    SLOT_WORD, SLOT_TERM, SLOT_TYPO,          /* search_typo.c */
    SLOT_EXISTS, SLOT_SOUND,                  /* search_fix.c */
    SLOT_SOUND_ADD, SLOT_SOUND_GONE, SLOT_SOUND_TEXT, /* search_sound.c */
    SLOT_DOCS,                                /* search.c */
    SLOT_TOPICS, SLOT_SAMPLE,                 /* search_chars.c */
    SLOT__COUNT
};

struct word_set;
struct title_cache;
struct wenda_search_lexicon;

/* The most expressions a search remembers as matching nothing. */
#define SEARCH_EMPTY_MAX 8

/*
 * The search of one connection (see wenda_search_open()): the store holds
 * it, and search never reaches back into the store.
 */
struct wenda_search {
    sqlite3 *db;                 /* borrowed from the store */
    struct rank_params *rp;      /* FTS5's, freed with the connection */
    struct wenda_tokenizer *tk;  /* created on first use */
    sqlite3_stmt *slot[SLOT__COUNT]; /* a search's statements */
    struct word_set *words;      /* words put in vocab_keys, or NULL */
    struct sound_set *sounds;    /* an import's stretches not yet written
                                    to sound_words; NULL outside one */
    struct wenda_search_lexicon *lex; /* synonyms, dictionary; or NULL */
    struct title_cache *titles;  /* hits' title tokens, or NULL */
    char *empty[SEARCH_EMPTY_MAX]; /* expressions that matched nothing in
                                      the search running (see run_level()) */
    size_t nempty;
};

/* The tokens of a chunk: how many, and the bytes of the last. */
struct count_ctx {
    int n;
    int last;   /* bytes of the last token */
};

/* The any-word expression being written (wenda_search_any_token()). */
struct any_ctx {
    const char *q;
    struct buf *b;
    struct wenda_strv seen;   /* spans already written, to skip twins */
    size_t cap;
    int failed;
};

/* The most phrases of a MATCH expression that wenda_rank() weighs. */
#define WENDA_SEARCH_MAX_PHRASES 64

/* The chunk of each phrase of a MATCH expression, as wenda_rank() reads it. */
struct phrase_map {
    int chunk[WENDA_SEARCH_MAX_PHRASES];
    int n;
};

/* A chunk of a query: a run of letters and digits or of Han characters
 * (see search_query.c), q[start..end). */
struct chunk {
    size_t start, end;
    int latin_only;   /* letters and digits, no Han: may be a prefix */
    int last_token;   /* bytes of its last token */
    int optional;     /* a question or function word */
};

struct chunk_list {
    struct chunk v[WENDA_SEARCH_MAX_CHUNKS];
    size_t n;
};

/* Cuts q[0..n) into chunks; returns -1 when there are too many. */
int wenda_search_cut(const char *q, size_t n, struct chunk_list *out);

/*
 * Cuts query q[0..n) into the words a search looks for, into *words:
 * its chunks that hold a token, the question and function words left out
 * when it has others (see search_query.c); *last is the index of the last
 * (which may be matched as a prefix).  WENDA_ERR_INVALID with msg for a
 * query too long, not UTF-8, of too many words or of none.
 */
struct wenda_search;
enum wenda_err wenda_search_words(const struct wenda_search *se,
                                  struct wenda_tokenizer *tk, const char *q,
                                  size_t n, struct chunk_list *words,
                                  size_t *last, char *msg, size_t msgcap);

/* What a snippet is tokenized with: FTS5's tokenizer of the current row,
 * or the search's own. */
struct snip_tokenizer {
    const Fts5ExtensionApi *api;    /* with fts; NULL: tk */
    Fts5Context *fts;
    struct wenda_tokenizer *tk;
};

/*
 * Writes the key of text to out: its tokens (as a query sees them, without
 * colocated alternatives) joined by spaces, so that "ＧＩＬ 锁", "gil锁"
 * and "GIL 鎖" share one key.
 */
enum wenda_err wenda_search_key_of(struct wenda_tokenizer *tk, const char *text,
                                   size_t n, struct buf *out);

/*
 * Appends to col the pinyin of every Han run of text: each syllable, and
 * every concatenation of two to four consecutive syllables and of the whole
 * run, so that "lajihuishou" finds 垃圾回收 inside 中的垃圾回收机制.  When
 * whole is not NULL, the run concatenations are also appended to it
 * without spaces (the title's pinyin key).
 */
enum wenda_err wenda_search_add_pinyin(struct wenda_tokenizer *tk,
                                       const char *text, struct buf *col,
                                       struct buf *whole);

/*
 * Token callbacks of wenda_tokenize() for the query builder:
 * wenda_search_count_token() counts into a struct count_ctx, and
 * wenda_search_any_token() writes each distinct token, quoted and ORed,
 * into a struct any_ctx.
 */
int wenda_search_count_token(void *ctx, int flags, const char *tok, int ntok,
                             int start, int end);

/* Appends s[0..n) as an FTS5 string: in double quotes, quotes doubled. */
void wenda_search_add_quoted(struct buf *b, const char *s, size_t n);

int wenda_search_any_token(void *vctx, int flags, const char *tok, int ntok,
                           int start, int end);

/*
 * wenda_search_build(), also writing to map (when not NULL) the chunk of
 * each phrase of the expression, as wenda_rank() reads it, and to *exact
 * (when exact is not NULL; WENDA_SEARCH_ALL only) the same expression
 * without its prefix alternative: every chunk as one phrase.
 */
enum wenda_err wenda_search_build_map(const struct wenda_search *se,
                                      struct wenda_tokenizer *tk, const char *q,
                                      size_t n, enum wenda_search_level level,
                                      char **match, char **exact,
                                      struct phrase_map *map, char *msg,
                                      size_t msgcap);

/*
 * Runs fill(se, ctx) in a transaction of its own when se's connection is
 * not in one already, committed when fill succeeds and rolled back when it
 * fails: the lists a database of an older schema gets on open are
 * thousands of rows, and a commit (an fsync) each took seconds.
 */
enum wenda_err wenda_search_in_transaction(
    struct wenda_search *se,
    enum wenda_err (*fill)(struct wenda_search *se, void *ctx), void *ctx);

/*
 * Returns 1 when the expression bound (its filters included) matched
 * nothing earlier in the search running on se.  A search may come to the
 * same expression twice (a query of one word is its own any-word form, and
 * a slipped word is looked up as the phrase it was searched as), and what
 * matched nothing then matches nothing now: the same snapshot, the same
 * filters.  The expressions of the topics of a whole title are narrower
 * than the search's own, so an expression that matched nothing stands for
 * both.  An expression with filters begins with its column filter, so it
 * never stands for one without.
 */
int wenda_search_known_empty(const struct wenda_search *se, const char *bound);

/* Frees the title tokens a search keeps (search.c); NULL is fine. */
void wenda_search_titles_free(struct title_cache *c);

/*
 * Returns 1 when the index is known to hold fewer rows than p->cap (as
 * of the database's current version), so that no search can fill the cap.
 */
int wenda_search_below_cap(struct rank_params *p);

/*
 * Looks up, once per query (params_begin() forgets it), the topics whose
 * whole-title key is p->key, into p->exact; returns how many (0 to
 * MAX_EXACT), or -1 on an error.
 */
int wenda_search_exact_lookup(struct rank_params *p);

/*
 * The score of a hit, from its wenda_rank(), in the order of the ranking
 * (larger first): 2 for each whole title or alias the query equals (see
 * title_keys' weights), 1 when every word is in the title, aliases or
 * pinyin, plus bm25 / (1 + bm25), which is below 1.
 */
double wenda_search_score(double rank);

/* Appends s[0..n) to b as HTML text: escaped, newlines as spaces. */
void wenda_search_add_html(struct buf *b, const char *s, int n);

/*
 * Called by wenda_rank() for each row it scores in a search, while FTS5
 * still has the row's matches at hand: when the row is among the best
 * p->snip_want scored so far, keeps what its snippet will mark, so that
 * the page's snippets need no second full-text query each (a fifth of a
 * search's time).  The marks are those add_snippets() would find:
 *
 *   - With a prefix alternative (phrase p->snip_prefix, the last of the
 *     search's expression; the one before it is the same word as itself),
 *     the matches of the phrases without it when the row has that word
 *     itself and the answer holds any of them, otherwise every phrase's.
 *     A row scored by the expression without the alternative (a title
 *     equal to the query: one phrase fewer) keeps its marks only when
 *     there are some; the alternative's must be read again otherwise.
 *   - Otherwise every phrase's matches.
 *
 * The phrases before p->skip (the filters') never count: they are not in the
 * expression add_snippets() reads with.
 */
void wenda_search_snip_keep(const Fts5ExtensionApi *api, Fts5Context *fts,
                            struct rank_params *p, int64_t rowid, double rank);

/*
 * Writes to out the snippet of the answer text[0..ntext) of topic rowid
 * (not empty) that marks the matches marks[0..nmarks), a window of ntok
 * token positions.  The positions come from cache when it has them, and
 * are put there when they were tokenized to the end.  Returns 0, or -1
 * when out of memory.
 */
int wenda_search_snippet_render(struct snip_cache *cache,
                                const struct snip_tokenizer *tok, int64_t rowid,
                                const char *text, int ntext,
                                const struct span *found, int nmarks, int ntok,
                                struct buf *out);

/*
 * Registers wenda_snippet() with FTS5 (api), its position cache kept in
 * p.  WENDA_ERR_NOMEM, WENDA_ERR_DB.
 */
enum wenda_err wenda_search_snippet_register(fts5_api *api,
                                             struct rank_params *p);

/*
 * Gives in *out the statement of slot for sql, prepared on first use and
 * kept until wenda_search_free(); the caller resets it after use.
 */
enum wenda_err wenda_search_slot(struct wenda_search *se, unsigned int slot,
                                 const char *sql, sqlite3_stmt **out);

/*
 * Returns 1 when s[0..n) is a question or function word as the query
 * builder reads them (为什么, 的, what, the...): never corrected, and
 * optional in a query that has other words.
 */
int wenda_search_function_word(const char *s, size_t n);

/*
 * Writes to at[0..2k) the byte spans (start, end) of the k stretches of
 * the Han run q[start..end) between its question and function words, at
 * most max of them; returns k.
 */
size_t wenda_search_han_content(const char *q, size_t start, size_t end,
                                size_t *at, size_t max);

/* ---- search_lexicon.c: the editors' synonyms and dictionary ------------- */

/* The most words (chunks) of a synonym term a query is matched on. */
#define WENDA_SEARCH_SYNONYM_WORDS 4
/* The most terms one synonym term of a query is ORed with. */
#define WENDA_SEARCH_SYNONYMS 8

/* Frees a lexicon as search holds it; NULL is fine. */
void wenda_search_lexicon_free(struct wenda_search_lexicon *x);

/*
 * When chunks at..at+k of q (k from WENDA_SEARCH_SYNONYM_WORDS down to 1,
 * the longest that matches) are a synonym term of se's lexicon, writes
 * the terms they also stand for to alts[0..*nalts) (borrowed from the
 * lexicon, at most cap) and returns k; else returns 0.
 */
size_t wenda_search_synonyms_at(const struct wenda_search *se, const char *q,
                                const struct chunk_list *chunks, size_t at,
                                const char **alts, size_t *nalts,
                                size_t cap);

/* Returns 1 when s[0..n) is a word of se's dictionary. */
int wenda_search_dictionary_has(const struct wenda_search *se, const char *s,
                                size_t n);

/*
 * Gives the words of se's dictionary in *words and the pinyin of each
 * (as wenda_tokenizer_pinyin() writes it; NULL when it has none) in
 * *syllables, read the first time; returns how many (0: none).
 */
size_t wenda_search_dictionary(struct wenda_search *se,
                               const char *const **words,
                               const char *const **syllables);

/* ---- search_fix.c: what a query that finds nothing may have meant ------- */

/*
 * Writes to out[0..cap) the corrections of query q[0..n) (new; the caller
 * frees each), likeliest first: q with each of its words that finds
 * nothing (a Latin word no topic holds, a Han stretch no topic has as a
 * phrase) replaced by a word of the topics it may have been typed for
 * (see search_fix.c); returns how many, 0 when there is nothing to
 * correct.
 */
size_t wenda_search_fixes(struct wenda_search *se, const char *q, size_t n,
                          char **out, size_t cap);

/* ---- search_sound.c: the words of the titles and aliases by sound ------- */

#define WENDA_SEARCH_SYLLABLE_MAX 8   /* bytes of a pinyin syllable */
/* Bytes of the syllables of a stretch, space-separated, and a NUL: four
 * of WENDA_SEARCH_SYLLABLE_MAX bytes and one more each. */
#define WENDA_SEARCH_SOUND_KEY 36

/* One Han character of a run: its bytes and its syllable. */
struct hchar {
    size_t start, end;
    char syl[WENDA_SEARCH_SYLLABLE_MAX + 1];
};

/*
 * Reads the Han characters of text[0..n) with their syllables (from
 * wenda_tokenizer_pinyin(), toneless) into h[0..max); returns how many,
 * or 0 when text is not all Han, holds fewer than two or more than max
 * characters, or a character has no one syllable.
 */
size_t wenda_search_syllables(struct wenda_tokenizer *tk, const char *text,
                              size_t n, struct hchar *h, size_t max);

/*
 * Writes to out the syllable syl as the fuzzy pairs of input methods see
 * it: zh, ch, sh as z, c, s; l as n; ang, eng, ing as an, en, in.
 */
void wenda_search_fold(const char *syl,
                       char out[WENDA_SEARCH_SYLLABLE_MAX + 1]);

/*
 * Writes to out the syllables of h[0..n) (n at most 4), folded (see
 * wenda_search_fold()) when folded is not 0, separated by spaces: the key
 * of a stretch in sound_words, or its own syllables there.
 */
void wenda_search_sound_key(const struct hchar *h, size_t n, int folded,
                            char out[WENDA_SEARCH_SOUND_KEY]);

/*
 * A set of stretches of two to four characters of Han runs, with their
 * syllables and how often each was met (see search_sound.c).
 * wenda_search_sounds_of() adds those of text to *set, which it creates
 * when NULL (with tk only: no database); free it with
 * wenda_search_sounds_free(), which takes NULL.  Errors: WENDA_ERR_NOMEM.
 */
struct sound_set;
enum wenda_err wenda_search_sounds_of(struct wenda_tokenizer *tk,
                                      const char *text,
                                      struct sound_set **set);
void wenda_search_sounds_free(struct sound_set *set);

/* Adds the stretches of set (NULL: none) to sound_words.  WENDA_ERR_DB. */
enum wenda_err wenda_search_sounds_add(struct wenda_search *se,
                                       const struct sound_set *set);

/*
 * Subtracts the stretches of topic id's full-text row, which is still
 * there, from sound_words, and removes those that no topic holds any
 * more.  WENDA_ERR_DB, WENDA_ERR_NOMEM.
 */
enum wenda_err wenda_search_sounds_drop(struct wenda_search *se, int64_t id);

/*
 * From on (1) to off (0), an import: the stretches wenda_search_sounds_add()
 * is given are added up in memory and written to sound_words a batch at a
 * time, the last when it is turned off.  WENDA_ERR_NOMEM, WENDA_ERR_DB.
 */
enum wenda_err wenda_search_sounds_bulk(struct wenda_search *se, int on);

/* Forgets the stretches of an import not yet written (its transaction
 * rolled back), and ends its bulk writing. */
void wenda_search_sounds_forget(struct wenda_search *se);

/* Empties sound_words (before a full import).  WENDA_ERR_DB. */
enum wenda_err wenda_search_sounds_clear(struct wenda_search *se);

/* ---- search_typo.c: the words of the topics ------------------------------ */

/*
 * Puts the Latin words of text (runs of ASCII letters, 3 to 24 of them,
 * lowercased) in vocab_keys, those this connection has not put there yet
 * (see search_typo.c).  Called as a topic's index is written.
 */
enum wenda_err wenda_search_words_add(struct wenda_search *se,
                                      const char *text);

/* Empties vocab_keys (before a full import) and se's set of its words. */
enum wenda_err wenda_search_words_clear(struct wenda_search *se);

/* Frees se's set of words. */
void wenda_search_words_forget(struct wenda_search *se);

/*
 * Adds to the any-word expression *match (replaced, on success) of query
 * q the characters of its two-character Han words that no topic holds,
 * each alone, in the titles, aliases and tags, where they may name the
 * same thing (CPU 核心: 多核); see search_chars.c for which are read so.
 */
enum wenda_err wenda_search_add_characters(struct wenda_search *se,
                                           struct wenda_tokenizer *tk,
                                           const char *q, char **match);

/*
 * Returns 1 when the FTS5 expression match finds some topic (or when that
 * cannot be told): one statement that stops at the first topic, and none
 * for an expression this search already found empty.
 */
int wenda_search_finds_any(struct wenda_search *se, const char *match);

/* wenda_search_finds_any() of the phrase s[0..n). */
int wenda_search_phrase_found(struct wenda_search *se, const char *s,
                              size_t n);

/*
 * Returns how many topics hold the stem of word w[0..n) (its first token,
 * as a query reads it), from the index's own list of terms; 0 when none
 * or when it cannot be told.
 */
int64_t wenda_search_term_docs(struct wenda_search *se, const char *w,
                               size_t n);

/* A word of the topics that a misspelt query word may have meant. */
struct wenda_typo {
    char word[25];    /* lowercase */
    int edits;        /* 1 or 2 */
    int same_first;   /* it begins with the query word's letter */
    int64_t docs;     /* topics holding it */
};

#define WENDA_SEARCH_TYPO_SCAN 64   /* candidates weighed at most */

/*
 * Writes to out[0..cap) the words of the topics that the query word
 * word[0..nword) (ASCII letters, 4 to 24) may have meant: within one edit,
 * or two from eight letters, likeliest first (fewer edits, the same first
 * letter, more topics); returns how many.  The word itself is never among
 * them.  0 on any error.
 */
size_t wenda_search_typos(struct wenda_search *se, const char *word,
                          size_t nword, struct wenda_typo *out, size_t cap);

#endif /* WENDA_SEARCH_IMPL_H */
