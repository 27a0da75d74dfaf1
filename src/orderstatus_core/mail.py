"""Turning mail intents into text, in the shopper's language [en, fi].

Rendering happens at delivery time in the relay, so a template fix reaches mail still
waiting in the outbox. Headers are built by the mail adapter with
``email.message.EmailMessage`` (``policy.default``), which refuses CR and LF (SECURITY H1);
nothing typed by a shopper reaches a header here anyway: the recipient is a stored, validated
address and subjects are fixed text.
"""

from __future__ import annotations

from orderstatus_core.ports import (
    GuestPassMail,
    OrderListMail,
    OutboxMessage,
    OutgoingMail,
    RefundDue,
)

__all__ = ["LANGUAGES", "render_mail"]

#: Languages with templates. Anything else falls back to English.
LANGUAGES = ("en", "fi")

_ORDER_LIST = {
    "en": (
        "Your recent order numbers",
        "Hello,\n\nYou asked for the order numbers placed with this email address.\n"
        "The most recent, newest first:\n\n{numbers}\n\n"
        "Enter one of them with this email address on the Order Status page to see it.\n"
        "If you did not ask for this, you can ignore this mail.\n",
    ),
    "fi": (
        "Viimeisimmät tilausnumerosi",
        "Hei,\n\nPyysit tällä sähköpostiosoitteella tehtyjen tilausten numerot.\n"
        "Viimeisimmät, uusin ensin:\n\n{numbers}\n\n"
        "Syötä numero ja tämä sähköpostiosoite Tilaustilanne-sivulla nähdäksesi tilauksen.\n"
        "Jos et pyytänyt tätä, voit jättää viestin huomiotta.\n",
    ),
}


_TRACKING = {
    "en": (
        "Your order {order} has shipped",
        "Hello,\n\nEvery package of your order {order} is on its way:\n\n{packages}\n\n"
        "You can follow them on the Order Status page with your order number.\n",
        "  {package}: {carrier} {tracking}",
    ),
    "fi": (
        "Tilauksesi {order} on lähetetty",
        "Hei,\n\nKaikki tilauksesi {order} paketit ovat matkalla:\n\n{packages}\n\n"
        "Voit seurata niitä Tilaustilanne-sivulla tilausnumerollasi.\n",
        "  {package}: {carrier} {tracking}",
    ),
}


_GUEST_PASS = {
    "en": (
        "Your code for order {order}",
        "Hello,\n\nSomeone, we hope you, asked to make changes to order {order} on the Order "
        "Status page.\n\nYour code: {code}\n\nOr open this link:\n{link}\n\n"
        "The code and the link work once, until {expires}.\n"
        "If you did not ask for this, you can ignore this mail: nothing changes without "
        "the code.\n",
    ),
    "fi": (
        "Koodisi tilaukselle {order}",
        "Hei,\n\nTilauksen {order} muuttamista pyydettiin Tilaustilanne-sivulla, toivottavasti "
        "sinun toimestasi.\n\nKoodisi: {code}\n\nTai avaa tämä linkki:\n{link}\n\n"
        "Koodi ja linkki toimivat kerran, {expires} asti.\n"
        "Jos et pyytänyt tätä, voit jättää viestin huomiotta: mikään ei muutu ilman koodia.\n",
    ),
}


def _language(requested: str) -> str:
    return requested if requested in LANGUAGES else "en"


def render_mail(message: OutboxMessage) -> OutgoingMail:
    """The subject and plain-text body of an outbox message, in its language."""
    intent = message.intent
    if isinstance(intent, RefundDue):
        raise TypeError("a RefundDue is an event for subscribers, not a mail")
    language = _language(intent.language)
    if isinstance(intent, OrderListMail):
        subject, body = _ORDER_LIST[language]
        text = body.format(numbers="\n".join(f"  {n}" for n in intent.order_numbers))
    elif isinstance(intent, GuestPassMail):
        subject, body = _GUEST_PASS[language]
        subject = subject.format(order=intent.order_number)
        text = body.format(
            order=intent.order_number,
            code=intent.code,
            link=intent.link,
            expires=intent.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        )
    else:
        subject, body, row = _TRACKING[language]
        rows = []
        for notice in intent.packages:
            rows.append(
                row.format(
                    package=notice.package_id,
                    carrier=notice.carrier,
                    tracking=notice.tracking_number,
                )
            )
            if notice.tracking_url:
                rows.append(f"    {notice.tracking_url}")
        subject = subject.format(order=intent.order_number)
        text = body.format(order=intent.order_number, packages="\n".join(rows))
    return OutgoingMail(
        message_id=message.message_id,
        to=intent.to.display,
        subject=subject,
        text=text,
        language=language,
    )
