build-dev/service/search.o: service/search.c include/wenda/search.h \
 include/wenda/err.h include/wenda/store.h include/wenda/content.h \
 service/buf.h include/wenda/tokenize.h
include/wenda/search.h:
include/wenda/err.h:
include/wenda/store.h:
include/wenda/content.h:
service/buf.h:
include/wenda/tokenize.h:
