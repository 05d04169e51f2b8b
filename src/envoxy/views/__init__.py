"""HTTP views and the Response container."""
