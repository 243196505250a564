"""The web interface (`fundledger serve`): Flask pages over the same services as the CLI.

`create_app(database_url)` is the app factory; gunicorn runs it as
`gunicorn 'fundledger.web:create_app()'` with FUNDLEDGER_DB naming the ledger."""

from fundledger.web.app import create_app

__all__ = ["create_app"]
