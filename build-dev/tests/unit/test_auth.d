build-dev/tests/unit/test_auth.o: tests/unit/test_auth.c \
 include/wenda/auth.h include/wenda/err.h include/wenda/store.h \
 include/wenda/content.h tests/unit/testutil.h
include/wenda/auth.h:
include/wenda/err.h:
include/wenda/store.h:
include/wenda/content.h:
tests/unit/testutil.h:
