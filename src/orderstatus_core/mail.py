"""Turning mail intents into text, in the shopper's language [en, fi].

Rendering happens at delivery time in the relay, so a template fix reaches mail still
waiting in the outbox. Headers are built by the mail adapter with
``email.message.EmailMessage`` (``policy.default``), which refuses CR and LF (SECURITY H1);
nothing typed by a shopper reaches a header here anyway: the recipient is a stored, validated
address and subjects are fixed text.
"""

from __future__ import annotations

from orderstatus_core.messages import (
    GuestPassMail,
    MailIntent,
    OrderListMail,
    OutboxMessage,
    OutgoingMail,
    ReturnLabelMail,
    ReturnReceivedMail,
    ReturnSettledMail,
    TrackingMail,
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


_RETURN_LABEL = {
    "en": (
        "Your return papers for order {order}",
        "Hello,\n\nYour return of order {order} is authorised: RMA {rmas}.\n\n"
        "{what}\n\nPlease send the package by {ship_by}. Put the instructions in the box;\n"
        "the refund follows when we have received and inspected it.\n",
        "Print the label and the instructions on the Order Status page.",
        "Print the instructions on the Order Status page, ship the package with the carrier of\n"
        "your choice and enter its tracking number there.",
    ),
    "fi": (
        "Palautuksesi paperit tilaukselle {order}",
        "Hei,\n\nTilauksen {order} palautus on hyväksytty: RMA {rmas}.\n\n"
        "{what}\n\nLähetä paketti viimeistään {ship_by}. Laita ohjeet pakettiin;\n"
        "hyvitys seuraa, kun paketti on vastaanotettu ja tarkastettu.\n",
        "Tulosta osoitekortti ja ohjeet Tilaustilanne-sivulta.",
        "Tulosta ohjeet Tilaustilanne-sivulta, lähetä paketti haluamallasi kuljetusliikkeellä\n"
        "ja syötä sen seurantanumero sivulle.",
    ),
}

_RETURN_RECEIVED = {
    "en": (
        "We received your return {rma}",
        "Hello,\n\nWe received return package {rma} of order {order}.\n"
        "We will inspect it and let you know how it is settled.\n",
    ),
    "fi": (
        "Palautuksesi {rma} on vastaanotettu",
        "Hei,\n\nOlemme vastaanottaneet tilauksen {order} palautuspaketin {rma}.\n"
        "Tarkastamme sen ja kerromme, miten palautus ratkaistaan.\n",
    ),
}

_RETURN_SETTLED = {
    "en": (
        "Your return {rma} is settled",
        "Hello,\n\nReturn package {rma} of order {order}: {outcome}\n",
        {
            "refunded": "{amount} is refunded to your original payment.",
            "credited": "{amount} is added to your store credit.",
            "replaced": "new parts are on their way; we will mail their tracking.",
            "rejected": "we could not accept the returned parts. See the Order Status page.",
        },
    ),
    "fi": (
        "Palautuksesi {rma} on käsitelty",
        "Hei,\n\nTilauksen {order} palautuspaketti {rma}: {outcome}\n",
        {
            "refunded": "{amount} hyvitetään alkuperäiselle maksutavalle.",
            "credited": "{amount} on lisätty kauppahyvitykseesi.",
            "replaced": "uudet osat ovat tulossa; lähetämme niiden seurantatiedot.",
            "rejected": "emme voineet hyväksyä palautettuja osia. Katso Tilaustilanne-sivu.",
        },
    ),
}


def _language(requested: str) -> str:
    return requested if requested in LANGUAGES else "en"


def _text(intent: MailIntent, language: str) -> tuple[str, str]:
    if isinstance(intent, OrderListMail):
        subject, body = _ORDER_LIST[language]
        return subject, body.format(numbers="\n".join(f"  {n}" for n in intent.order_numbers))
    if isinstance(intent, GuestPassMail):
        subject, body = _GUEST_PASS[language]
        return subject.format(order=intent.order_number), body.format(
            order=intent.order_number,
            code=intent.code,
            link=intent.link,
            expires=intent.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        )
    if isinstance(intent, ReturnLabelMail):
        subject, body, with_label, own = _RETURN_LABEL[language]
        return subject.format(order=intent.order_number), body.format(
            order=intent.order_number,
            rmas=", ".join(intent.rma_numbers),
            what=with_label if intent.with_label else own,
            ship_by=intent.ship_by.strftime("%Y-%m-%d"),
        )
    if isinstance(intent, ReturnReceivedMail):
        subject, body = _RETURN_RECEIVED[language]
        fields = {"order": intent.order_number, "rma": intent.rma_number}
        return subject.format(**fields), body.format(**fields)
    if isinstance(intent, ReturnSettledMail):
        subject, body, outcomes = _RETURN_SETTLED[language]
        outcome = outcomes.get(intent.outcome, intent.outcome).format(amount=intent.amount)
        fields = {"order": intent.order_number, "rma": intent.rma_number}
        return subject.format(**fields), body.format(outcome=outcome, **fields)
    return _tracking_text(intent, language)


def _tracking_text(intent: TrackingMail, language: str) -> tuple[str, str]:
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
    return subject, body.format(order=intent.order_number, packages="\n".join(rows))


def render_mail(message: OutboxMessage) -> OutgoingMail:
    """The subject and plain-text body of an outbox message, in its language."""
    intent = message.intent
    if not isinstance(intent, MailIntent):
        raise TypeError(f"a {type(intent).__name__} is not a mail")
    language = _language(intent.language)
    subject, text = _text(intent, language)
    return OutgoingMail(
        message_id=message.message_id,
        to=intent.to.display,
        subject=subject,
        text=text,
        language=language,
    )
