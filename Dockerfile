# One image for web, worker and beat (see docker-compose.yml).

# Every RUN below also runs outside a container in CI (.ci/serve-check), which then serves a
# page with DEBUG=0 through gunicorn from the collected static files.

# Front-end libraries from the npm registry, at the versions in package-lock.json; the same
# script as `make` copies them (with the source maps they name).
FROM node:20-slim AS frontend
WORKDIR /build
COPY package.json package-lock.json ./
COPY bin/vendor-frontend.sh bin/
RUN npm ci --no-audit --no-fund --loglevel=error
RUN sh bin/vendor-frontend.sh node_modules vendor

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/tmp/crm-var MEDIA_ROOT=/data/media
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=frontend /build/vendor static/vendor
# Building the image needs no real secret: these two commands read no secrets.
RUN DEBUG=1 python manage.py compiletranslations \
 && DEBUG=1 STATIC_MANIFEST=1 python manage.py collectstatic --no-input -v0
RUN useradd --create-home crm && mkdir -p /data/media && chown crm /data/media
USER crm
EXPOSE 8000
CMD ["gunicorn", "collections_crm.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
