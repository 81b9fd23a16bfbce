FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DEBUG=1 STATIC_MANIFEST=1 python manage.py collectstatic --noinput
RUN useradd --create-home tracegrade && mkdir -p var && chown -R tracegrade var
USER tracegrade
EXPOSE 8000
# Worker model and counts: config/gunicorn.conf.py (WEB_CONCURRENCY, GUNICORN_THREADS).
CMD ["gunicorn", "config.wsgi:application", "-c", "config/gunicorn.conf.py"]
