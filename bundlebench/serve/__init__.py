"""Classroom mode: the workbench served to web browsers (`bundlebench serve`).

``listen`` binds the socket, ``server`` guards textual-serve's web app with a token and
``session`` is the app each browser connection runs. Only ``server`` imports aiohttp
and textual-serve, so the rest of bundlebench starts without them.
"""
