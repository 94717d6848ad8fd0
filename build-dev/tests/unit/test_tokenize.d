build-dev/tests/unit/test_tokenize.o: tests/unit/test_tokenize.c \
 include/wenda/tokenize.h include/wenda/err.h tests/unit/testutil.h \
 include/wenda/content.h
include/wenda/tokenize.h:
include/wenda/err.h:
tests/unit/testutil.h:
include/wenda/content.h:
