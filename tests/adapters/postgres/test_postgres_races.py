"""The order races of ``tests/concurrency`` (guests, the warehouse and customer service
hitting one order at the same moment), run unchanged against PostgreSQL, from spawned
processes and from threads: cancel vs start_processing, cancel in processing vs the
shipment and the clerk, a change vs start_processing, a staff approval vs
start_processing, four shippers of one package, a cancel request vs the shipment and a
delivery vs the shipment (the time each records). The ``race`` fixture of this folder's
conftest gives them a PostgreSQL race ground.
"""

from __future__ import annotations

from support.order_races import (
    test_a_cancel_request_races_the_shipment,
    test_a_change_races_start_processing,
    test_a_delivery_races_the_shipment,
    test_a_staff_approval_races_start_processing,
    test_cancel_in_processing_races_the_shipment,
    test_cancel_races_start_processing,
    test_many_ship_the_same_package,
)

__all__ = [
    "test_a_cancel_request_races_the_shipment",
    "test_a_change_races_start_processing",
    "test_a_delivery_races_the_shipment",
    "test_a_staff_approval_races_start_processing",
    "test_cancel_in_processing_races_the_shipment",
    "test_cancel_races_start_processing",
    "test_many_ship_the_same_package",
]
