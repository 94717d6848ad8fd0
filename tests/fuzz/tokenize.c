/*
 * tokenize.c -- libFuzzer harness of wenda's tokenizer, wenda_tokenize()
 * in every mode, and of wenda_tokenizer_pinyin().
 *
 * The tokens must keep the promises of tokenize.h that FTS5 relies on:
 * 0 <= start < end <= ntext, starts that never decrease, ends of
 * non-colocated tokens that never decrease, no colocated first token; and
 * each token is non-empty UTF-8.  Pinyin is printable ASCII.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "wenda/content.h"
#include "wenda/tokenize.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct wenda_tokenizer *tk;

struct seen {
    int mode, ntext, count;
    int last_start, last_end;
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (wenda_tokenizer_new(&tk) != WENDA_OK)
        fuzz_die("no tokenizer");
    return 0;
}

static int
on_token(void *ctx, int flags, const char *token, int ntoken, int start,
         int end)
{
    struct seen *s = ctx;

    if (ntoken <= 0 || token == NULL ||
        !wenda_utf8_valid(token, (size_t)ntoken, NULL))
        fuzz_die("mode %d: token %d is empty or not UTF-8", s->mode, s->count);
    if (start < 0 || start >= end || end > s->ntext)
        fuzz_die("mode %d: token %d spans [%d, %d) of %d bytes", s->mode,
                 s->count, start, end, s->ntext);
    if (s->count == 0 && (flags & WENDA_TOKEN_COLOCATED))
        fuzz_die("mode %d: the first token is colocated", s->mode);
    if (s->count > 0 && start < s->last_start)
        fuzz_die("mode %d: token %d starts at %d, before %d", s->mode, s->count,
                 start, s->last_start);
    if (!(flags & WENDA_TOKEN_COLOCATED)) {
        if (s->count > 0 && end < s->last_end)
            fuzz_die("mode %d: token %d ends at %d, before %d", s->mode,
                     s->count, end, s->last_end);
        s->last_end = end;
    }
    s->last_start = start;
    s->count++;
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int modes[] = {WENDA_TOKENIZE_DOCUMENT, WENDA_TOKENIZE_QUERY,
                                WENDA_TOKENIZE_QUERY | WENDA_TOKENIZE_PREFIX,
                                WENDA_TOKENIZE_AUX};
    const char *text = (const char *)data;
    char *py = NULL;
    size_t i;

    if (size > 65536)
        return 0;
    for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        struct seen s = {modes[i], (int)size, 0, 0, 0};
        int fn_rc = -1;

        if (wenda_tokenize(tk, modes[i], text, (int)size, on_token, &s,
                           &fn_rc) != WENDA_OK ||
            fn_rc != 0)
            fuzz_die("mode %d: wenda_tokenize failed", modes[i]);
    }
    if (wenda_tokenizer_pinyin(tk, text, size, &py) != WENDA_OK)
        fuzz_die("wenda_tokenizer_pinyin failed");
    for (i = 0; py[i] != '\0'; i++)
        if (py[i] < ' ' || py[i] > '~')
            fuzz_die("pinyin byte %zu is 0x%02x", i, (unsigned char)py[i]);
    free(py);
    return 0;
}
