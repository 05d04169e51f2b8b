"""HTTP for ``@on(protocols=["http"])`` views: routing, requests, error replies.

``EnvoxyApp`` (``envoxy.http.app``) is a plain WSGI application; envoxyd serves
it under uWSGI, and any WSGI server can.
"""
