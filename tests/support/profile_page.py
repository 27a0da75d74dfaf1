"""The whole Profile page (``shopper.profile()``) against the separate calls it replaces,
for the tests on every storage."""

from __future__ import annotations

from orderstatus_core import ProfilePage, ShopperSession, SignedIn


def the_page_is_the_separate_calls(shopper: ShopperSession) -> ProfilePage:
    """``shopper.profile()``, after checking each of its parts equals the answer of the
    call of the same name (and its language ``check()``'s); the page."""
    page = shopper.profile()
    assert isinstance(page, ProfilePage), page
    assert page.addresses == shopper.addresses()
    assert page.garage == shopper.garage()
    assert page.store_credit == shopper.store_credit()
    assert page.discount_codes == shopper.discount_codes()
    assert page.part_watches == shopper.part_watches()
    assert page.mail_preferences == shopper.mail_preferences()
    signed_in = shopper.check()
    assert isinstance(signed_in, SignedIn), signed_in
    assert page.language == signed_in.language
    return page


__all__ = ["the_page_is_the_separate_calls"]
