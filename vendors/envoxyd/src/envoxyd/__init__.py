"""envoxyd: serve envoxy services on uWSGI (``envoxyd --http :8080 --set conf=...``)."""
