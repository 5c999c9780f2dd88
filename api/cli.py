"""The `fidelio` command: serve, worker, migrate, makemigrations, seed-demo, token, settings,
export-schema, jobs, trusted-documents, rules backfill, leaderboards rebuild, console-user."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from api.logs import configure_logging
from api.progress import ProgressBar
from api.settings import SettingsError, load_settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)
    uvicorn.run(
        "api.main:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=settings.log_level.lower(),
        # The lines go through the root handler of api.logs (text or JSON), set per process.
        log_config=None,
        proxy_headers=True,
    )
    del settings
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from api.db import migrate

    settings = load_settings()
    asyncio.run(migrate(settings.database_url))
    print(f"migrations applied to {settings.database_url.split('@')[-1]}")
    return 0


def _makemigrations(args: argparse.Namespace) -> int:
    from tortoise.cli.cli import main as tortoise_main

    sys.argv = ["tortoise", "makemigrations"]
    tortoise_main()
    return 0


def _seed(args: argparse.Namespace) -> int:
    from api.seed import seed_demo

    settings = load_settings()
    with ProgressBar("seed-demo") as bar:
        summary = asyncio.run(seed_demo(settings, progress=bar.update))
    print(summary)
    return 0


def _token(args: argparse.Namespace) -> int:
    from api.auth import mint_token

    settings = load_settings()
    print(mint_token(settings, args.role, args.sub, ttl_seconds=args.ttl))
    return 0


def _settings(args: argparse.Namespace) -> int:
    """The settings as this process reads them, or the README's table of their variables."""
    from api.settings import describe, settings_table

    sys.stdout.write(settings_table() if args.markdown else describe(load_settings()))
    return 0


def _export_schema(args: argparse.Namespace) -> int:
    from api.schema import schema_sdl

    sys.stdout.write(schema_sdl())
    return 0


def _trusted_documents(args: argparse.Namespace) -> int:
    """Print the trusted-documents manifest of a folder of .graphql operation files."""
    from pathlib import Path

    from api.trusted_documents import manifest_of_directory

    sys.stdout.write(manifest_of_directory(Path(args.operations)))
    return 0


def _worker(args: argparse.Namespace) -> int:
    """Outbox dispatcher and scheduled jobs, without serving HTTP (scale these out)."""
    from api.worker_metrics import serve_worker_metrics, worker_runtime

    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)

    async def main() -> None:
        runtime, metrics = await worker_runtime(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve_worker_metrics(settings, runtime, metrics, args.metrics_port, stop)
        await runtime.stop()

    asyncio.run(main())
    return 0


def _jobs(args: argparse.Namespace) -> int:
    """Run every scheduled job once now and deliver the events they raise."""
    from api.runtime import build_runtime

    settings = load_settings()

    async def main() -> None:
        runtime = build_runtime(settings)
        await runtime.start(background=False)
        try:
            with ProgressBar("jobs") as bar:
                handled = await runtime.run_jobs_once(progress=bar.update)
            print(handled)
            print({"events delivered": await runtime.dispatcher.run_until_idle()})
        finally:
            await runtime.stop()

    asyncio.run(main())
    return 0


def _rules_backfill(args: argparse.Namespace) -> int:
    """Evaluate one badge over the members' recorded history, in batches, idempotently."""
    from api.runtime import build_runtime
    from domain.errors import DomainError
    from gamification.achievements.backfill import backfill_badge

    settings = load_settings()

    async def main() -> int:
        runtime = build_runtime(settings)
        await runtime.start(background=False)
        try:
            with ProgressBar(f"backfill {args.code}") as bar:
                awarded = await backfill_badge(
                    args.code, runtime.clock.now(), args.batch_size, progress=bar.update
                )
            await runtime.dispatcher.run_until_idle()
            return awarded
        finally:
            await runtime.stop()

    try:
        awarded = asyncio.run(main())
    except DomainError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    print(f"badge {args.code}: awarded to {awarded} members")
    return 0


def _leaderboards_rebuild(args: argparse.Namespace) -> int:
    """Recreate every board's current periods in Redis from the database."""
    from api.runtime import build_runtime
    from gamification.leaderboards.rebuild import rebuild_all

    settings = load_settings()

    async def main() -> int:
        runtime = build_runtime(settings)
        await runtime.start(background=False)
        try:
            assert runtime.boards is not None
            with ProgressBar("leaderboards") as bar:
                written = await rebuild_all(
                    runtime.boards, runtime.clock.now(), progress=bar.update
                )
            await runtime.boards.announced()
            return written
        finally:
            await runtime.stop()

    print(f"leaderboards rebuilt: {asyncio.run(main())} entries")
    return 0


def _read_password(args: argparse.Namespace) -> str:
    """The password of `console-user add` / `set-password`: the option, one line of standard
    input (`--password-stdin`, for scripts), or typed twice at a prompt."""
    import getpass

    if args.password is not None:
        return str(args.password)
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password (10 characters or more): ")
    if getpass.getpass("Again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def _console_user(args: argparse.Namespace) -> int:
    """Add, list, remove console accounts and change their passwords."""
    from api.console import accounts
    from api.console.models import ConsoleRole
    from api.db import close_database, open_database
    from domain.clock import SystemClock
    from domain.errors import DomainError

    settings = load_settings()
    now = SystemClock().now()
    try:
        password = _read_password(args) if args.console_command in ("add", "set-password") else ""
    except (ValueError, EOFError, KeyboardInterrupt) as error:
        print(f"error: {error or 'no password given'}", file=sys.stderr)
        return 2

    async def run() -> str:
        await open_database(settings.database_url)
        try:
            if args.console_command == "add":
                account = await accounts.add_account(
                    args.email, password, ConsoleRole(args.role), now
                )
                return f"console account {account.email} ({account.role.value}) added"
            if args.console_command == "set-password":
                await accounts.set_password(args.email, password, now)
                return f"password of {args.email.strip().lower()} changed; its sessions ended"
            if args.console_command == "remove":
                await accounts.remove_account(args.email)
                return f"console account {args.email.strip().lower()} removed"
            rows = [
                f"{a.email}\t{a.role.value}\tcreated {a.created_at:%Y-%m-%d %H:%M}\t"
                + (
                    f"last sign-in {a.last_sign_in_at:%Y-%m-%d %H:%M}"
                    if a.last_sign_in_at
                    else "never signed in"
                )
                for a in await accounts.list_accounts()
            ]
            return "\n".join(rows) or "no console accounts"
        finally:
            await close_database()

    try:
        print(asyncio.run(run()))
    except DomainError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    return 0


def _command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, summary: str
) -> argparse.ArgumentParser:
    """A subcommand whose one-line summary shows in its parent's help and heads its own."""
    return sub.add_parser(name, help=summary, description=summary)


def _offers_train(args: argparse.Namespace) -> int:
    """Train the recommender on the program's interactions now and serve the result."""
    from api.runtime import build_runtime
    from domain.offers.services import retrain_if_due, train_and_store

    settings = load_settings()

    async def main() -> str:
        runtime = build_runtime(settings)
        await runtime.start(background=False)
        try:
            now = runtime.clock.now()
            if args.if_due:
                created = await retrain_if_due(now, runtime.offers)
                return "a new version is served" if created else "not due: nothing trained"
            run = await train_and_store(now, runtime.offers)
            state = "new version" if run.created else "unchanged data: still version"
            return f"{state} {run.version} ({run.basis.value}) {run.metrics}"
        finally:
            await runtime.stop()

    print(f"offers: {asyncio.run(main())}")
    return 0


def _offers_evaluate(args: argparse.Namespace) -> int:
    """Precision and recall at 5 of the model and of popularity on a planted program."""
    from domain.offers.evaluation import evaluate, planted_program, planted_summary

    program = planted_program(args.members, seed=args.seed)
    result = evaluate(program, k=args.k)
    print(f"planted program: {dict(planted_summary(program))}")
    print(
        f"held out: each member's interactions from their 2nd-last redemption on; "
        f"{result.evaluated} members with a reward there they had not redeemed before"
    )
    print(result.table())
    print(
        f"model vs popularity, precision@{args.k}: {result.lift:+.1%} (training {result.train_seconds:.1f} s)"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The `fidelio` command line: every command and option with its help text."""
    parser = argparse.ArgumentParser(
        prog="fidelio",
        description="Fidelio, the loyalty and gamification backend: its server, worker and "
        "operator's tools. Settings come from the environment, then .env (see the README).",
        epilog="Run `fidelio COMMAND --help` for a command's options. Long commands (seed-demo, "
        "jobs, rules backfill, leaderboards rebuild) draw a progress bar on a terminal.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = _command(sub, "serve", "Run the API server (uvicorn): /graphql, /healthz, /readyz.")
    serve.add_argument("--host", default="127.0.0.1", help="Address to listen on (127.0.0.1).")
    serve.add_argument("--port", type=int, default=8000, help="Port to listen on (8000).")
    serve.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes (1; see the README)."
    )
    serve.set_defaults(func=_serve)
    worker = _command(sub, "worker", "Run the outbox dispatcher and scheduled jobs (no HTTP API).")
    worker.add_argument(
        "--metrics-port",
        type=int,
        default=0,
        help="Serve this worker's /metrics and /healthz on this port (0, the default: not served).",
    )
    worker.set_defaults(func=_worker)
    _command(sub, "migrate", "Apply the database migrations.").set_defaults(func=_migrate)
    _command(
        sub, "makemigrations", "Write a migration for model changes (developers)."
    ).set_defaults(func=_makemigrations)
    _command(
        sub, "seed-demo", "Fill the database with the demo program; print where to go next."
    ).set_defaults(func=_seed)
    token = _command(sub, "token", "Mint a token (development secret unless JWT_* are set).")
    token.add_argument(
        "--role", choices=["member", "service", "admin"], required=True, help="The token's role."
    )
    token.add_argument("--sub", required=True, help="Subject: the customer id for members.")
    token.add_argument("--ttl", type=int, default=24 * 3600, help="Seconds of validity (1 day).")
    token.set_defaults(func=_token)
    shown = _command(
        sub,
        "settings",
        "Print every setting as this process reads it (secrets only as set), after the checks "
        "the server makes at start-up.",
    )
    shown.add_argument(
        "--markdown",
        action="store_true",
        help="Print instead the README's table of variables, defaults and meanings.",
    )
    shown.set_defaults(func=_settings)
    _command(sub, "export-schema", "Print the served GraphQL SDL.").set_defaults(
        func=_export_schema
    )
    _command(sub, "jobs", "Run every scheduled job once and deliver its events.").set_defaults(
        func=_jobs
    )
    trusted = _command(
        sub,
        "trusted-documents",
        "Print the trusted-documents manifest (api/trusted_documents.json) of operations.",
    )
    trusted.add_argument(
        "operations",
        nargs="?",
        default="tests/contract/operations",
        help="Folder of .graphql operation files (tests/contract/operations).",
    )
    trusted.set_defaults(func=_trusted_documents)
    rules = _command(sub, "rules", "The rules engine's tools.").add_subparsers(
        dest="rules_command", required=True, metavar="COMMAND"
    )
    backfill = _command(
        rules, "backfill", "Award a badge to every member whose recorded history meets its rule."
    )
    backfill.add_argument("code", help="The badge code.")
    backfill.add_argument(
        "--batch-size", type=int, default=500, help="Members per transaction (500)."
    )
    backfill.set_defaults(func=_rules_backfill)
    boards = _command(sub, "leaderboards", "Leaderboards' tools.").add_subparsers(
        dest="leaderboards_command", required=True, metavar="COMMAND"
    )
    _command(boards, "rebuild", "Recreate every board in Redis from the database.").set_defaults(
        func=_leaderboards_rebuild
    )
    console = _command(sub, "console-user", "Accounts of the console (/console).").add_subparsers(
        dest="console_command", required=True
    )
    for name, what in (("add", "Add an account."), ("set-password", "Change a password.")):
        command = _command(console, name, what)
        command.add_argument("email", help="The account's email address.")
        if name == "add":
            command.add_argument(
                "--role",
                choices=["admin", "analyst"],
                required=True,
                help="admin: everything; analyst: reads figures and members, changes nothing.",
            )
        given = command.add_mutually_exclusive_group()
        given.add_argument(
            "--password", help="The password (visible to other users: scripts only)."
        )
        given.add_argument(
            "--password-stdin", action="store_true", help="Read the password from standard input."
        )
        command.set_defaults(func=_console_user)
    _command(console, "list", "List the accounts.").set_defaults(func=_console_user)
    remove = _command(console, "remove", "Remove an account and its sessions.")
    remove.add_argument("email", help="The account's email address.")
    remove.set_defaults(func=_console_user)
    offers = _command(sub, "offers", "Personal offers (the recommender).").add_subparsers(
        dest="offers_command", required=True
    )
    train = _command(
        offers,
        "train",
        "Train the recommender on the program's interactions and serve the result "
        "(idempotent: unchanged data keeps the served version).",
    )
    train.add_argument(
        "--if-due",
        action="store_true",
        help="Only when the scheduled job would (no version yet, or OFFERS_RETRAIN_INTERACTIONS "
        "new interactions since the last training).",
    )
    train.set_defaults(func=_offers_train)
    evaluation = _command(
        offers,
        "evaluate",
        "Offline evaluation on a generated program with planted tastes: precision@k and "
        "recall@k of the model and of popularity on each member's held-out recent interactions.",
    )
    evaluation.add_argument("--members", type=int, default=20_000, help="Members to generate.")
    evaluation.add_argument("--k", type=int, default=5, help="The length of the list judged.")
    evaluation.add_argument("--seed", type=int, default=17, help="The generator's seed.")
    evaluation.set_defaults(func=_offers_evaluate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SettingsError as error:
        # A refusal to start is one line for the operator, not a traceback.
        print(f"fidelio: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
