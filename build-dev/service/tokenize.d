build-dev/service/tokenize.o: service/tokenize.c include/wenda/tokenize.h \
 include/wenda/err.h
include/wenda/tokenize.h:
include/wenda/err.h:
