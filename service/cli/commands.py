"""Register every sub-command on the `tthc-monitor` group."""

from service.cli import cli, deadline, dossiers, imports, ingest, serve, tokens
from service.cli import db as db_commands
from service.cli import report as report_commands
from service.cli import scan as scan_commands
from service.cli import sync as sync_commands
from service.cli import users as user_commands

cli.add_command(db_commands.group)
cli.add_command(serve.serve)
cli.add_command(serve.scheduler)
cli.add_command(serve.demo)
cli.add_command(dossiers.procedures)
cli.add_command(dossiers.dossier)
cli.add_command(ingest.ingest)
cli.add_command(imports.import_files)
cli.add_command(imports.quarantine_group)
cli.add_command(imports.webhook_token)
cli.add_command(deadline.command)
cli.add_command(tokens.group)
cli.add_command(sync_commands.sync)
cli.add_command(scan_commands.scan)
cli.add_command(user_commands.group)
cli.add_command(report_commands.group)
