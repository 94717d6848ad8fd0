build-dev/service/store.o: service/store.c include/wenda/store.h \
 include/wenda/content.h include/wenda/err.h service/buf.h \
 service/migrations.h include/wenda/search.h include/wenda/tokenize.h
include/wenda/store.h:
include/wenda/content.h:
include/wenda/err.h:
service/buf.h:
service/migrations.h:
include/wenda/search.h:
include/wenda/tokenize.h:
