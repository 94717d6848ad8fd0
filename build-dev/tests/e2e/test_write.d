build-dev/tests/e2e/test_write.o: tests/e2e/test_write.c \
 tests/e2e/harness.h include/wenda/auth.h include/wenda/err.h \
 include/wenda/store.h include/wenda/content.h
tests/e2e/harness.h:
include/wenda/auth.h:
include/wenda/err.h:
include/wenda/store.h:
include/wenda/content.h:
