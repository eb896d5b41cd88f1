"""Local simulators of the Intigriti External Company API and the Jira REST API.

Both are Starlette applications served by uvicorn on 127.0.0.1 only. They
enforce the rules of the real services (see ``shared/intigriti/API.md`` and
``shared/jira/BEHAVIOUR.md``) so that syncd is tested against what the real
services would reject, not against a friendlier fake.
"""
