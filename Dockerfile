# One image for web, worker and beat (see docker-compose.yml).

# Front-end libraries from the npm registry, at the versions in package-lock.json.
FROM node:20-slim AS frontend
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error \
 && mkdir -p vendor \
 && cp node_modules/htmx.org/dist/htmx.min.js node_modules/chart.js/dist/chart.umd.min.js vendor/

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
