/*
 * store_progress.c -- learners' progress: a review graded by SM-2
 * (study.c) and stored per token and topic, and the topics due.
 */
#include "wenda/store.h"
#include "store_impl.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "wenda/study.h"

/* ---- learners' progress -------------------------------------------------- */

enum wenda_err
wenda_store_progress_review(struct wenda_store *st, int64_t token,
                            int64_t topic, int grade, char **json,
                            size_t *len)
{
    struct wenda_sm2 sm = wenda_sm2_init();
    char now[32], due[WENDA_SM2_DUE_CAP];
    struct buf b = {0};
    sqlite3_stmt *s;
    enum wenda_err rc;
    int step;

    *json = NULL;
    *len = 0;
    if (wenda_store_int(st, S_HAS_TOPIC, NULL, topic) != 1)
        return WENDA_ERR_NOT_FOUND;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT repetitions, interval_days, easiness "
                           "FROM progress WHERE token_id = ?1 AND "
                           "topic_id = ?2",
                           -1, &s, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    sqlite3_bind_int64(s, 1, token);
    sqlite3_bind_int64(s, 2, topic);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        sm.repetitions = sqlite3_column_int(s, 0);
        sm.interval_days = sqlite3_column_int(s, 1);
        sm.easiness = sqlite3_column_double(s, 2);
    }
    sqlite3_finalize(s);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return WENDA_ERR_DB;
    rc = wenda_sm2_review(&sm, grade);
    if (rc != WENDA_OK)
        return rc;
    wenda_store_now(now, sizeof(now));
    rc = wenda_sm2_due(now, sm.interval_days, due);
    if (rc != WENDA_OK)
        return rc;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO progress(token_id, topic_id, "
                           "repetitions, interval_days, easiness, grade, "
                           "reviewed_at, due_at) VALUES (?1, ?2, ?3, ?4, ?5, "
                           "?6, ?7, ?8) ON CONFLICT(token_id, topic_id) DO "
                           "UPDATE SET repetitions = ?3, interval_days = ?4, "
                           "easiness = ?5, grade = ?6, reviewed_at = ?7, "
                           "due_at = ?8",
                           -1, &s, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    sqlite3_bind_int64(s, 1, token);
    sqlite3_bind_int64(s, 2, topic);
    sqlite3_bind_int(s, 3, sm.repetitions);
    sqlite3_bind_int(s, 4, sm.interval_days);
    sqlite3_bind_double(s, 5, sm.easiness);
    sqlite3_bind_int(s, 6, grade);
    sqlite3_bind_text(s, 7, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, due, -1, SQLITE_STATIC);
    step = sqlite3_step(s);
    sqlite3_finalize(s);
    if (step != SQLITE_DONE)
        return WENDA_ERR_DB;
    wenda_buf_addf(
        &b,
        "{\"topic\":%lld,\"grade\":%d,\"repetitions\":%d,"
        "\"interval_days\":%d,\"easiness\":%.2f,\"reviewed_at\":\"%s\","
        "\"due_at\":\"%s\"}",
        (long long)topic, grade, sm.repetitions, sm.interval_days, sm.easiness,
        now, due);
    *json = wenda_buf_take(&b, len);
    return *json ? WENDA_OK : WENDA_ERR_NOMEM;
}

enum wenda_err
wenda_store_progress_due(struct wenda_store *st, int64_t token,
                         unsigned int limit, char **json, size_t *len)
{
    char now[32];
    struct buf b = {0};
    sqlite3_stmt *s;
    int step, n = 0;

    *json = NULL;
    *len = 0;
    wenda_store_now(now, sizeof(now));
    if (sqlite3_prepare_v2(st->db,
                           "SELECT t.id, t.slug, t.title, p.due_at, "
                           "p.repetitions, p.interval_days FROM progress p "
                           "JOIN topics t ON t.id = p.topic_id "
                           "WHERE p.token_id = ?1 AND p.due_at <= ?2 "
                           "ORDER BY p.due_at, t.id LIMIT ?3",
                           -1, &s, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    sqlite3_bind_int64(s, 1, token);
    sqlite3_bind_text(s, 2, now, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, (int)limit);
    wenda_buf_add(&b, "[", 1);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        wenda_buf_addf(&b, "%s{\"id\":%lld,\"slug\":", n++ ? "," : "",
                       (long long)sqlite3_column_int64(s, 0));
        wenda_buf_add_json(&b, (const char *)sqlite3_column_text(s, 1));
        wenda_buf_adds(&b, ",\"title\":");
        wenda_buf_add_json(&b, (const char *)sqlite3_column_text(s, 2));
        wenda_buf_adds(&b, ",\"due_at\":");
        wenda_buf_add_json(&b, (const char *)sqlite3_column_text(s, 3));
        wenda_buf_addf(&b, ",\"repetitions\":%d,\"interval_days\":%d}",
                       sqlite3_column_int(s, 4), sqlite3_column_int(s, 5));
    }
    return wenda_store_json_end(s, step, &b, json, len);
}
