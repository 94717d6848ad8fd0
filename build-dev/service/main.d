build-dev/service/main.o: service/main.c service/http.h \
 include/wenda/auth.h include/wenda/err.h include/wenda/content.h \
 include/wenda/search.h include/wenda/store.h
service/http.h:
include/wenda/auth.h:
include/wenda/err.h:
include/wenda/content.h:
include/wenda/search.h:
include/wenda/store.h:
