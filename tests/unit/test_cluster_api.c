/*
 * test_cluster_api.c -- the answers of a cluster node's writes as
 * api_write_answer() makes them from a job's result, which a cluster of
 * one node never gives: a follower's 307 to the leader, with the request
 * as sent, and the statuses of adding and removing a node.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

/* The value of header name in res, or NULL. */
static const char *
header(const struct api_response *res, const char *name)
{
    size_t i;

    for (i = 0; i < res->nheaders; i++)
        if (strcmp(res->headers[i].name, name) == 0)
            return res->headers[i].value;
    return NULL;
}

/* The problem body of res, parsed (a new reference). */
static json_t *
problem(const struct api_response *res)
{
    json_error_t err;
    json_t *o = json_loadb(res->body, res->len, 0, &err);

    cr_assert_not_null(o, "not JSON: %s", err.text);
    cr_assert_str_eq(res->content_type,
                     "application/problem+json; charset=utf-8");
    return o;
}

Test(cluster_api, a_follower_redirects_a_write_to_the_same_request_at_the_leader)
{
    struct write_job job;
    struct api_response res;
    json_t *o;

    memset(&job, 0, sizeof(job));
    job.kind = WRITE_PATCH;
    job.result.rc = WENDA_ERR_NOT_LEADER;
    (void)snprintf(job.result.msg, sizeof(job.result.msg),
                   "http://10.0.0.1:8080");
    api_write_answer(&job, "/v1/topics/tcp%2Dhandshake?x=a+b&y=%E4%B8%AD",
                     &res);
    cr_expect_eq(res.status, 307);
    cr_expect_str_eq(header(&res, "Location"),
                     "http://10.0.0.1:8080/v1/topics/tcp%2Dhandshake?x=a+b&"
                     "y=%E4%B8%AD");
    cr_expect_str_eq(header(&res, "Wenda-Leader"), "http://10.0.0.1:8080");
    cr_expect_null(header(&res, "Retry-After"));
    o = problem(&res);
    cr_expect_str_eq(json_string_value(json_object_get(o, "type")),
                     "/problems/not-leader");
    cr_expect_eq(json_integer_value(json_object_get(o, "status")), 307);
    cr_expect_str_eq(json_string_value(json_object_get(o, "leader")),
                     "http://10.0.0.1:8080");
    cr_expect_not_null(
        strstr(json_string_value(json_object_get(o, "detail")),
               "http://10.0.0.1:8080"));
    json_decref(o);
    api_response_cleanup(&res);
}

Test(cluster_api, a_follower_that_knows_no_leader_answers_503)
{
    struct write_job job;
    struct api_response res;
    json_t *o;

    memset(&job, 0, sizeof(job));
    job.kind = WRITE_CREATE;
    job.result.rc = WENDA_ERR_NOT_LEADER;
    api_write_answer(&job, "/v1/topics", &res);
    cr_expect_eq(res.status, 503);
    cr_expect_str_eq(header(&res, "Retry-After"), "1");
    cr_expect_null(header(&res, "Location"));
    o = problem(&res);
    cr_expect_str_eq(json_string_value(json_object_get(o, "type")),
                     "/problems/no-leader");
    json_decref(o);
    api_response_cleanup(&res);

    memset(&job, 0, sizeof(job));
    job.kind = WRITE_CREATE;
    job.result.rc = WENDA_ERR_NO_LEADER;
    api_write_answer(&job, "/v1/topics", &res);
    cr_expect_eq(res.status, 503);
    cr_expect_str_eq(header(&res, "Retry-After"), "1");
    api_response_cleanup(&res);
}

Test(cluster_api, a_node_added_is_201_with_the_status_and_one_removed_204)
{
    static const char status[] = "{\"id\":1,\"role\":\"leader\"}";
    struct write_job job;
    struct api_response res;

    memset(&job, 0, sizeof(job));
    job.kind = WRITE_CLUSTER_ADD;
    job.result.body = strdup(status);
    job.result.len = strlen(status);
    job.result.index = 42;
    api_write_answer(&job, "/v1/cluster/nodes", &res);
    cr_expect_eq(res.status, 201);
    cr_expect_eq(res.index, 42);
    cr_assert_eq(res.len, strlen(status));
    cr_expect_eq(memcmp(res.body, status, res.len), 0);
    cr_expect_null(job.result.body, "the body moved to the answer");
    api_response_cleanup(&res);

    memset(&job, 0, sizeof(job));
    job.kind = WRITE_CLUSTER_REMOVE;
    job.result.body = strdup(status);
    job.result.len = strlen(status);
    job.result.index = 43;
    api_write_answer(&job, "/v1/cluster/nodes/2", &res);
    cr_expect_eq(res.status, 204);
    cr_expect_eq(res.index, 43);
    cr_expect_null(res.body);
    api_response_cleanup(&res);
}
