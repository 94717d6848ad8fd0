build-dev/gen/migrations.o: build-dev/gen/migrations.c \
 service/migrations.h
service/migrations.h:
