# syncd: a slim, non-root image. Build: docker build -t syncd .
# Stage 1 builds a virtualenv with syncd and its dependencies; stage 2 copies
# only that virtualenv, so no compiler or pip cache ships.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/syncd
COPY pyproject.toml README.md ./
COPY syncd ./syncd
RUN /opt/syncd/bin/pip install --upgrade pip \
 && /opt/syncd/bin/pip install .

FROM python:3.11-slim-bookworm
RUN groupadd --system --gid 10001 syncd \
 && useradd --system --uid 10001 --gid syncd --home-dir /nonexistent --shell /usr/sbin/nologin syncd
COPY --from=build /opt/syncd /opt/syncd
COPY mappings /etc/syncd/mappings
ENV PATH=/opt/syncd/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SYNCD_LOG_FORMAT=json \
    SYNCD_HTTP__HOST=0.0.0.0 \
    SYNCD_HTTP__PORT=8080 \
    SYNCD_SYNC__MAPPING_FILE=/etc/syncd/mappings/default.yaml
USER 10001:10001
WORKDIR /tmp
EXPOSE 8080
# /healthz only says the process serves; readiness (/readyz) is for orchestrators.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["syncd"]
CMD ["run"]
