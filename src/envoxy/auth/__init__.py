"""Authentication for views: ``@auth_required(roles=[...])`` and its backends."""
