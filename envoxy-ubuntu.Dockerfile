# The Ubuntu-based image: the same two stages on Ubuntu 24.04's Python 3.12,
# for hosts that standardise on Ubuntu. Same layout, user, entrypoint and
# health check as ./Dockerfile.
#
#   docker build -f envoxy-ubuntu.Dockerfile -t envoxyd:ubuntu .
FROM ubuntu:24.04 AS build
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev python3 python3-dev python3-venv \
    && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /build
ENV PATH=/build/bin:$PATH
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY src ./src
COPY csrc ./csrc
COPY vendors/envoxyd ./vendors/envoxyd
RUN ENVOXY_REQUIRE_EXTENSIONS=1 pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . ./vendors/envoxyd

FROM ubuntu:24.04
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 envoxy \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /home/envoxy --shell /usr/sbin/nologin envoxy \
    && mkdir -p /home/envoxy /usr/envoxy/plugins \
    && chown envoxy:envoxy /home/envoxy
COPY --from=build /wheels /tmp/wheels
RUN python3 -m venv /opt/envoxy \
    && /opt/envoxy/bin/pip install --no-cache-dir /tmp/wheels/*.whl \
    && rm -rf /tmp/wheels
ENV PATH=/opt/envoxy/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001:10001
WORKDIR /home/envoxy
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["/opt/envoxy/bin/python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/_health/ready', timeout=2).status == 200 else 1)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/opt/envoxy/bin/envoxyd"]
CMD ["--http", ":8080", "--set", "conf=/home/envoxy/envoxy.json"]
