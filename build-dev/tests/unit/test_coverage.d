build-dev/tests/unit/test_coverage.o: tests/unit/test_coverage.c \
 include/wenda/content.h include/wenda/err.h tests/unit/testutil.h
include/wenda/content.h:
include/wenda/err.h:
tests/unit/testutil.h:
