"""Running syncd in production: health, metrics, webhooks, systemd.

- ``health``: which dependencies answered recently (``/readyz``);
- ``metrics``: Prometheus counters, histograms and scrape-time gauges;
- ``instrument``: request hooks for the Intigriti (httpx) and Jira
  (requests) clients that feed both of the above;
- ``triggers``: the queue webhook receivers fill and the worker drains;
- ``webhooks``: the Intigriti and Jira receivers;
- ``server``: the Starlette app and the uvicorn thread beside the worker;
- ``notify``: the systemd notify protocol (READY, WATCHDOG, STOPPING).
"""
