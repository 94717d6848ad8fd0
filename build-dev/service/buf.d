build-dev/service/buf.o: service/buf.c service/buf.h
service/buf.h:
