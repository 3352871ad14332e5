# wirestream services: one image, the stage chosen by the command (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Metadata first, so a source change does not rebuild the dependency layer's cache key.
COPY pyproject.toml README.md ./
COPY services ./services
RUN pip install . \
    && useradd --system --uid 10001 --no-create-home wirestream
# Sample envelopes the compose producer publishes at start (samples/README.md).
COPY samples ./samples

USER wirestream
# /metrics, /healthz, /readyz of every service (WIRESTREAM_METRICS_PORT).
EXPOSE 9100
CMD ["wirestream", "--help"]
