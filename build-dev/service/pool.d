build-dev/service/pool.o: service/pool.c include/wenda/pool.h \
 include/wenda/err.h
include/wenda/pool.h:
include/wenda/err.h:
