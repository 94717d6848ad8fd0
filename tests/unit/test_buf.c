/*
 * test_buf.c -- the growable array of buf.h: room is made by doubling,
 * what was there stays, and a failure changes nothing.
 */
#include <stdint.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#include "buf.h"

Test(buf, reserve_gives_first_then_doubles_and_keeps_the_elements)
{
    int64_t *v = NULL;
    size_t n, cap = 0;

    for (n = 0; n < 1000; n++) {
        cr_assert_eq(wenda_buf_reserve(&v, &cap, n, sizeof(*v), 16), 0);
        cr_assert_gt(cap, n);
        v[n] = (int64_t)n * 3;
        if (n == 0)
            cr_assert_eq(cap, 16);
    }
    cr_assert_eq(cap, 1024);
    for (n = 0; n < 1000; n++)
        cr_assert_eq(v[n], (int64_t)n * 3);
    /* With room to spare nothing moves. */
    {
        int64_t *before = v;

        cr_assert_eq(wenda_buf_reserve(&v, &cap, 1000, sizeof(*v), 16), 0);
        cr_assert_eq(v, before);
        cr_assert_eq(cap, 1024);
    }
    free(v);
}

Test(buf, reserve_refuses_a_size_that_overflows_and_changes_nothing)
{
    char *v = malloc(4);
    char *before = v;
    size_t cap = 4;

    cr_assert_not_null(v);
    cr_assert_eq(wenda_buf_reserve(&v, &cap, 4, SIZE_MAX / 4, 1), -1);
    cr_assert_eq(v, before);
    cr_assert_eq(cap, 4);
    free(v);
}
