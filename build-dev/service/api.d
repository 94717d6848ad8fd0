build-dev/service/api.o: service/api.c service/api.h \
 include/wenda/store.h include/wenda/content.h include/wenda/err.h \
 service/buf.h service/metrics.h service/writer.h include/wenda/auth.h \
 include/wenda/search.h
service/api.h:
include/wenda/store.h:
include/wenda/content.h:
include/wenda/err.h:
service/buf.h:
service/metrics.h:
service/writer.h:
include/wenda/auth.h:
include/wenda/search.h:
