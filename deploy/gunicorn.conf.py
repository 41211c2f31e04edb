"""gunicorn settings for the web role: `gunicorn -c deploy/gunicorn.conf.py cds.wsgi:app`.

The web tier is stateless (the store is PostgreSQL, the broker Redis), so scale it with more
replicas behind the load balancer rather than with more workers per container.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8080")
# Threads, not processes: a hook call waits on the EHR's FHIR server (I/O); 2 processes keep one
# answering while the other is restarted by max_requests.
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Above the CDS Hooks budget (CDS_FHIR_BUDGET_SECONDS) with room: a stuck request is killed, not
# the EHR's patience.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle processes now and then so a slow leak never becomes an outage; jitter avoids all
# processes restarting together.
max_requests = 2000
max_requests_jitter = 200
# Each worker builds its own app: database pools, HTTP sessions and thread pools must not cross
# a fork. A bad rule or setting still stops the start (the worker fails to boot, gunicorn exits).
preload_app = False
# Access logs carry paths and status only; query strings on /fhir/Task can carry patient ids,
# so they are left out.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
