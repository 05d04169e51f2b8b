"""envoxy: the service platform framework. (facade filled below)"""
