"""The web view of a running lab (`make view`): a live map, frames hop by hop, a terminal
in every node. server.py owns the HTTP server (aiohttp); the page is in static/."""
