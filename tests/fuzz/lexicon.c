/*
 * lexicon.c -- libFuzzer harness of the bodies of PUT /v1/synonyms and
 * PUT /v1/dictionary: parsed as the API parses a body (jansson, duplicates
 * rejected; any JSON value, not only objects), then checked by both
 * wenda_lexicon_synonyms() and wenda_lexicon_dictionary().
 *
 * A refusal must name its problem (by a JSON pointer, or the body as a
 * whole) and keep nothing.  A document accepted must hold what the checks
 * promise, and, as `wenda export` writes it and `wenda import` reads it
 * back, survive the round trip through its YAML file unchanged.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "wenda/content.h"
#include "wenda/lexicon.h"
#include "wenda/tokenize.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct wenda_tokenizer *tk;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (wenda_tokenizer_new(&tk) != WENDA_OK)
        fuzz_die("no tokenizer");
    return 0;
}

/* Checks what a refusal must be: a message that names where, nothing
 * kept. */
static void
check_refusal(const char *what, const char *msg,
              const struct wenda_lexicon *lx)
{
    if (msg[0] != '/' && strcmp(msg, "the body must be a JSON object") != 0)
        fuzz_die("%s: a refusal that names no value: \"%s\"", what, msg);
    if (lx->sets != NULL || lx->nsets != 0 || lx->words != NULL ||
        lx->nwords != 0)
        fuzz_die("%s: a refused document was kept in part", what);
}

/* Checks the sets of an accepted synonyms document. */
static void
check_sets(const json_t *doc, const struct wenda_lexicon *lx)
{
    size_t i, j;

    if (lx->nsets != json_array_size(json_object_get(doc, "groups")) +
                         json_array_size(json_object_get(doc, "rules")))
        fuzz_die("synonyms: %zu sets of a document of more or fewer",
                 lx->nsets);
    for (i = 0; i < lx->nsets; i++) {
        if (lx->sets[i].n < 2 || lx->sets[i].n > WENDA_LEXICON_MAX_TERMS)
            fuzz_die("synonyms: a set of %zu terms", lx->sets[i].n);
        for (j = 0; j < lx->sets[i].n; j++) {
            const char *t = lx->sets[i].terms[j];
            size_t n = strlen(t);

            if (n == 0 || n > WENDA_LEXICON_MAX_TERM ||
                !wenda_utf8_valid(t, n, NULL) || t[0] == ' ' ||
                t[n - 1] == ' ')
                fuzz_die("synonyms: an accepted term breaks the rules: "
                         "\"%s\"", t);
        }
    }
}

/*
 * Writes the accepted document doc as its file, reads the file back as
 * name, and checks that it is the same document, stored the same way.
 */
static void
check_file_round_trip(const json_t *doc, const char *name)
{
    char *json = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    char *file = NULL, *back = NULL;
    size_t n = 0;

    if (json == NULL)
        fuzz_die("%s: an accepted document cannot be written", name);
    if (wenda_content_format_lexicon(json, &file, &n) != WENDA_OK)
        fuzz_die("%s: an accepted document has no file: %s", name, json);
    if (wenda_content_parse_lexicon("f.yml", name, file, n, &back,
                                    fuzz_quiet_diag, NULL) != WENDA_OK)
        fuzz_die("%s: the file of an accepted document is refused:\n%s",
                 name, file);
    if (strcmp(json, back) != 0)
        fuzz_die("%s: %s\nwritten as\n%s\nreads back as %s", name, json,
                 file, back);
    free(json);
    free(file);
    free(back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wenda_lexicon lx = {0};
    json_error_t err;
    char msg[256];
    json_t *doc;
    enum wenda_err rc;

    doc = json_loadb((const char *)data, size,
                     JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (doc == NULL)
        return 0;
    msg[0] = '\0';
    rc = wenda_lexicon_synonyms(tk, doc, &lx, msg, sizeof(msg));
    if (rc == WENDA_ERR_INVALID)
        check_refusal("synonyms", msg, &lx);
    else if (rc != WENDA_OK)
        fuzz_die("synonyms: %s", wenda_err_title(rc));
    else
        check_sets(doc, &lx);
    if (rc == WENDA_OK && json_is_object(doc))
        check_file_round_trip(doc, "synonyms");
    wenda_lexicon_cleanup(&lx);
    msg[0] = '\0';
    rc = wenda_lexicon_dictionary(doc, &lx, msg, sizeof(msg));
    if (rc == WENDA_ERR_INVALID)
        check_refusal("dictionary", msg, &lx);
    else if (rc != WENDA_OK)
        fuzz_die("dictionary: %s", wenda_err_title(rc));
    else if (lx.nwords != json_array_size(json_object_get(doc, "words")))
        fuzz_die("dictionary: %zu words of a document of more or fewer",
                 lx.nwords);
    if (rc == WENDA_OK && json_is_object(doc))
        check_file_round_trip(doc, "dictionary");
    wenda_lexicon_cleanup(&lx);
    json_decref(doc);
    return 0;
}
