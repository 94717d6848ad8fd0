build-dev/tests/unit/test_content.o: tests/unit/test_content.c \
 include/wenda/content.h include/wenda/err.h tests/unit/testutil.h
include/wenda/content.h:
include/wenda/err.h:
tests/unit/testutil.h:
