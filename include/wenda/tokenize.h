/*
 * tokenize.h -- wenda's search tokenizer for Chinese and English text.
 *
 * One tokenizer turns both documents and queries into FTS5 tokens, so that
 * the two always agree: NFKC + case folding, traditional -> simplified
 * Chinese (OpenCC tw2sp), Han runs as overlapping bigrams (in documents
 * with single characters colocated; in queries the bigram phrase alone),
 * Arabic numerals next to Han text read as Chinese numerals, and English
 * words split at letter/digit boundaries and stemmed.  It also gives toneless pinyin for the pinyin
 * column, and registers itself with SQLite as the FTS5 tokenizer "wenda".
 * The file-opening comment of service/tokenize.c explains each rule.
 */
#ifndef WENDA_TOKENIZE_H
#define WENDA_TOKENIZE_H

#include <stddef.h>

#include "wenda/err.h"

/*
 * Opaque.  Not thread-safe: use one per thread, or one per FTS5 tokenizer
 * instance (wenda_tokenize_register does that for you).
 */
struct wenda_tokenizer;

/* Modes of wenda_tokenize(). */
#define WENDA_TOKENIZE_DOCUMENT 0
#define WENDA_TOKENIZE_QUERY 1
/* Or'ed with QUERY: the text is a prefix query term, so it is not stemmed. */
#define WENDA_TOKENIZE_PREFIX 2
/*
 * For FTS5's auxiliary functions (snippet, highlight), which only need the
 * positions and offsets of a document's tokens: the positional tokens of
 * DOCUMENT mode, at the same positions, without the colocated ones (FTS5
 * skips those there) and without stemming.  Several times cheaper.
 */
#define WENDA_TOKENIZE_AUX 4

/*
 * A text that is WENDA_TOKEN_VERBATIM followed by a slug (lowercase ASCII
 * letters, digits and single inner hyphens, 64 bytes at most: the rule of
 * wenda_slug_valid()), and nothing else, is one token, the whole text, in
 * every mode.  The full-text index holds a topic's category that way: no
 * other text gives such a token, since U+FDD0, a noncharacter, is a
 * separator everywhere else.
 */
#define WENDA_TOKEN_VERBATIM "\xEF\xB7\x90" /* U+FDD0 in UTF-8 */

/* Token flag: the token shares the position of the token before it. */
#define WENDA_TOKEN_COLOCATED 1 /* same value as FTS5_TOKEN_COLOCATED */

/*
 * Receives one token: flags is 0 or WENDA_TOKEN_COLOCATED, token[0..ntoken)
 * its bytes (not NUL-terminated, valid only during the call), start/end
 * the byte range in the original text it came from.  Returning non-zero
 * stops tokenizing.  Same shape as FTS5's xToken, which may be passed as is.
 */
typedef int (*wenda_token_fn)(void *ctx, int flags, const char *token,
                              int ntoken, int start, int end);

/*
 * Creates a tokenizer in *out: opens OpenCC's tw2sp.json, an ICU word
 * break iterator (locale "zh") and libstemmer's "english" stemmer in UTF-8.
 * The first call in a process also builds a shared table of traditional-only
 * characters (about 30 ms).  ICU's "Han-Latin; Latin-ASCII" transliterator
 * is opened lazily by the first wenda_tokenizer_pinyin() call (it costs
 * about 100 ms the first time in a process and FTS5 instances never need
 * it).  The caller frees *out with wenda_tokenizer_free().
 * Errors: WENDA_ERR_NOMEM; WENDA_ERR_INTERNAL when a library or its data
 * (OpenCC's dictionaries, ICU, libstemmer) cannot be opened; *out is then
 * NULL.
 */
enum wenda_err wenda_tokenizer_new(struct wenda_tokenizer **out);

/* Frees tk and everything it owns; NULL is a no-op. */
void wenda_tokenizer_free(struct wenda_tokenizer *tk);

/*
 * Calls fn(ctx, ...) once per token of text[0..ntext) in order, mode being
 * WENDA_TOKENIZE_DOCUMENT, WENDA_TOKENIZE_QUERY or
 * WENDA_TOKENIZE_QUERY | WENDA_TOKENIZE_PREFIX.  start/end are byte offsets
 * into text covering the characters the token came from, with
 * 0 <= start < end <= ntext; starts never decrease from one token to the
 * next, and neither do the ends of non-colocated tokens (FTS5's
 * highlight() relies on both).  Invalid UTF-8 bytes are skipped and
 * separate tokens.  text may be NULL when ntext is 0.
 *
 * If fn returns non-zero, tokenizing stops, the value is stored in *fn_rc
 * and the result is WENDA_OK; otherwise *fn_rc is set to 0.  fn_rc may be
 * NULL.  Errors: WENDA_ERR_INVALID (tk or fn NULL, ntext < 0, text NULL with
 * ntext > 0, unknown mode bits), WENDA_ERR_NOMEM, WENDA_ERR_INTERNAL
 * (OpenCC, ICU or the stemmer failed); tokens may have been delivered
 * before an error, and tk stays usable.
 */
enum wenda_err wenda_tokenize(struct wenda_tokenizer *tk, int mode,
                              const char *text, int ntext, wenda_token_fn fn,
                              void *ctx, int *fn_rc);

/*
 * Writes toneless pinyin of text[0..ntext) to *out for the pinyin column:
 * for each run of Han characters (after the same normalization as
 * wenda_tokenize, including traditional -> simplified and numerals next to
 * Han), the syllables joined without spaces, then, if there are several,
 * the syllables separated by spaces; runs are separated by one space and
 * non-Han text is dropped.  "死锁" gives "sisuo si suo", "信号量" gives
 * "xinhaoliang xin hao liang", "锁" gives "suo", "GIL" gives "".  Readings
 * are ICU's (one per character, no context: 银行 gives "yinxing"), and ü
 * becomes u.  *out is a NUL-terminated string from malloc(); the caller
 * frees it.  Errors: WENDA_ERR_INVALID (NULL arguments),
 * WENDA_ERR_TOO_LARGE (ntext > INT_MAX), WENDA_ERR_NOMEM,
 * WENDA_ERR_INTERNAL (OpenCC or ICU failed); *out is then NULL.
 */
enum wenda_err wenda_tokenizer_pinyin(struct wenda_tokenizer *tk,
                                      const char *text, size_t ntext,
                                      char **out);

#endif /* WENDA_TOKENIZE_H */
