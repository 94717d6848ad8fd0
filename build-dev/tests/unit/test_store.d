build-dev/tests/unit/test_store.o: tests/unit/test_store.c \
 include/wenda/content.h include/wenda/err.h include/wenda/store.h \
 tests/unit/testutil.h
include/wenda/content.h:
include/wenda/err.h:
include/wenda/store.h:
tests/unit/testutil.h:
