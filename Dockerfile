# Usher: one image for `usher serve` (default) and `usher worker`.
# Installed from the source tree (editable) because the message copy lives in config/.
FROM python:3.11-slim
RUN useradd --create-home --uid 10001 usher
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY handlers ./handlers
COPY config ./config
RUN pip install --no-cache-dir -e . && chown -R usher /app
USER usher
ENV PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["usher", "serve", "--host", "0.0.0.0", "--port", "8000"]
