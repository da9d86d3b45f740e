# The app in a container: Debian 12 (bookworm) with its Python 3.11, Debian's Chromium (the charts'
# PNG / SVG downloads) and the pinned packages of requirements.txt. The weights ship in the image
# (pretrained/); nothing is downloaded when it runs.
#
#   docker build -t gan-lessons .
#   docker run --rm -p 8501:8501 gan-lessons            # then open http://localhost:8501
#
# Opened under another host name than localhost (a server's own name, or several replicas behind
# HAProxy, deploy/haproxy.cfg), list that name: `-e STREAMLIT_SERVER_ALLOWED_HOSTS="talk.example.org"`,
# or Streamlit refuses the page's websocket (see .streamlit/config.toml). The lab's run cap:
# `-e GAN_LAB_MAX_RUNS=4`.
#
# torch==2.14.1 from PyPI is its CUDA build (about 3 GB of downloads, 7 GB in the image); it runs on
# the CPU when the container has no GPU. To install from a mirror or a local wheel index instead:
# `--build-arg PIP_INDEX_URL=... --build-arg PIP_EXTRA_INDEX_URL=...`; behind a proxy that re-signs
# TLS, `--build-arg PIP_TRUSTED_HOST="pypi.org files.pythonhosted.org"` (how it was built and checked
# here: docs/capacity.md, "Docker").
FROM debian:bookworm-slim

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-venv ca-certificates chromium fonts-dejavu-core fontconfig \
 && rm -rf /var/lib/apt/lists/*

# Only the requirements first, so that a change to the code does not reinstall the packages.
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_TRUSTED_HOST
COPY requirements.txt /tmp/requirements.txt
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r /tmp/requirements.txt \
 && /opt/venv/bin/python -c "import streamlit, torch, torchvision, plotly, scipy, safetensors, kaleido"

RUN useradd --create-home --uid 1000 app
WORKDIR /app
COPY --chown=app:app . /app
USER app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    BROWSER_PATH=/usr/bin/chromium

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=8)"
CMD ["python", "scripts/serve.py", "--server.address", "0.0.0.0", "--server.port", "8501", "--server.headless", "true"]
