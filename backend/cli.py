"""Command-line tools: ``flask users ...`` and ``flask demo ...``."""

import click
from flask.cli import AppGroup

from backend.demo import load as demo
from backend.staff import service as staff_service
from backend.web.access import TABLE_LANGUAGES
from backend.web.errors import DomainError

users_cli = AppGroup("users", help="Staff accounts.")
demo_cli = AppGroup("demo", help="Demo data for local runs.")


@users_cli.command("create-admin")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for when not given.")
@click.option("--name", "display_name", default=None, help="Display name (defaults to the username).")
def create_admin(username, password, display_name):
    """Create an admin account (the first one has to come from here)."""
    try:
        staff = staff_service.create_staff(None, username=username, display_name=display_name or username,
                                           password=password, role="admin")
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"admin {staff.username} created (id {staff.id})")


@demo_cli.command("load")
def load_demo():
    """Load the demo data set when the database holds no staff yet; print how to sign in (on a later run:
    the sign-ins that still work)."""
    if demo.load_if_empty():
        click.echo("demo data loaded")
        click.echo(demo.sign_in_help())
    else:
        click.echo(demo.current_sign_in_help())


@demo_cli.command("credentials")
def show_credentials():
    """Print the demo sign-in details that still work."""
    click.echo(demo.current_sign_in_help())


@demo_cli.command("synthesize")
@click.option("--residents", type=click.IntRange(0), required=True, help="How many residents.")
@click.option("--events", type=click.IntRange(0), default=0, show_default=True, help="How many credit events.")
@click.option("--seed", type=int, default=1, show_default=True, help="The same seed gives the same data.")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Events lie in the three years before this date (default: today).")
@click.option("--events-csv", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the events to this CSV file (the import format) and leave the database alone.")
def synthesize(residents, events, seed, as_of, events_csv):
    """Make realistic, deterministic data at city scale: residents in Jiangyin's towns, villages and
    households, and credit events across the rubric."""
    from pathlib import Path

    from backend.demo.synthetic import synthesize as run

    counts = run(residents=residents, events_count=events, seed=seed, as_of=as_of.date() if as_of else None,
                 events_csv=Path(events_csv) if events_csv else None)
    click.echo(", ".join(f"{key.replace('_', ' ')}: {value}" for key, value in counts.items()))


access_cli = AppGroup("access", help="Who may call what.")


@access_cli.command("table")
@click.option("--lang", type=click.Choice(TABLE_LANGUAGES), default="en", show_default=True,
              help="The guide's language: en for miniprogram_api_docs/en/, zh for miniprogram_api_docs/.")
def access_table(lang):
    """Print the authorisation table (Markdown) from the views' own rules."""
    from flask import current_app

    from backend.web.access import table_markdown

    click.echo(table_markdown(current_app, lang), nl=False)


credit_cli = AppGroup("credit", help="Credit points.")


@credit_cli.command("refresh")
def credit_refresh():
    """Recompute every account whose next expiry has passed (run nightly)."""
    from backend.credit.service import refresh_due_accounts

    click.echo(f"{refresh_due_accounts()} accounts refreshed")


@credit_cli.command("load-rubric")
def credit_load_rubric():
    """Add the default rubric items that are missing."""
    from backend.credit.default_rubric import load_default_rubric

    click.echo(f"{load_default_rubric()} rubric items added")


notices_cli = AppGroup("notices", help="WeChat notices.")


@notices_cli.command("send-queued")
@click.option("--limit", type=click.IntRange(1), default=None, help="Send at most this many (default: all).")
def notices_send_queued(limit):
    """Send the notices queued by bulk work (run every minute)."""
    from backend.notices.service import send_queued

    click.echo(f"{send_queued(limit)} queued notices tried")


keys_cli = AppGroup("keys", help="Signing keys of credit codes.")


@keys_cli.command("rotate")
def keys_rotate():
    """Add a new active signing key; the old one stays published until its codes have expired."""
    from backend.codes.keys import rotate

    key = rotate()
    click.echo(f"new active key {key.kid}")


@keys_cli.command("retire")
@click.argument("kid")
def keys_retire(kid):
    """Withdraw a key at once (it was compromised): it verifies nothing from now on, so codes it signed
    that are still alive are refused; a new active key takes over when it was the active one."""
    from backend.codes.keys import KeyNotFound, retire

    try:
        key, successor = retire(kid)
    except KeyNotFound as exc:
        raise click.ClickException(f"no signing key has the kid {kid}") from exc
    click.echo(f"key {key.kid} retired: it verifies nothing from now on and is no longer published")
    if successor is not None:
        click.echo(f"new active key {successor.kid}")


@keys_cli.command("list")
def keys_list():
    """Every signing key: kid, created, and whether it signs, is published, or was withdrawn."""
    from backend.codes.keys import every_key
    from backend.dates.timeutil import as_local, utcnow

    now = utcnow()
    for key in every_key():
        if key.active:
            state = "active: signs new codes"
        elif key.published_until and key.published_until > now:
            state = f"rotated out: verifies until {as_local(key.published_until).isoformat()}"
        else:
            state = f"withdrawn since {as_local(key.published_until or key.retired_at).isoformat()}"
        click.echo(f"{key.kid}  created {as_local(key.created_at).isoformat()}  {state}")


uploads_cli = AppGroup("uploads", help="Uploaded files.")


@uploads_cli.command("cleanup")
def uploads_cleanup():
    """Delete uploads never attached to anything, a day after they came (run daily)."""
    from backend.uploads.service import cleanup

    click.echo(f"{cleanup()} unattached uploads deleted")


reports_cli = AppGroup("reports", help="Reward-backed reports.")


@reports_cli.command("load-categories")
def reports_load_categories():
    """Add the default report categories that are missing (after `flask credit load-rubric`)."""
    from backend.reports.categories import load_defaults

    click.echo(f"{load_defaults()} report categories added")


stats_cli = AppGroup("stats", help="Monthly monitoring.")


@stats_cli.command("publish")
@click.option("--month", required=True, help="The ended month to publish, YYYY-MM.")
def stats_publish(month):
    """Freeze an ended month's figures and warnings (按月度发布监测结果和预警报告)."""
    from backend.monitoring import service

    try:
        document = service.publish(None, month)
    except DomainError as exc:
        raise click.ClickException(f"{exc.reason}: {exc.message}") from exc
    click.echo(f"{month} published: {document['city']['residents']} residents, "
               f"{len(document['towns'])} towns, {len(document['warnings'])} warnings")
