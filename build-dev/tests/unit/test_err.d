build-dev/tests/unit/test_err.o: tests/unit/test_err.c \
 include/wenda/err.h
include/wenda/err.h:
