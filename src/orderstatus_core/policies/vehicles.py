"""The default vehicle catalog: every plausible vehicle is listed.

A store with fitment data plugs in its own :class:`~orderstatus_core.ports.VehicleCatalog`
(``OrderStatus.open(vehicle_catalog=...)``); until then the garage takes any vehicle whose
make, model and engine each hold a letter or a digit (the model has checked the year, the
lengths and the characters already).
"""

from __future__ import annotations

import hashlib

from orderstatus_core.errors import InvalidFieldError
from orderstatus_core.model.profile import Vehicle, vehicle_key

__all__ = ["PlausibleVehicles"]


def _plausible(text: str) -> bool:
    return any(char.isalnum() for char in text)


class PlausibleVehicles:
    """A :class:`~orderstatus_core.ports.VehicleCatalog` that lists every plausible vehicle.

    The catalog id is ``plausible-`` and 32 hex digits of a SHA-256 over the vehicle's
    :func:`~orderstatus_core.model.profile.vehicle_key` (the year and the case- and
    space-folded make, model and engine), so the same vehicle typed twice gets one
    id, and a store that plugs in its own catalog later can tell these ids apart.

    >>> catalog = PlausibleVehicles()
    >>> catalog.resolve(Vehicle(2019, "Ford", "F-150", "5.0L V8")) == catalog.resolve(
    ...     Vehicle(2019, "FORD", "f-150 ", "5.0l  v8"))
    True
    >>> catalog.resolve(Vehicle(2019, "Ford", "---", "5.0L V8")) is None
    True
    """

    def resolve(self, vehicle: Vehicle) -> str | None:
        """The vehicle's id, or ``None`` when its make, model or engine holds no letter
        or digit."""
        if not isinstance(vehicle, Vehicle):
            raise InvalidFieldError("vehicle", "must be a Vehicle")
        parts = (vehicle.make, vehicle.model, vehicle.engine)
        if not all(_plausible(part) for part in parts):
            return None
        return "plausible-" + hashlib.sha256(vehicle_key(vehicle).encode()).hexdigest()[:32]

    def close(self) -> None:
        """Nothing to release."""
