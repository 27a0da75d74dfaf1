"""The profile part of ``orderstatus demo`` (issue 14 item 10): Jane, logged in at the end
of the account part, saves the address of her past orders with one call, puts her car in
the garage, finds the orders bought for it, watches a part that the store reports back in
stock twice (one alert mail), and leaves the newsletter with the one-click link of a store
mail.

The demo store (:class:`DemoStore`) draws its unsubscribe key per run and brings its own
store mail, ``mail/store/demo-newsletter``, in English and Finnish.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import attrs
import jinja2

from orderstatus_core.app import OrderStatus
from orderstatus_core.cli._demo_accounts import DemoFailed, expect
from orderstatus_core.cli._render import Style, mail_summary, read_mail, search_lines
from orderstatus_core.errors import InvalidVinError
from orderstatus_core.mail import MailTemplates
from orderstatus_core.model import Address
from orderstatus_core.model.profile import Vehicle
from orderstatus_core.plugins import hookimpl
from orderstatus_core.policies.profile import ProfilePolicy
from orderstatus_core.sample import DEMO_CAR
from orderstatus_core.services.accounts import ShopperSession
from orderstatus_core.services.alert_results import PartAlertsSent, PartWatched, PartWatches
from orderstatus_core.services.preference_results import (
    MailPreferences,
    StoreMailQueued,
    Unsubscribed,
)
from orderstatus_core.services.profile_results import (
    AddressBook,
    AddressSaved,
    Garage,
    VehicleAdded,
)
from orderstatus_core.services.results import SearchPage

__all__ = ["DEMO_STORE_MAIL", "PROFILE_TITLE", "DemoStore", "walk_through_profile"]

#: The heading the demo prints over this part.
PROFILE_TITLE = "The profile: addresses, the garage, an alert and store mail"
#: The demo store's own store mail (``mail/store/<name>.txt`` and ``.html``).
DEMO_STORE_MAIL = "demo-newsletter"
#: Jane's car in her garage: :data:`~orderstatus_core.sample.DEMO_CAR` with a nickname
#: and a VIN whose check digit (its 9th character, 7) is right.
_NICKNAME = "Red wagon"
_VIN = "4S4BSANC7G3261447"
#: The same VIN typed with its 11th character wrong: the check digit no longer fits.
_MISTYPED_VIN = "4S4BSANC7G4261447"
#: The part she watches, as the storefront's button sends it (a rotor like her cracked one).
_WATCHED = "RT-5580"
_TOPIC = "newsletter"

# The store writes its own mail in each language it sells in; the core's frame around it
# (greeting, the unsubscribe line, the signature) comes from the catalogs.
_TEMPLATES = {
    f"mail/store/{DEMO_STORE_MAIL}.txt": """{% extends "mail/store_mail.txt" %}
{% block subject %}{% if language == "fi" %}Tässä kuussa jarrut −20 %{% else %}\
This month: brakes 20% off{% endif %}{% endblock %}
{% block body %}{% if language == "fi" %}Jarrupalat, jarrulevyt ja jarrusatulat −20 % kuun \
loppuun asti.{% else %}Brake pads, rotors and calipers are 20% off until the end of the \
month.{% endif +%}
{% endblock %}
""",
    f"mail/store/{DEMO_STORE_MAIL}.html": """{% extends "mail/store_mail.html" %}
{% block content %}<p>{% if language == "fi" %}Jarrupalat, jarrulevyt ja jarrusatulat −20 % \
kuun loppuun asti.{% else %}Brake pads, rotors and calipers are 20% off until the end of \
the month.{% endif %}</p>{% endblock %}
""",
}


class DemoStore:
    """The demo store's profile policy and store mail, a plugin.

    The unsubscribe key is drawn for this run (never a fixed, published one: whoever
    holds it can unsubscribe anyone), so the links of a run's mail die with it.
    """

    def __init__(self) -> None:
        self.policy = ProfilePolicy(unsubscribe_key=secrets.token_bytes(32))

    @hookimpl
    def orderstatus_profile_policy(self) -> ProfilePolicy:
        """The defaults, with this run's unsubscribe key."""
        return self.policy

    @hookimpl
    def orderstatus_mail_templates(self) -> MailTemplates:
        """The demo's store mail, ``demo-newsletter``."""
        return MailTemplates(templates=jinja2.DictLoader(_TEMPLATES))


