"""The profile's part of the OpenAPI document (``/account/addresses``,
``/account/garage``): its schemas (:data:`PROFILE_SCHEMAS`, merged into the components)
and paths (:data:`PROFILE_PATHS`), as :mod:`storefront.api_profile` answers them."""

from __future__ import annotations

from typing import Any

from .openapi_parts import (
    ADDRESS_FIELDS,
    ADDRESS_REQUIRED,
    BODY_ERRORS,
    SESSION,
    STRING,
    WHEN,
    json_request,
    json_response,
    nullable,
    ref,
    responses,
    schema_object,
    text,
)

__all__ = ["PROFILE_PATHS", "PROFILE_SCHEMAS"]

PROFILE_SCHEMAS: dict[str, Any] = {
    "AddressFields": schema_object(ADDRESS_FIELDS, required=ADDRESS_REQUIRED),
    "NewAddress": schema_object(
        {
            **ADDRESS_FIELDS,
            "default": {"type": "boolean", "description": "Make it the default address."},
        },
        required=ADDRESS_REQUIRED,
    ),
    "PostalAddress": schema_object(
        {
            "name": STRING,
            "line1": STRING,
            "line2": nullable(STRING),
            "city": STRING,
            "region": nullable(STRING),
            "postal_code": STRING,
            "country": STRING,
        }
    ),
    "SavedAddress": schema_object(
        {
            "address_id": STRING,
            "default": {"type": "boolean"},
            "saved_at": WHEN,
            "address": ref("PostalAddress"),
        }
    ),
    "AddressBook": schema_object(
        {
            "saved": {"type": "array", "items": ref("SavedAddress")},
            "from_orders": {
                "type": "array",
                "description": "The addresses of past orders not saved, newest first.",
                "items": ref("PostalAddress"),
            },
        }
    ),
    "AddressId": schema_object({"address_id": STRING}),
    "NewVehicle": schema_object(
        {
            "year": {"type": "integer", "minimum": 1886, "maximum": 2100},
            "make": text(40),
            "model": text(60),
            "engine": text(60),
            "nickname": text(40),
            "vin": text(
                40,
                description="17 characters whose 9th is the check digit (ISO 3779); a "
                "refused one answers the invalid-vin problem with its ``position``.",
            ),
        },
        required=["year", "make", "model", "engine"],
    ),
    "GarageVehicle": schema_object(
        {
            "vehicle_id": STRING,
            "catalog_id": STRING,
            "added_at": WHEN,
            "year": {"type": "integer"},
            "make": STRING,
            "model": STRING,
            "engine": STRING,
            "nickname": nullable(STRING),
            "vin": nullable(STRING),
        }
    ),
    "Garage": schema_object({"vehicles": {"type": "array", "items": ref("GarageVehicle")}}),
    "VehicleAdded": schema_object({"vehicle_id": STRING, "catalog_id": STRING}),
}


def _id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": text(64, minLength=1)}


_REMOVED = {"description": "Removed."}

PROFILE_PATHS: dict[str, Any] = {
    "/account/addresses": {
        "get": {
            "summary": "The address book: saved addresses and those of past orders",
            "security": SESSION,
            "responses": responses(
                "200", json_response("The address book.", "AddressBook"), "NotLoggedIn"
            ),
        },
        "post": {
            "summary": "Save an address (the default if asked)",
            "security": SESSION,
            "requestBody": json_request("NewAddress"),
            "responses": responses(
                "201",
                json_response("Saved.", "AddressId"),
                *BODY_ERRORS,
                "NotLoggedIn",
                "ProfileRefused",
            ),
        },
    },
    "/account/addresses/{address_id}": {
        "put": {
            "summary": "Change a saved address (it stays the default if it was)",
            "security": SESSION,
            "parameters": [_id("address_id")],
            "requestBody": json_request("AddressFields"),
            "responses": responses(
                "200",
                json_response("Changed.", "AddressId"),
                *BODY_ERRORS,
                "NotLoggedIn",
                "NotFound",
                "ProfileRefused",
            ),
        },
        "delete": {
            "summary": "Remove a saved address",
            "security": SESSION,
            "parameters": [_id("address_id")],
            "responses": responses("204", _REMOVED, "BadRequest", "NotLoggedIn", "NotFound"),
        },
    },
    "/account/addresses/{address_id}/default": {
        "post": {
            "summary": "Make a saved address the default",
            "security": SESSION,
            "parameters": [_id("address_id")],
            "responses": responses(
                "200",
                json_response("The default now.", "AddressId"),
                "BadRequest",
                "NotLoggedIn",
                "NotFound",
            ),
        }
    },
    "/account/garage": {
        "get": {
            "summary": "The vehicles of the garage, oldest first",
            "security": SESSION,
            "responses": responses("200", json_response("The garage.", "Garage"), "NotLoggedIn"),
        },
        "post": {
            "summary": "Put a vehicle in the garage (its VIN checked)",
            "security": SESSION,
            "requestBody": json_request("NewVehicle"),
            "responses": responses(
                "201",
                json_response("In the garage, with the catalog's id.", "VehicleAdded"),
                *BODY_ERRORS,
                "NotLoggedIn",
                "ProfileRefused",
            ),
        },
    },
    "/account/garage/{vehicle_id}": {
        "delete": {
            "summary": "Take a vehicle out of the garage",
            "security": SESSION,
            "parameters": [_id("vehicle_id")],
            "responses": responses("204", _REMOVED, "BadRequest", "NotLoggedIn", "NotFound"),
        }
    },
}
