/*
 * tokenize_int.h -- what the core's other files take from the tokenizer
 * and an embedding app does not: its character classes (the query builder
 * cuts a query where the tokenizer cuts text, so both ask the same
 * function); its registration with SQLite as the FTS5 tokenizer "wenda";
 * and the recording of tokens on worker threads that an import replays
 * into FTS5 on the writer's.
 */
#ifndef WENDA_TOKENIZE_INT_H
#define WENDA_TOKENIZE_INT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "wenda/err.h"
#include "wenda/tokenize.h"

/*
 * Returns 1 when code point cp is Han as the tokenizer counts it
 * (Script=Han, roughly: ideographs of every block, CJK and Kangxi
 * radicals, 々, 〇 and the Hangzhou numerals), else 0.
 */
int wenda_tokenize_is_han(int32_t cp);

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

#endif /* WENDA_TOKENIZE_INT_H */