def _address_text(address: Address) -> str:
    parts = (address.name, address.line1, address.line2, address.city, address.region)
    shown = ", ".join(part for part in parts if part)
    return f"{shown} {address.postal_code}, {address.country}"


def _car_text(car: Vehicle) -> str:
    return f"{car.nickname}: {car.year} {car.make} {car.model}, {car.engine}, VIN {car.vin}"


class _Outbox:
    """The outbox relay, and the mail files each run of it wrote."""

    def __init__(self, desk: OrderStatus, mail_folder: Path) -> None:
        self.desk, self.mail_folder = desk, mail_folder

    def relay_one(self, what: str) -> Path:
        """Relay, and the one mail file it wrote (the demo expects exactly one)."""
        before = set(self.mail_folder.glob("*.eml"))
        self.desk.relay_outbox()
        written = sorted(set(self.mail_folder.glob("*.eml")) - before)
        if len(written) != 1:
            raise DemoFailed(f"{len(written)} mail files for {what}, not one: {written}")
        return written[0]


def walk_through_profile(
    desk: OrderStatus,
    shopper: ShopperSession,
    say: Callable[..., None],
    heading: Callable[[str], None],
    mail_folder: Path,
    style: Style,
) -> None:
    """Jane's profile, step by step, with ``shopper`` her logged-in session."""
    walk = _ProfileWalk(desk, shopper, say, heading, _Outbox(desk, mail_folder), style)
    walk.reuse_an_address()
    walk.search_by_the_car(walk.park_the_car())
    walk.alert_once()
    walk.unsubscribe()


