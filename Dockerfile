# wenda -- multi-stage build on Debian 12.
# The packages come from deploy/packages.txt, as for the Makefile and
# .ci/run: the build stage installs the group build, the last stage the
# group runtime only.  Build it with: docker build -t wenda:latest .
# (the image the manifests of deploy/k8s name).
FROM debian:12-slim AS build
COPY deploy/packages.txt /tmp/packages.txt
RUN pkgs=$(sed -n 's/^build:[[:space:]]*//p' /tmp/packages.txt) && \
    [ -n "$pkgs" ] && \
    apt-get update -q && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      $pkgs && \
    rm -rf /var/lib/apt/lists/* /tmp/packages.txt
WORKDIR /src
COPY Makefile ./
COPY include ./include
COPY service ./service
COPY migrations ./migrations
RUN make -j"$(nproc)" WERROR=1 all

FROM debian:12-slim
COPY deploy/packages.txt /tmp/packages.txt
RUN pkgs=$(sed -n 's/^runtime:[[:space:]]*//p' /tmp/packages.txt) && \
    [ -n "$pkgs" ] && \
    apt-get update -q && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      $pkgs && \
    rm -rf /var/lib/apt/lists/* /tmp/packages.txt && \
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
# On whatever port WENDA_PORT says when the container runs (-e WENDA_PORT=).
HEALTHCHECK --interval=10s --timeout=2s --start-period=5s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${WENDA_PORT:-8080}/healthz" || exit 1
ENTRYPOINT ["/usr/local/bin/wenda"]
CMD ["serve"]
