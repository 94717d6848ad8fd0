build-dev/service/err.o: service/err.c include/wenda/err.h
include/wenda/err.h:
