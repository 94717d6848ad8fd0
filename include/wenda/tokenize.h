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

#include <sqlite3.h>

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

/*
 * A recorded token stream: the tokens of one text in DOCUMENT mode, as
 * wenda_tokenize() delivered them, so that they can be handed to FTS5
 * later, on another thread, without tokenizing again (see
 * wenda_tokenize_preset()).  Zero-initialize one before use; release it
 * with wenda_token_stream_cleanup().
 */
struct wenda_token_rec {
    int flags;      /* 0 or WENDA_TOKEN_COLOCATED */
    int start, end; /* byte range in the text */
    size_t off;     /* the token's bytes: bytes[off..off + len) */
    int len;
};

struct wenda_token_stream {
    struct wenda_token_rec *tok;
    size_t n, cap;
    char *bytes; /* every token's bytes, one after the other */
    size_t nbytes, capbytes;
};

/*
 * Tokenizes text[0..ntext) in DOCUMENT mode -- exactly as the FTS5
 * tokenizer does when a row is written -- and appends every token to
 * *out.  Errors: those of wenda_tokenize(), WENDA_ERR_NOMEM when *out
 * cannot grow; *out then holds part of the tokens (clean it up).
 */
enum wenda_err wenda_tokenize_record(struct wenda_tokenizer *tk,
                                     const char *text, int ntext,
                                     struct wenda_token_stream *out);

/*
 * Calls fn(ctx, ...) once per token of s, in the order they were
 * recorded, with the same arguments wenda_tokenize() gave.  Stops when fn
 * returns non-zero and returns that value; otherwise returns 0.
 */
int wenda_token_stream_replay(const struct wenda_token_stream *s,
                              wenda_token_fn fn, void *ctx);

/* Frees what s owns and zeroes it; NULL is fine. */
void wenda_token_stream_cleanup(struct wenda_token_stream *s);

/* One text and the tokens recorded for it by wenda_tokenize_record(). */
struct wenda_token_preset {
    const char *text;
    int ntext;
    const struct wenda_token_stream *tokens;
};

/*
 * Hands the "wenda" FTS5 tokenizer tokens it would otherwise compute, on
 * the calling thread only: until the next call, when FTS5 asks it on this
 * thread to tokenize a document (FTS5_TOKENIZE_DOCUMENT, the mode of an
 * INSERT) whose text is byte for byte that of one of p[0..n), it replays
 * that preset's tokens instead.  Any other text, and every query and
 * snippet, is tokenized as usual; since tokenizing is deterministic, the
 * index is the same either way.  p[] and what it points to are borrowed
 * and must stay valid until the preset is replaced or cleared:
 * wenda_tokenize_preset(NULL, 0) clears it.
 */
void wenda_tokenize_preset(const struct wenda_token_preset *p, size_t n);

/*
 * Registers the FTS5 tokenizer "wenda" on db through its fts5_api, so that
 * CREATE VIRTUAL TABLE x USING fts5(a, b, tokenize='wenda') works.  Each
 * FTS5 tokenizer instance owns its own struct wenda_tokenizer; the
 * tokenizer takes no arguments.  FTS5_TOKENIZE_QUERY and
 * FTS5_TOKENIZE_PREFIX map to the modes above; document and auxiliary
 * (snippet, highlight) tokenizing use WENDA_TOKENIZE_DOCUMENT.
 * Errors: WENDA_ERR_INVALID (db NULL), WENDA_ERR_DB (no FTS5 in this SQLite,
 * or registration failed).
 */
enum wenda_err wenda_tokenize_register(sqlite3 *db);

#endif /* WENDA_TOKENIZE_H */
