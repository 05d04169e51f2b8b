"""ZeroMQ with the Zapata envelope: ``zmqc`` (client) and the @on(zmq) server."""
