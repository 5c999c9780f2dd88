"""The `fidelio` command: serve, worker, migrate, makemigrations, seed-demo, token,
export-schema, jobs."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from api.logs import configure_logging
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
    summary = asyncio.run(seed_demo(settings))
    print(summary)
    return 0


def _token(args: argparse.Namespace) -> int:
    from api.auth import mint_token

    settings = load_settings()
    print(mint_token(settings, args.role, args.sub, ttl_seconds=args.ttl))
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
            print(await runtime.run_jobs_once())
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
            awarded = await backfill_badge(args.code, runtime.clock.now(), args.batch_size)
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
            written = await rebuild_all(runtime.boards, runtime.clock.now())
            await runtime.boards.announced()
            return written
        finally:
            await runtime.stop()

    print(f"leaderboards rebuilt: {asyncio.run(main())} entries")
    return 0


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
    parser = argparse.ArgumentParser(prog="fidelio", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="Run the API server (uvicorn).")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=_serve)
    worker = sub.add_parser("worker", help="Run the outbox dispatcher and scheduled jobs.")
    worker.add_argument(
        "--metrics-port",
        type=int,
        default=0,
        help="Serve this worker's /metrics and /healthz on this port (0, the default: not served).",
    )
    worker.set_defaults(func=_worker)
    sub.add_parser("migrate", help="Apply the database migrations.").set_defaults(func=_migrate)
    sub.add_parser(
        "makemigrations", help="Write a migration for model changes (developers)."
    ).set_defaults(func=_makemigrations)
    sub.add_parser("seed-demo", help="Fill the database with a demo program.").set_defaults(
        func=_seed
    )
    token = sub.add_parser("token", help="Mint a development token.")
    token.add_argument("--role", choices=["member", "service", "admin"], required=True)
    token.add_argument("--sub", required=True, help="Subject: the customer id for members.")
    token.add_argument("--ttl", type=int, default=24 * 3600, help="Seconds of validity.")
    token.set_defaults(func=_token)
    sub.add_parser("export-schema", help="Print the served GraphQL SDL.").set_defaults(
        func=_export_schema
    )
    sub.add_parser("jobs", help="Run the scheduled jobs once.").set_defaults(func=_jobs)
    trusted = sub.add_parser(
        "trusted-documents",
        help="Print the trusted-documents manifest (api/trusted_documents.json) of operations.",
    )
    trusted.add_argument("operations", nargs="?", default="tests/contract/operations")
    trusted.set_defaults(func=_trusted_documents)
    rules = sub.add_parser("rules", help="The rules engine.").add_subparsers(
        dest="rules_command", required=True
    )
    backfill = rules.add_parser("backfill", help="Award a badge over existing history.")
    backfill.add_argument("code", help="The badge code.")
    backfill.add_argument("--batch-size", type=int, default=500)
    backfill.set_defaults(func=_rules_backfill)
    boards = sub.add_parser("leaderboards", help="Leaderboards.").add_subparsers(
        dest="leaderboards_command", required=True
    )
    boards.add_parser(
        "rebuild", help="Recreate every board in Redis from the database."
    ).set_defaults(func=_leaderboards_rebuild)
    offers = sub.add_parser("offers", help="Personal offers (the recommender).").add_subparsers(
        dest="offers_command", required=True
    )
    train = offers.add_parser(
        "train",
        help="Train the recommender on the program's interactions and serve the result "
        "(idempotent: unchanged data keeps the served version).",
    )
    train.add_argument(
        "--if-due",
        action="store_true",
        help="Only when the scheduled job would (no version yet, or OFFERS_RETRAIN_INTERACTIONS "
        "new interactions since the last training).",
    )
    train.set_defaults(func=_offers_train)
    evaluation = offers.add_parser(
        "evaluate",
        help="Offline evaluation on a generated program with planted tastes: precision@k and "
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
