"""Pure decisions: rate limits, masking, views. No I/O, no clock, no randomness."""

from orderstatus_core.policies.guest_pass import GuestPassPolicy
from orderstatus_core.policies.limits import Bucket, Quota, RateDecision
from orderstatus_core.policies.lookup import LookupPolicy
from orderstatus_core.policies.masking import mask_address, mask_email, mask_phone, mask_text
from orderstatus_core.policies.order_view import TrackingUrl, masked_order_view
from orderstatus_core.policies.relay import RelayPolicy
from orderstatus_core.policies.retention import RetentionPolicy
from orderstatus_core.policies.tracking import carrier_tracking_url
from orderstatus_core.policies.tracking_numbers import TrackingNumber, parse_tracking_number

__all__ = [
    "Bucket",
    "GuestPassPolicy",
    "LookupPolicy",
    "Quota",
    "RateDecision",
    "RelayPolicy",
    "RetentionPolicy",
    "TrackingNumber",
    "TrackingUrl",
    "carrier_tracking_url",
    "mask_address",
    "mask_email",
    "mask_phone",
    "mask_text",
    "masked_order_view",
    "parse_tracking_number",
]
