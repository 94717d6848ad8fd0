build-dev/service/http.o: service/http.c service/http.h service/api.h \
 include/wenda/store.h include/wenda/content.h include/wenda/err.h \
 service/buf.h service/metrics.h service/writer.h include/wenda/auth.h
service/http.h:
service/api.h:
include/wenda/store.h:
include/wenda/content.h:
include/wenda/err.h:
service/buf.h:
service/metrics.h:
service/writer.h:
include/wenda/auth.h:
