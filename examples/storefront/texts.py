"""The storefront's own words in English and Finnish, and the shopper's language.

The library answers in the shopper's language by itself (``language=`` on every call); this
small catalog holds only the pages' own words (headings, labels, buttons). Templates call
``_()`` (Jinja's i18n extension, new style: values are escaped), the Python code
:func:`gettext`; :func:`N_` marks a text to translate later. ``tests/storefront`` checks
that every marked text has a Finnish translation.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import g, has_request_context

__all__ = [
    "FINNISH",
    "LANGUAGES",
    "LANGUAGE_COOKIE",
    "N_",
    "choose_language",
    "gettext",
    "ngettext",
    "translate",
]

#: The languages the pages offer (those of the library's own catalogs).
LANGUAGES = ("en", "fi")
#: The cookie that keeps the shopper's choice of language.
LANGUAGE_COOKIE = "language"


def N_(message: str) -> str:
    """Mark ``message`` for translation; it is translated where it is shown."""
    return message


def choose_language(chosen: str | None, accepted: object) -> str:
    """The shopper's choice (the cookie), else the browser's best offered language."""
    if chosen in LANGUAGES:
        return str(chosen)
    best_match = getattr(accepted, "best_match", None)
    best = best_match(LANGUAGES) if best_match is not None else None
    return best if best in LANGUAGES else "en"


def translate(language: str, message: str, **values: object) -> str:
    """``message`` in ``language`` (English when the catalog lacks it), ``%(name)s``
    filled from ``values``."""
    text = FINNISH.get(message, message) if language == "fi" else message
    return text % values if values else text


def gettext(message: str, **values: object) -> str:
    """``message`` in the request's language."""
    language = g.get("language", "en") if has_request_context() else "en"
    return translate(language, message, **values)


def ngettext(singular: str, plural: str, count: int, **values: object) -> str:
    """The singular or plural of a message in the request's language."""
    values.setdefault("num", count)
    return gettext(singular if count == 1 else plural, **values)


def marked(names: Iterable[str]) -> list[str]:
    """The texts among ``names`` that have no Finnish translation (for the tests)."""
    return [name for name in names if name not in FINNISH]


