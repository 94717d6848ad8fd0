build-dev/tests/e2e/test_search_api.o: tests/e2e/test_search_api.c \
 tests/e2e/harness.h
tests/e2e/harness.h:
