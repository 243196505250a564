"""fundledger serve: the web interface, on waitress (pure Python, threads)."""

from __future__ import annotations

import click

from fundledger.cli.common import Ledger
from fundledger.cli.signals import Interrupted

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on; 0.0.0.0 for every address (then put HTTPS in "
              "front and turn on web.secure_cookies).")  # fmt: skip
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
              help="The TCP port to listen on.")  # fmt: skip
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64),
              help="How many requests are served at once.")  # fmt: skip
@click.pass_obj
def serve(ledger: Ledger, host: str, port: int, threads: int) -> None:
    """Serve the web interface on the ledger until Ctrl-C. Sign in as a user made with
    `fundledger user add`. For several processes on PostgreSQL, run gunicorn (see README).

    \b
    Example:
      fundledger user add dana --role admin
      fundledger serve --port 8000
    """
    # Imported here, not at the top: Flask and the web package are a sixth of every other
    # command's start-up (0.15 s of 0.8 s), and only `serve` needs them.
    from waitress.server import create_server

    from fundledger.web import create_app
    from fundledger.web.security import MOST_REQUEST_BYTES

    ledger.engine()  # a SQLite ledger that is not there is named, not created empty
    ledger.engine_to_read()  # a wrong --read-db is said now, not in the log of a page
    app = create_app(ledger.url, read_database_url=ledger.read_url)
    if host not in LOOPBACK and not app.config["SESSION_COOKIE_SECURE"]:
        click.echo(
            f"warning: serving on {host}, beyond this machine, with web.secure_cookies off: "
            "the session cookie travels unencrypted unless HTTPS is in front; put it there and "
            "run `fundledger settings set web.secure_cookies on`",
            err=True,
        )
    server = create_server(app, host=host, port=port, threads=threads, ident="fundledger",
                           max_request_body_size=MOST_REQUEST_BYTES)  # fmt: skip
    shown = f"[{host}]" if ":" in host else host
    replica = f", its pages read from {ledger.display_read_url}" if ledger.read_url else ""
    click.echo(f"fundledger: serving {ledger.display_url}{replica} at http://{shown}:{port}/ "
               "(Ctrl-C stops)")  # fmt: skip
    try:
        # Returns once Ctrl-C (or SIGTERM) arrives: waitress catches what our signal handler
        # raises (Interrupted, a SystemExit) and closes its sockets and threads.
        server.run()
    except (KeyboardInterrupt, Interrupted):
        pass
    finally:
        server.close()
        app.extensions["fundledger"].dispose()
    click.echo("fundledger: stopped", err=True)
