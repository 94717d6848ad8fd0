/*
 * migrations.h -- the schema migrations compiled into the binary.
 *
 * The Makefile turns every migrations/NNNN_name.sql into one row of
 * wenda_migrations[], in order; row i brings the schema from version
 * number-1 to number, tracked in PRAGMA user_version.
 */
#ifndef WENDA_MIGRATIONS_H
#define WENDA_MIGRATIONS_H

struct wenda_migration {
    int number;          /* NNNN: the user_version after this migration */
    const char *name;    /* "0001_init" */
    const char *sql;     /* the file's text, NUL-terminated */
};

extern const struct wenda_migration wenda_migrations[];
extern const int wenda_migration_count;

#endif /* WENDA_MIGRATIONS_H */
