build-dev/service/metrics.o: service/metrics.c service/metrics.h \
 service/buf.h
service/metrics.h:
service/buf.h:
