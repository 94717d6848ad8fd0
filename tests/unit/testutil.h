/*
 * testutil.h -- what the unit and end-to-end tests share: paths, private
 * temporary directories, whole files, directory trees, and comparisons of
 * topics as the content module loads them.
 *
 * The helpers are written for Criterion tests: where something goes wrong
 * that the test did not ask about (a path too long for its buffer, a file
 * that cannot be written, an allocation that fails), they fail the current
 * test with an assertion rather than return an error.  The one exception is
 * testutil_slurp(), which answers NULL for a file it cannot open, because
 * some tests expect a file to be missing.
 *
 * The end-to-end tests include this header as "../unit/testutil.h"; the
 * Makefile links every C file of tests/unit and tests/e2e into one binary.
 */
#ifndef WENDA_TESTS_UNIT_TESTUTIL_H
#define WENDA_TESTS_UNIT_TESTUTIL_H

#include <stddef.h>

#include "wenda/content.h"

/* The size of the path buffers the tests use. */
#define TESTUTIL_PATH_CAP 4096

/* A list of relative file paths, each a heap string owned by the list. */
struct testutil_file_list {
    char **v;   /* the paths, sorted by testutil_list_files() */
    size_t n;   /* paths in v */
    size_t cap; /* room in v */
};

/*
 * Writes "a/b" into out (cap bytes).  Fails the test when the result does
 * not fit.
 */
void testutil_join(char *out, size_t cap, const char *a, const char *b);

/*
 * Creates a fresh directory $TMPDIR/wenda-TAG-XXXXXX (/tmp when TMPDIR is
 * unset or empty) and writes its path into out (cap bytes).  Fails the test
 * when the path does not fit or mkdtemp() fails.  The caller removes the
 * directory with testutil_remove_tree().
 */
void testutil_make_temp_dir(char *out, size_t cap, const char *tag);

/*
 * Removes dir and everything below it, without following symbolic links.
 * An empty string (a directory never made) does nothing.  Errors are
 * ignored: this runs in .fini, where there is nothing left to fail.
 */
void testutil_remove_tree(const char *dir);

/*
 * Reads the whole file at path into a new NUL-terminated buffer, which the
 * caller frees, and stores its length (without the NUL) in *len unless len
 * is NULL.  Returns NULL, with errno set by fopen(), when the file cannot
 * be opened; fails the test when reading it fails or memory runs out.
 */
char *testutil_slurp(const char *path, size_t *len);

/*
 * Writes len bytes of data to the file at path, replacing what was there.
 * Fails the test when the file cannot be written.
 */
void testutil_spit(const char *path, const char *data, size_t len);

/*
 * Replaces the first occurrence of from by to in the file at path.  Fails
 * the test when the file cannot be read or written or does not hold from.
 */
void testutil_edit_file(const char *path, const char *from, const char *to);

/*
 * Copies the file at src to dst, replacing dst if it exists.  Fails the test
 * when src cannot be read or dst cannot be written.
 */
void testutil_copy_file(const char *src, const char *dst);

/*
 * Copies the tree below src to dst, creating dst and its subdirectories as
 * needed (existing ones are reused) and overwriting files of the same name.
 * Fails the test on any error.
 */
void testutil_copy_tree(const char *src, const char *dst);

/*
 * Adds every regular file below dir to fl, as paths relative to dir
 * ("concurrency/deadlock.md"), and sorts fl with strcmp().  fl starts
 * zeroed ({0}) and is released with testutil_file_list_cleanup().  Fails the
 * test when a directory cannot be read.
 */
void testutil_list_files(const char *dir, struct testutil_file_list *fl);

/* Frees the paths in fl and zeroes it; fl may already be clean. */
void testutil_file_list_cleanup(struct testutil_file_list *fl);

/*
 * Asserts that directories a and b hold the same set of regular files
 * (relative paths) with the same bytes.  Returns the number of files
 * compared, so that a caller can also insist the trees are not empty.
 */
size_t testutil_assert_same_tree(const char *a, const char *b);

/*
 * Asserts that string lists a and b are equal, element by element.  what
 * ("tags") and slug name the list in failure messages.
 */
void testutil_assert_strv_eq(const struct wenda_strv *a,
                             const struct wenda_strv *b, const char *what,
                             const char *slug);

/*
 * Asserts that the content fields of topics a and b match: slug, titles,
 * category, order, tags, aliases, and the answer too when with_answer is
 * non-zero.  id, version and updated_at are not compared.
 */
void testutil_assert_topic_eq(const struct wenda_topic *a,
                              const struct wenda_topic *b, int with_answer);

#endif /* WENDA_TESTS_UNIT_TESTUTIL_H */