#: The pages' own words in Finnish, by their English text.
FINNISH: dict[str, str] = {
    "Find an order": "Etsi tilaus",
    "Email address or phone number": "Sähköpostiosoite tai puhelinnumero",
    "Order number": "Tilausnumero",
    "Find my order": "Etsi tilaukseni",
    "Order Look-Up": "Tilausnumeroiden haku",
    "Forgot your order number? We email your 10 most recent order numbers to the address they were placed with.": "Unohditko tilausnumerosi? Lähetämme 10 viimeisintä tilausnumeroasi sähköpostiosoitteeseen, jolla tilaukset tehtiin.",
    "Email address": "Sähköpostiosoite",
    "Send order list": "Lähetä tilauslista",
    "Order Status & Returns": "Tilauksen tila ja palautukset",
    "Example Parts": "Esimerkkiosat",
    "Skip to the content": "Siirry sisältöön",
    "Language": "Kieli",
    "Request a change": "Pyydä muutosta",
    "Order %(number)s": "Tilaus %(number)s",
    "Only for units the warehouse has not started on. The store decides; you see the answer on the order's page.": "Vain kappaleille, joiden käsittelyä varasto ei ole aloittanut. Kauppa päättää; näet vastauksen tilauksen sivulta.",
    "Line": "Rivi",
    "Shipping speed": "Toimitusnopeus",
    "Ask for this speed": "Pyydä tätä nopeutta",
    "Quantity": "Määrä",
    "New quantity": "Uusi määrä",
    "Ask for this quantity": "Pyydä tätä määrää",
    "Remove a line": "Poista rivi",
    "Ask to remove the line": "Pyydä rivin poistoa",
    "Swap to another part": "Vaihda toiseen osaan",
    "The part number you want instead": "Osanumero, jonka haluat tilalle",
    "Ask for the swap": "Pyydä vaihtoa",
    "Shipping address": "Toimitusosoite",
    "Name": "Nimi",
    "Street address": "Katuosoite",
    "Address line 2": "Osoitteen toinen rivi",
    "City": "Kaupunki",
    "State or region": "Osavaltio tai alue",
    "Postal code": "Postinumero",
    "Country (two letters)": "Maa (kaksi kirjainta)",
    "Ask to ship here": "Pyydä toimitusta tänne",
    "Back to the order": "Takaisin tilaukseen",
    "Your code": "Koodisi",
    "The 6-digit code from the mail for order %(number)s": "Tilauksen %(number)s 6-numeroinen koodi sähköpostista",
    "Confirm": "Vahvista",
    "Or follow the link in the same mail.": "Tai avaa saman viestin linkki.",
    "Sorry": "Valitettavasti",
    "Back to Order Status": "Takaisin tilauksen tilaan",
    "See where your parts are, cancel or change what has not shipped, report a problem or return a part. No account needed.": "Katso, missä osasi ovat, peru tai muuta lähettämätöntä, ilmoita ongelmasta tai palauta osa. Tiliä ei tarvita.",
    "Search your orders by part number or category": "Hae tilauksiasi osanumerolla tai luokalla",
    "The demo's mail": "Demon sähköpostit",
    "The demo sends no mail: it writes each one to a file. The newest first.": "Demo ei lähetä postia: se kirjoittaa jokaisen viestin tiedostoon. Uusin ensin.",
    "To": "Vastaanottaja",
    "No mail yet.": "Ei vielä viestejä.",
    "Not found": "Ei löytynyt",
    "We could not find an order with that email address or phone number and order number.": "Emme löytäneet tilausta tällä sähköpostiosoitteella tai puhelinnumerolla ja tilausnumerolla.",
    "Placed %(when)s": "Tehty %(when)s",
    "Status": "Tila",
    "Ship to": "Toimitetaan",
    "Parts": "Osat",
    "Each line, and where its units are": "Jokainen rivi ja missä sen kappaleet ovat",
    "Part": "Osa",
    "Description": "Kuvaus",
    "Qty": "Kpl",
    "Price": "Hinta",
    "Where": "Missä",
    "Cancel units": "Peru kappaleita",
    "core charge %(amount)s": "runkopantti %(amount)s",
    "Units of line %(line)s": "Rivin %(line)s kappaleet",
    "Cancel the chosen units": "Peru valitut kappaleet",
    "Units the warehouse is packing become a cancel request it decides; shipped units can be returned.": "Varaston pakkaamista kappaleista tulee peruutuspyyntö, josta varasto päättää; lähetetyt kappaleet voi palauttaa.",
    "Cancel everything that has not shipped": "Peru kaikki lähettämätön",
    "Subtotal": "Välisumma",
    "cores": "runkopantit",
    "shipping": "toimitus",
    "tax": "vero",
    "total": "yhteensä",
    "refunded": "hyvitetty",
    "Packages": "Paketit",
    "Package": "Paketti",
    "From": "Mistä",
    "Tracking": "Seuranta",
    "State": "Tila",
    "Units": "Kappaleet",
    "Requests and reports": "Pyynnöt ja ilmoitukset",
    "Timeline": "Aikajana",
    "Change, cancel or return": "Muuta, peru tai palauta",
    "Report a problem": "Ilmoita ongelmasta",
    "Return parts": "Palauta osia",
    "Your returns and labels": "Palautuksesi ja osoitekortit",
    "Search your orders": "Hae tilauksiasi",
    "To change this order, confirm it is yours: we email a code and a link to the address on the order.": "Vahvista ensin, että tilaus on sinun: lähetämme koodin ja linkin tilauksen sähköpostiosoitteeseen.",
    "Email me a code": "Lähetä minulle koodi",
    "I have a code": "Minulla on koodi",
    "Guest pass": "Vieraan tunniste",
    "Confirm that you want to change your order with the link we mailed you.": "Vahvista, että haluat muuttaa tilaustasi lähettämällämme linkillä.",
    "Continue to my order": "Jatka tilaukseeni",
    "Your refund": "Hyvityksesi",
    "Package %(n)s to %(where)s": "Paketti %(n)s: %(where)s",
    "line %(line)s × %(qty)s": "rivi %(line)s × %(qty)s",
    "What comes back to you": "Mitä saat takaisin",
    "Core deposits": "Runkopantit",
    "Shipping": "Toimitus",
    "Tax": "Vero",
    "Return label": "Palautuksen osoitekortti",
    "Restocking fee": "Varastoonpalautusmaksu",
    "Total refund": "Hyvitys yhteensä",
    "Return these parts": "Palauta nämä osat",
    "Change the return": "Muuta palautusta",
    "What happened": "Mitä tapahtui",
    "Which package (optional)": "Mikä paketti (valinnainen)",
    "Not one package": "Ei yksittäinen paketti",
    "Which units (optional)": "Mitkä kappaleet (valinnainen)",
    "Tell us more (optional)": "Kerro lisää (valinnainen)",
    "Send the report": "Lähetä ilmoitus",
    "Kind of return": "Palautuksen laji",
    "What comes back": "Mitä palautetaan",
    "May come back": "Voi palauttaa",
    "until %(when)s": "%(when)s asti",
    "Why": "Miksi",
    "How it travels": "Miten se kulkee",
    "Where the money goes": "Minne rahat palautetaan",
    "Anything to add (optional)": "Lisättävää (valinnainen)",
    "See the refund": "Näytä hyvitys",
    "Your returns": "Palautuksesi",
    "The label and the instructions are being made; reload this page in a moment.": "Osoitekorttia ja ohjeita tehdään; lataa sivu hetken päästä uudelleen.",
    "Your tracking number (UPS, USPS or FedEx)": "Seurantanumerosi (UPS, USPS tai FedEx)",
    "Save the tracking number": "Tallenna seurantanumero",
    "No returns yet.": "Ei vielä palautuksia.",
    "Part number": "Osanumero",
    "Or category (e.g. Brake & Wheel Hub)": "Tai luokka (esim. Brake & Wheel Hub)",
    "Search": "Hae",
    "Search needs a guest pass: find one of your orders and confirm it with the mailed code first.": "Haku vaatii vieraan tunnisteen: etsi ensin jokin tilauksesi ja vahvista se sähköpostiin lähetetyllä koodilla.",
    "Orders found": "Löytyneet tilaukset",
    "No order has such a part.": "Missään tilauksessa ei ole tällaista osaa.",
    "More": "Lisää",
    "Return": "Palautus",
    "Core return": "Rungon palautus",
    "Warranty claim": "Takuuvaatimus",
    "You sent the wrong part": "Lähetitte väärän osan",
    "Damaged in shipping": "Vaurioitui kuljetuksessa",
    "Defective": "Viallinen",
    "Missing pieces": "Osia puuttuu",
    "I ordered the wrong part": "Tilasin väärän osan",
    "No longer needed": "Ei enää tarpeen",
    "Does not fit my vehicle": "Ei sovi ajoneuvooni",
    "Print the store's label": "Tulostan kaupan osoitekortin",
    "I ship it myself and enter the tracking number": "Lähetän itse ja annan seurantanumeron",
    "Refund to my payment": "Hyvitys maksutavalleni",
    "Store credit": "Kauppahyvitys",
    "An item is missing": "Tuote puuttuu",
    "Damaged in transit": "Vaurioitui matkalla",
    "Wrong part received": "Sain väärän osan",
    "Package not delivered": "Pakettia ei toimitettu",
    "Tracking is not updating": "Seuranta ei päivity",
    "Something else": "Jokin muu",
    "Standard": "Normaali",
    "Expedited": "Nopea",
    "Overnight": "Yön yli",
    "cancelled": "peruttu",
    "cancel requested: the warehouse decides": "peruutusta pyydetty: varasto päättää",
    "already shipped: return it instead": "jo lähetetty: palauta se",
    "nothing left to cancel": "ei mitään peruttavaa",
    "waiting for the store": "odottaa kauppaa",
    "waiting for you to ship it": "odottaa lähetystäsi",
    "on its way back": "matkalla takaisin",
    "received": "vastaanotettu",
    "inspected": "tarkastettu",
    "refunded as store credit": "hyvitetty kauppahyvityksenä",
    "replaced": "vaihdettu",
    "rejected": "hylätty",
    "approved": "hyväksytty",
    "declined": "hylätty",
    "approved and done": "hyväksytty ja tehty",
    "Please confirm it is your order first: we email you a code.": "Vahvista ensin, että tilaus on sinun: lähetämme sinulle koodin.",
    "Try later": "Yritä myöhemmin",
    "Thank you: you can now change, cancel or return this order.": "Kiitos: voit nyt muuttaa, perua tai palauttaa tämän tilauksen.",
    "Your change request is recorded: %(state)s.": "Muutospyyntösi on kirjattu: %(state)s.",
    "Thank you: problem %(id)s is reported.": "Kiitos: ongelma %(id)s on ilmoitettu.",
    "Your return is recorded: %(rmas)s. The papers are on their way by mail.": "Palautuksesi on kirjattu: %(rmas)s. Paperit tulevat sähköpostitse.",
    "Thank you: the tracking number of %(rma)s is saved.": "Kiitos: palautuksen %(rma)s seurantanumero on tallennettu.",
    "Choose at least one unit to cancel.": "Valitse ainakin yksi peruttava kappale.",
    "line %(line)s: %(what)s": "rivi %(line)s: %(what)s",
    "Nothing was left to cancel.": "Peruttavaa ei ollut.",
    "This form has expired or came from another site. Please load the page again.": "Lomake on vanhentunut tai tuli toiselta sivustolta. Lataa sivu uudelleen.",
    "Please check what you typed: some of it is not valid.": "Tarkista kirjoittamasi: osa siitä ei kelpaa.",
    "The store cannot answer right now. Please try again in a minute.": "Kauppa ei voi vastata juuri nyt. Yritä uudelleen hetken päästä.",
    "Please use the forms on this site.": "Käytä tämän sivuston lomakkeita.",
    "That is more than the form can hold.": "Se on enemmän kuin lomakkeeseen mahtuu.",
    "Bad request.": "Virheellinen pyyntö.",
    "Something went wrong on our side. Please try again.": "Meillä meni jokin vikaan. Yritä uudelleen.",
    "This demo answers on 127.0.0.1 only.": "Tämä demo vastaa vain osoitteessa 127.0.0.1.",
}
