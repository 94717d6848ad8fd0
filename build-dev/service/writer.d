build-dev/service/writer.o: service/writer.c service/writer.h \
 service/api.h include/wenda/store.h include/wenda/content.h \
 include/wenda/err.h include/wenda/auth.h include/wenda/pool.h
service/writer.h:
service/api.h:
include/wenda/store.h:
include/wenda/content.h:
include/wenda/err.h:
include/wenda/auth.h:
include/wenda/pool.h:
