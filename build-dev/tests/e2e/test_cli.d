build-dev/tests/e2e/test_cli.o: tests/e2e/test_cli.c \
 tests/e2e/../unit/testutil.h include/wenda/content.h include/wenda/err.h
tests/e2e/../unit/testutil.h:
include/wenda/content.h:
include/wenda/err.h:
