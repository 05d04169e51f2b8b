# envoxyd serving a service: build the wheels, then a slim runtime with no
# compiler. The service is mounted at /home/envoxy (its envoxy.json there is
# read by default), plugins at /usr/envoxy/plugins.
#
#   docker build -t envoxyd .
#   docker run -p 8080:8080 -v "$PWD/examples/hello:/home/envoxy:ro" envoxyd
#
# The runtime contract (PID 1, non-root, read-only service, JSON logs on
# stdout, HEALTHCHECK, SIGTERM drain, exit 2 on a bad config) is tested
# without a container engine: tests/deploy/test_container.py.
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY src ./src
COPY csrc ./csrc
COPY vendors/envoxyd ./vendors/envoxyd
# a failed compile fails the build instead of shipping the pure twins
RUN ENVOXY_REQUIRE_EXTENSIONS=1 pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . ./vendors/envoxyd

FROM python:${PYTHON_VERSION}-slim-bookworm
RUN groupadd --gid 10001 envoxy \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /home/envoxy --shell /usr/sbin/nologin envoxy \
    && mkdir -p /home/envoxy /usr/envoxy/plugins \
    && chown envoxy:envoxy /home/envoxy
COPY --from=build /wheels /tmp/wheels
RUN python -m venv /opt/envoxy \
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
