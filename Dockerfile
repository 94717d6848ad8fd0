# wenda -- multi-stage build on Debian 12.
# The package lists match the Makefile's APT_BUILD and APT_FUZZ (clang's
# fuzzer and sanitizer runtimes), and .ci/run.
FROM debian:12-slim AS build
RUN apt-get update -q && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      build-essential pkg-config libmicrohttpd-dev libgnutls28-dev libsqlite3-dev \
      libjansson-dev libsodium-dev libyaml-dev libutf8proc-dev \
      libopencc-dev libopencc-data libicu-dev libstemmer-dev libcmark-dev zlib1g-dev \
      clang libclang-rt-14-dev && \
    rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY include ./include
COPY service ./service
COPY migrations ./migrations
RUN make -j"$(nproc)" WERROR=1 all

FROM debian:12-slim
RUN apt-get update -q && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      libmicrohttpd12 libsqlite3-0 libjansson4 libsodium23 libyaml-0-2 \
      libutf8proc2 libopencc1.1 libopencc-data libicu72 libstemmer0d \
      libcmark0.30.2 zlib1g curl && \
    rm -rf /var/lib/apt/lists/* && \
    useradd --system --home-dir /var/lib/wenda --shell /usr/sbin/nologin wenda && \
    mkdir -p /var/lib/wenda && chown wenda:wenda /var/lib/wenda
COPY --from=build /src/build/wenda /usr/local/bin/wenda
COPY content /usr/share/wenda/content
USER wenda
VOLUME /var/lib/wenda
ENV WENDA_BIND=0.0.0.0 \
    WENDA_PORT=8080 \
    WENDA_DB=/var/lib/wenda/wenda.db \
    WENDA_CONTENT=/usr/share/wenda/content
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=2s --start-period=5s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/wenda"]
CMD ["serve"]
