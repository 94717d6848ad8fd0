/*
 * cluster_entry.c -- a batch of write jobs as one entry of the Raft log.
 *
 * An entry is a type byte and its payload:
 *
 *   'J'  a JSON object {"v":1, "origin", "boot", "seq", "stamp", "jobs"}:
 *        the batch, each job with what applying it needs and nothing of the
 *        HTTP request it came from.  stamp is the time the leader fixed for
 *        every row the batch writes; origin, boot and seq name the batch so
 *        that the node that proposed it finds its jobs again to answer
 *        them.  A new token is in it by its hash only.
 *   'S'  a database image (see cluster.c), the seed of a new cluster.
 *   'U'  a JSON object {"id","url"}: the HTTP base URL of a node.
 *
 * Decoding checks every field, since a log outlives the binary that wrote
 * it; an entry that does not decode is applied as nothing, on every node
 * alike.
 */
#include "cluster_int.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "wenda/auth.h"
#include "wenda/content.h"
#include "writer.h"

static const char *const kind_names[] = {
    [WRITE_CREATE] = "create",
    [WRITE_REPLACE] = "replace",
    [WRITE_PATCH] = "patch",
    [WRITE_DELETE] = "delete",
    [WRITE_IMPORT] = "import",
    [WRITE_TOKEN_CREATE] = "token",
    [WRITE_TOKEN_REVOKE] = "revoke",
    [WRITE_PROGRESS] = "progress",
    [WRITE_LEXICON] = "lexicon",
};

#define NKINDS (sizeof(kind_names) / sizeof(kind_names[0]))

/* Returns the job as a JSON object, or NULL when out of memory. */
static json_t *
job_json(const struct write_job *job)
{
    json_t *o = json_object(), *a;
    char hash[WENDA_AUTH_HASH_LEN * 2 + 1];
    size_t i;
    int bad = o == NULL;

    if ((size_t)job->kind >= NKINDS || kind_names[job->kind] == NULL) {
        json_decref(o);
        return NULL;
    }
    bad |= json_object_set_new(o, "k", json_string(kind_names[job->kind]));
    bad |= json_object_set_new(o, "who", json_string(job->who));
    bad |= json_object_set_new(o, "tid", json_integer(job->token_id));
    bad |= json_object_set_new(o, "id", json_integer(job->id));
    bad |= json_object_set_new(o, "if", json_string(job->if_match));
    switch (job->kind) {
    case WRITE_CREATE:
    case WRITE_REPLACE:
        bad |= json_object_set_new(o, "topic",
                                   wenda_topic_editable_json(&job->topic));
        break;
    case WRITE_PATCH:
        bad |= json_object_set(o, "patch", job->patch);
        break;
    case WRITE_IMPORT:
        a = json_array();
        bad |= json_object_set_new(o, "topics", a);
        for (i = 0; a != NULL && i < job->ntopics; i++)
            bad |= json_array_append_new(
                a, wenda_topic_editable_json(&job->topics[i]));
        a = json_array();
        bad |= json_object_set_new(o, "lines", a);
        for (i = 0; a != NULL && job->lines != NULL && i < job->ntopics; i++)
            bad |= json_array_append_new(a,
                                         json_integer((json_int_t)
                                                          job->lines[i]));
        break;
    case WRITE_TOKEN_CREATE:
        (void)sodium_bin2hex(hash, sizeof(hash), job->token_hash,
                             sizeof(job->token_hash));
        bad |= json_object_set_new(o, "role", json_integer(job->role));
        bad |= json_object_set_new(o, "name", json_string(job->token_name));
        bad |= json_object_set_new(o, "hash", json_string(hash));
        bad |= json_object_set_new(o, "created",
                                   json_string(job->token_created));
        bad |= json_object_set_new(o, "expires",
                                   json_string(job->token_expires));
        break;
    case WRITE_PROGRESS:
        bad |= json_object_set_new(o, "grade", json_integer(job->role));
        break;
    case WRITE_LEXICON:
        bad |= json_object_set_new(o, "name", json_string(job->lexicon));
        bad |= json_object_set_new(o, "doc", json_string(job->doc));
        break;
    default:
        break;
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

char *
cluster_entry_encode(struct write_job *const *jobs, size_t n,
                     const struct cluster_entry_id *eid, const char *stamp,
                     size_t *len)
{
    json_t *o = json_object(), *a = json_array();
    char *text, *out = NULL;
    size_t i, tlen;
    int bad = o == NULL || a == NULL;

    bad |= json_object_set_new(o, "v", json_integer(1));
    bad |= json_object_set_new(o, "origin", json_integer(eid->origin));
    bad |= json_object_set_new(o, "boot", json_integer(eid->boot));
    bad |= json_object_set_new(o, "seq", json_integer(eid->seq));
    bad |= json_object_set_new(o, "stamp", json_string(stamp));
    bad |= json_object_set(o, "jobs", a);
    for (i = 0; !bad && i < n; i++)
        bad |= json_array_append_new(a, job_json(jobs[i]));
    json_decref(a);
    text = bad ? NULL : json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (text == NULL)
        return NULL;
    tlen = strlen(text);
    out = malloc(tlen + 1);
    if (out != NULL) {
        out[0] = CLUSTER_ENTRY_JOBS;
        memcpy(out + 1, text, tlen);
        *len = tlen + 1;
    }
    free(text);
    return out;
}

/* Copies the string member key of o into out (cap bytes); 0 when it is
 * missing, not a string or too long. */
static int
get_str(const json_t *o, const char *key, char *out, size_t cap)
{
    const json_t *v = json_object_get(o, key);
    size_t n;

    if (!json_is_string(v))
        return 0;
    n = json_string_length(v);
    if (n >= cap || memchr(json_string_value(v), '\0', n) != NULL)
        return 0;
    memcpy(out, json_string_value(v), n + 1);
    return 1;
}

/* Reads the integer member key of o into *out; 0 when it is missing. */
static int
get_int(const json_t *o, const char *key, int64_t *out)
{
    const json_t *v = json_object_get(o, key);

    if (!json_is_integer(v))
        return 0;
    *out = (int64_t)json_integer_value(v);
    return 1;
}

/* Reads a topic's editable JSON into *t; 0 when it is not a valid one. */
static int
get_topic(const json_t *v, struct wenda_topic *t)
{
    struct wenda_problems p = {0};
    enum wenda_err rc;

    rc = wenda_topic_read_json(v, t, &p);
    wenda_problems_cleanup(&p);
    return rc == WENDA_OK;
}

static int
get_import(const json_t *o, struct write_job *job)
{
    const json_t *topics = json_object_get(o, "topics");
    const json_t *lines = json_object_get(o, "lines");
    size_t i, n = json_array_size(topics);

    if (!json_is_array(topics) || !json_is_array(lines) ||
        json_array_size(lines) != n || n == 0)
        return 0;
    job->topics = calloc(n, sizeof(*job->topics));
    job->lines = calloc(n, sizeof(*job->lines));
    if (job->topics == NULL || job->lines == NULL)
        return 0;
    for (i = 0; i < n; i++) {
        const json_t *l = json_array_get(lines, i);

        if (!json_is_integer(l) || json_integer_value(l) < 1 ||
            !get_topic(json_array_get(topics, i), &job->topics[i]))
            return 0;
        job->lines[i] = (size_t)json_integer_value(l);
        job->ntopics = i + 1;
    }
    return 1;
}

static int
get_token(const json_t *o, struct write_job *job)
{
    char hex[WENDA_AUTH_HASH_LEN * 2 + 1];
    size_t got = 0;
    int64_t role = 0;

    if (!get_int(o, "role", &role) || role < WENDA_ROLE_READER ||
        role > WENDA_ROLE_ADMIN ||
        !get_str(o, "name", job->token_name, sizeof(job->token_name)) ||
        !get_str(o, "hash", hex, sizeof(hex)) ||
        !get_str(o, "created", job->token_created,
                 sizeof(job->token_created)) ||
        !get_str(o, "expires", job->token_expires,
                 sizeof(job->token_expires)) ||
        sodium_hex2bin(job->token_hash, sizeof(job->token_hash), hex,
                       strlen(hex), NULL, &got, NULL) != 0 ||
        got != sizeof(job->token_hash))
        return 0;
    job->role = (int)role;
    job->minted = 1;
    return 1;
}

/* Reads one job of an entry into *job (zeroed); 0 when it is not one. */
static int
get_job(const json_t *o, struct write_job *job)
{
    char kind[16], name[16];
    int64_t grade = 0;
    size_t k;

    if (!json_is_object(o) || !get_str(o, "k", kind, sizeof(kind)) ||
        !get_str(o, "who", job->who, sizeof(job->who)) ||
        !get_int(o, "tid", &job->token_id) || !get_int(o, "id", &job->id) ||
        !get_str(o, "if", job->if_match, sizeof(job->if_match)))
        return 0;
    for (k = 0; k < NKINDS; k++)
        if (kind_names[k] != NULL && strcmp(kind_names[k], kind) == 0)
            break;
    if (k == NKINDS)
        return 0;
    job->kind = (enum write_kind)k;
    switch (job->kind) {
    case WRITE_CREATE:
    case WRITE_REPLACE:
        return get_topic(json_object_get(o, "topic"), &job->topic);
    case WRITE_PATCH:
        job->patch = json_incref(json_object_get(o, "patch"));
        return job->patch != NULL;
    case WRITE_IMPORT:
        return get_import(o, job);
    case WRITE_TOKEN_CREATE:
        return get_token(o, job);
    case WRITE_PROGRESS:
        if (!get_int(o, "grade", &grade) || grade < 0 || grade > 5)
            return 0;
        job->role = (int)grade;
        return 1;
    case WRITE_LEXICON:
        if (!get_str(o, "name", name, sizeof(name)))
            return 0;
        if (strcmp(name, "synonyms") == 0)
            job->lexicon = "synonyms";
        else if (strcmp(name, "dictionary") == 0)
            job->lexicon = "dictionary";
        else
            return 0;
        job->doc = json_is_string(json_object_get(o, "doc"))
                       ? strdup(json_string_value(json_object_get(o, "doc")))
                       : NULL;
        return job->doc != NULL;
    default:
        return 1;
    }
}

enum wenda_err
cluster_entry_decode(const char *buf, size_t len, struct cluster_entry *out)
{
    json_t *o, *jobs;
    json_error_t e;
    int64_t v = 0, origin = 0, boot = 0, seq = 0;
    size_t i, n;

    memset(out, 0, sizeof(*out));
    if (len < 2 || buf[0] != CLUSTER_ENTRY_JOBS)
        return WENDA_ERR_PARSE;
    o = json_loadb(buf + 1, strnlen(buf + 1, len - 1), 0, &e);   /* the
                                                           padding off */
    jobs = json_object_get(o, "jobs");
    n = json_array_size(jobs);
    if (!json_is_object(o) || !get_int(o, "v", &v) || v != 1 ||
        !get_int(o, "origin", &origin) || !get_int(o, "boot", &boot) ||
        !get_int(o, "seq", &seq) ||
        !get_str(o, "stamp", out->stamp, sizeof(out->stamp)) ||
        !json_is_array(jobs) || n == 0 || n > CLUSTER_ENTRY_MAX_JOBS) {
        json_decref(o);
        return WENDA_ERR_PARSE;
    }
    out->id.origin = (unsigned int)origin;
    out->id.boot = (uint64_t)boot;
    out->id.seq = (uint64_t)seq;
    out->jobs = calloc(n, sizeof(*out->jobs));
    if (out->jobs == NULL) {
        json_decref(o);
        return WENDA_ERR_NOMEM;
    }
    for (i = 0; i < n; i++) {
        out->n = i + 1;
        if (!get_job(json_array_get(jobs, i), &out->jobs[i])) {
            json_decref(o);
            cluster_entry_cleanup(out);
            return WENDA_ERR_PARSE;
        }
    }
    json_decref(o);
    return WENDA_OK;
}

void
cluster_entry_cleanup(struct cluster_entry *e)
{
    size_t i;

    for (i = 0; e->jobs != NULL && i < e->n; i++) {
        sodium_memzero(e->jobs[i].token, sizeof(e->jobs[i].token));
        write_job_cleanup(&e->jobs[i]);
    }
    free(e->jobs);
    e->jobs = NULL;
    e->n = 0;
}
