build-dev/service/content.o: service/content.c include/wenda/content.h \
 include/wenda/err.h service/buf.h
include/wenda/content.h:
include/wenda/err.h:
service/buf.h:
