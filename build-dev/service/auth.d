build-dev/service/auth.o: service/auth.c include/wenda/auth.h \
 include/wenda/err.h include/wenda/content.h include/wenda/store.h
include/wenda/auth.h:
include/wenda/err.h:
include/wenda/content.h:
include/wenda/store.h:
