build-dev/tests/unit/test_search.o: tests/unit/test_search.c \
 include/wenda/content.h include/wenda/err.h include/wenda/search.h \
 include/wenda/store.h include/wenda/tokenize.h
include/wenda/content.h:
include/wenda/err.h:
include/wenda/search.h:
include/wenda/store.h:
include/wenda/tokenize.h:
