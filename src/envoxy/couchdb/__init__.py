"""CouchDB: the ``couchdbc`` client and its Mango query builder."""
