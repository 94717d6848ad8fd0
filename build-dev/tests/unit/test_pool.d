build-dev/tests/unit/test_pool.o: tests/unit/test_pool.c \
 include/wenda/pool.h include/wenda/err.h
include/wenda/pool.h:
include/wenda/err.h:
