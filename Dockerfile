# vcnode container image. Build: docker build -t vcnode .
# Run:   docker run -d -p 8080:8080 -v vcnode-data:/data -e VCNODE_INIT_ARGS="--domain issuer.example.edu" vcnode
# See docs/operations.md.

ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: wheels of the project and all its dependencies --------------------------------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /build
# README.md is the package long description (pyproject.toml readme).
COPY pyproject.toml README* ./
COPY src ./src
COPY did_methods ./did_methods
RUN pip wheel --wheel-dir /wheels .

# --- runtime --------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    VCNODE_HOME=/data
# pg_dump/pg_restore for `vcnode backup`/`restore` of a node on PostgreSQL (Debian's client is version 15,
# as the server in compose.yaml).
RUN apt-get update \
    && apt-get install --yes --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 vcnode \
    && useradd --system --uid 10001 --gid vcnode --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin vcnode \
    && mkdir /data \
    && chown vcnode:vcnode /data \
    && chmod 0700 /data
COPY --from=builder /wheels /tmp/wheels
COPY docker/entrypoint.sh /usr/local/bin/vcnode-entrypoint
RUN pip install --no-cache-dir --no-index --find-links /tmp/wheels vcnode \
    && rm -rf /tmp/wheels \
    && chmod 0755 /usr/local/bin/vcnode-entrypoint

USER vcnode
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
# Liveness over plain HTTP on 127.0.0.1 (no curl in slim images). Follows VCNODE_PORT; override the
# HEALTHCHECK when the node itself serves TLS (--tls-cert).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('VCNODE_PORT', '8080') + '/health', timeout=4)"]
ENTRYPOINT ["vcnode-entrypoint"]
CMD ["serve", "--host", "0.0.0.0"]
