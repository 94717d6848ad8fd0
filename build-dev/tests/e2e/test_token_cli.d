build-dev/tests/e2e/test_token_cli.o: tests/e2e/test_token_cli.c \
 include/wenda/auth.h include/wenda/err.h include/wenda/store.h \
 include/wenda/content.h tests/e2e/../unit/testutil.h tests/e2e/harness.h
include/wenda/auth.h:
include/wenda/err.h:
include/wenda/store.h:
include/wenda/content.h:
tests/e2e/../unit/testutil.h:
tests/e2e/harness.h:
