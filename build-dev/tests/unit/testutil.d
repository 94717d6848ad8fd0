build-dev/tests/unit/testutil.o: tests/unit/testutil.c \
 tests/unit/testutil.h include/wenda/content.h include/wenda/err.h
tests/unit/testutil.h:
include/wenda/content.h:
include/wenda/err.h:
