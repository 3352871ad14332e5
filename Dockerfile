# wirestream services: one image, the stage chosen by the command (see docker-compose.yml).
# Pinned to a patch release and Debian base so rebuilds are reproducible.
FROM python:3.11.14-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Metadata first, so a source change does not rebuild the dependency layer's cache key.
COPY pyproject.toml setup.py README.md ./
COPY services ./services
# The recogniser's decoder is a C extension (enricher/_crf.c): a compiler for the build only,
# removed in the same layer.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && pip install . \
    && apt-get purge -y --auto-remove gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home wirestream
# Sample envelopes the compose producer publishes at start (samples/README.md).
COPY samples ./samples

USER wirestream
# /metrics, /healthz, /readyz: each service on its own default port (WIRESTREAM_METRICS_PORT).
EXPOSE 9480 9481 9482 9483 9484 9485
CMD ["wirestream", "--help"]
