"""The ceilings, served by the same gunicorn settings as the portal in the same run:

    gunicorn -w 2 --threads 4 bench.ceilings:hello   # a plain Flask "hello"
    gunicorn -w 2 --threads 4 bench.ceilings:raw     # a raw WSGI callable
"""

from flask import Flask

hello = Flask(__name__)


@hello.get("/")
def index():
    return "hello"


def raw(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