@attrs.define
class _ProfileWalk:
    """The steps of the profile part, each printing what was typed and answered."""

    desk: OrderStatus
    shopper: ShopperSession
    say: Callable[..., None]
    heading: Callable[[str], None]
    outbox: _Outbox
    style: Style

    def reuse_an_address(self) -> None:
        shopper, say = self.shopper, self.say
        self.heading("An address reused from a past order")
        book = expect(shopper.addresses(), AddressBook, "the address book")
        say(f"  From your orders ({len(book.from_orders)}: her orders' addresses, each once):")
        say(*(f"    {_address_text(address)}" for address in book.from_orders))
        if not book.from_orders:
            raise DemoFailed("her orders offer no address to reuse")
        say("  > save it as the default address (one call)")
        expect(shopper.add_address(book.from_orders[0], default=True), AddressSaved, "save it")
        book = expect(shopper.addresses(), AddressBook, "the address book")
        for entry in book.saved:
            default = " (default)" if entry.is_default else ""
            say(f"  Saved{default}: {_address_text(entry.address)}")
        say(f"  From your orders now: {len(book.from_orders)} (a saved one is not offered twice)")

    def park_the_car(self) -> str:
        """Her car in the garage (a mistyped VIN refused first); its ``vehicle_id``."""
        shopper, say = self.shopper, self.say
        self.heading("A car in the garage")
        year, make, model, engine = DEMO_CAR
        say(f"  > {year} {make} {model}, {engine}, VIN {_MISTYPED_VIN} (one character mistyped)")
        try:
            Vehicle(year, make, model, engine, nickname=_NICKNAME, vin=_MISTYPED_VIN)
        except InvalidVinError as error:
            say(f"  Refused: {error}")
        else:
            raise DemoFailed(f"the mistyped VIN {_MISTYPED_VIN} was accepted")
        car = Vehicle(year, make, model, engine, nickname=_NICKNAME, vin=_VIN)
        say(f"  > the same with VIN {_VIN}, nickname {_NICKNAME!r}")
        added = expect(shopper.add_vehicle(car), VehicleAdded, "put the car in the garage")
        garage = expect(shopper.garage(), Garage, "the garage")
        say(*(f"  In the garage: {_car_text(kept.vehicle)}" for kept in garage.vehicles))
        say(f"  (the store's vehicle catalog lists it as {added.catalog_id})")
        return added.vehicle_id

    def search_by_the_car(self, vehicle_id: str) -> None:
        self.heading("Her orders searched by that car")
        self.say(f"  > Account Activity, bought for {_NICKNAME!r} (the garage's vehicle_id)")
        page = expect(self.shopper.search(vehicle_id=vehicle_id), SearchPage, "search")
        self.say(*search_lines(page, self.style))
        if not page.matches:
            raise DemoFailed("no order was found for her car")

    def alert_once(self) -> None:
        desk, say = self.desk, self.say
        self.heading("An availability alert that fires once")
        watched = expect(self.shopper.watch_part(_WATCHED), PartWatched, "watch a part")
        say(f"  > watch {_WATCHED!r}, out of stock: watching {watched.part_number}")
        for report in ("", " again"):
            sent = expect(
                desk.catalog.part_back_in_stock(watched.part_number), PartAlertsSent, "report"
            )
            say(
                f"  > desk.catalog.part_back_in_stock({watched.part_number!r}){report}:"
                f" {sent.alerts} alert(s) queued"
            )
        mail = self.outbox.relay_one("the alert")
        say(f"  One alert mail: {mail}", *mail_summary(mail))
        watches = expect(self.shopper.part_watches(), PartWatches, "the watch list")
        say(f"  Parts she watches now: {len(watches.watches)} (a watch fires once)")

    def unsubscribe(self) -> None:
        desk, shopper, say = self.desk, self.shopper, self.say
        self.heading("Store mail and a one-click unsubscribe")
        chosen = shopper.set_mail_preferences({_TOPIC: True})
        subscribed = expect(chosen, MailPreferences, "subscribe").subscribed
        say(f"  > subscribe to the {_TOPIC}: subscribed to {', '.join(subscribed)}")
        queued = expect(desk.queue_store_mail(_TOPIC, DEMO_STORE_MAIL), StoreMailQueued, "queue")
        say(f"  > desk.queue_store_mail({_TOPIC!r}, {DEMO_STORE_MAIL!r}): {queued.queued} queued")
        mail = self.outbox.relay_one("the store mail")
        to, subject, _text = read_mail(mail)
        message = message_from_bytes(mail.read_bytes(), policy=default_policy)
        link = str(message["List-Unsubscribe"] or "").strip("<>")
        token = parse_qs(urlsplit(link).query).get("token", [""])[0]
        if not token:
            raise DemoFailed(f"the store mail {mail} has no one-click link")
        say(
            f"  Store mail: {mail}",
            f"  To: {to}",
            f"  Subject: {subject}",
            f"  List-Unsubscribe: <{link.partition('?')[0]}?…>",
            f"  List-Unsubscribe-Post: {message['List-Unsubscribe-Post']}",
            "  (the link's query, its token, is in the .eml and not printed here)",
        )
        say("  > her mail program posts to the link: desk.unsubscribe(token), no log-in")
        done = expect(desk.unsubscribe(token), Unsubscribed, "unsubscribe")
        say(f"  Unsubscribed from the {done.topic}")
        after = expect(shopper.mail_preferences(), MailPreferences, "mail preferences")
        state = "on" if _TOPIC in after.subscribed else "off"
        say(f"  Her mail preferences now: {_TOPIC} {state}")
        again = expect(desk.queue_store_mail(_TOPIC, DEMO_STORE_MAIL), StoreMailQueued, "queue")
        say(f"  The {_TOPIC} queued again: {again.queued} mail (nobody else subscribed)")
