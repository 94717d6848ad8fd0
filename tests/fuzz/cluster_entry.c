/*
 * cluster_entry.c -- libFuzzer harness of a cluster's log entries: what a
 * node decodes (cluster_entry_decode()) from an entry another node sent.
 *
 * An entry that decodes must encode again (cluster_entry_encode()) into
 * one that decodes to the same jobs: the same kinds, ids, preconditions
 * and the same time, so that what a node applies is what was proposed.
 * Padding NULs, as libraft delivers them, are added half of the time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_int.h"
#include "fuzzutil.h"
#include "writer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fails unless a and b hold the same jobs. */
static void
same_entry(const struct cluster_entry *a, const struct cluster_entry *b)
{
    size_t i;

    if (a->n != b->n || strcmp(a->stamp, b->stamp) != 0 ||
        a->id.origin != b->id.origin || a->id.seq != b->id.seq ||
        a->id.boot != b->id.boot)
        fuzz_die("an entry encoded again is another entry");
    for (i = 0; i < a->n; i++) {
        const struct write_job *x = &a->jobs[i], *y = &b->jobs[i];

        if (x->kind != y->kind || x->id != y->id ||
            x->token_id != y->token_id || x->role != y->role ||
            x->ntopics != y->ntopics || strcmp(x->who, y->who) != 0 ||
            strcmp(x->if_match, y->if_match) != 0)
            fuzz_die("job %zu changed when encoded again", i);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cluster_entry e, again;
    struct write_job *ptrs[CLUSTER_ENTRY_MAX_JOBS];
    char *buf, *out;
    size_t len = size, outlen = 0, i;

    if (size > 0 && (data[0] & 1))   /* as libraft pads it */
        len = (size + 7) & ~(size_t)7;
    buf = calloc(1, len + 1);
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    if (cluster_entry_decode(buf, len, &e) != WENDA_OK) {
        free(buf);
        return 0;
    }
    for (i = 0; i < e.n; i++)
        ptrs[i] = &e.jobs[i];
    out = cluster_entry_encode(ptrs, e.n, &e.id, e.stamp, &outlen);
    if (out == NULL)
        fuzz_die("an entry that decodes does not encode");
    if (cluster_entry_decode(out, outlen, &again) != WENDA_OK)
        fuzz_die("an entry encoded again does not decode: %.*s",
                 (int)(outlen > 300 ? 300 : outlen), out);
    same_entry(&e, &again);
    cluster_entry_cleanup(&again);
    cluster_entry_cleanup(&e);
    free(out);
    free(buf);
    return 0;
}
