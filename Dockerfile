# syntax=docker/dockerfile:1
# ttsservice: read-aloud and page feedback. Build: docker build -t ttsservice .
# Bake a voice in with --build-arg TTS_VOICE=sv_SE-nst-medium (empty: none, the service
# then downloads it on first start or runs on the offline fallback voice).

FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY ttsservice ./ttsservice
COPY voices ./voices
COPY feedback ./feedback
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --upgrade pip==24.3.1 \
    && /opt/venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim-bookworm AS voice
ARG TTS_VOICE=sv_SE-nst-medium
COPY --from=build /opt/venv /opt/venv
RUN mkdir -p /voices \
    && if [ -n "$TTS_VOICE" ]; then \
         /opt/venv/bin/ttsservice voices install "$TTS_VOICE" --voices-dir /voices --no-progress; \
       fi

FROM python:3.11-slim-bookworm
ARG TTS_VOICE=sv_SE-nst-medium
LABEL org.opencontainers.image.title="ttsservice" \
      org.opencontainers.image.description="Read-aloud and page feedback for Swedish public portals"
RUN groupadd --system --gid 10001 tts \
    && useradd --system --uid 10001 --gid tts --home-dir /srv/tts tts \
    && mkdir -p /srv/tts/var /srv/tts/voices && chown -R 10001:10001 /srv/tts
COPY --from=build /opt/venv /opt/venv
COPY --from=voice --chown=10001:10001 /voices /srv/tts/voices
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TTS_HOST=0.0.0.0 \
    TTS_PORT=8080 \
    TTS_DATA_DIR=/srv/tts/var \
    TTS_VOICES_DIR=/srv/tts/voices \
    TTS_VOICE=${TTS_VOICE}
WORKDIR /srv/tts
USER 10001:10001
EXPOSE 8080
VOLUME ["/srv/tts/var"]
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('TTS_PORT', '8080'); sys.exit(urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2).status != 200)"]
# Exec form: ttsservice runs as PID 1 and receives SIGTERM itself (graceful shutdown).
ENTRYPOINT ["ttsservice"]
CMD ["serve"]
