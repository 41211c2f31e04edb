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
# 4, not 8: the evaluation is CPU work under one GIL per process, and every database or Redis
# round trip of a thread has to win the GIL back from the others. Measured on 2 cores (2
# processes, PostgreSQL, JWTs): 8 threads 5.9 ms of CPU per request and 270 req/s closed-loop;
# 4 threads 5.5 ms and 300-307 req/s; 2 threads did no better than 4 and leave a process with
# nothing to do while two calls wait on a slow FHIR server.
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Above the CDS Hooks budget (CDS_FHIR_BUDGET_SECONDS) with room: a stuck request is killed, not
# the EHR's patience.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle processes now and then so a slow leak never becomes an outage; jitter avoids all
# processes restarting together. A new process spends about a second of CPU loading the app and
# the rules, with its share of the calls waiting: at 2,000 requests that happened every 13 s per
# process at 300 req/s (a few % of CPU and a p99 spike each time); 20,000 is a few minutes
# there and every few hours at one call per second.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
# Each worker builds its own app: database pools, HTTP sessions and thread pools must not cross
# a fork. A bad rule or setting still stops the start (the worker fails to boot, gunicorn exits).
preload_app = False
# Access logs carry paths and status only; query strings on /fhir/Task can carry patient ids,
# so they are left out.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
