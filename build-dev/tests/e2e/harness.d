build-dev/tests/e2e/harness.o: tests/e2e/harness.c tests/e2e/harness.h
tests/e2e/harness.h:
