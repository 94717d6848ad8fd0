build-dev/tests/e2e/test_server.o: tests/e2e/test_server.c \
 tests/e2e/harness.h
tests/e2e/harness.h:
