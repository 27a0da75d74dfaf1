"""Published tracking numbers, each with the carrier and format it must give.

Sources: carrier documentation, the UPU S10 standard and the test sets of the
jkeen/tracking_number_data repository (``couriers/*.json``, ``test_numbers``), whose numbers
come from real labels that users reported. Shared by the unit and the property tests so that
both check the same numbers.
"""

from __future__ import annotations

__all__ = ["INVALID_CHECK", "SCANNED", "VALID"]

VALID: list[tuple[str, str, str]] = [
    ("1Z999AA10123456784", "UPS", "UPS 1Z"),
    ("1Z5R89390357567127", "UPS", "UPS 1Z"),
    ("1Z879E930346834440", "UPS", "UPS 1Z"),
    ("1Z410E7W0392751591", "UPS", "UPS 1Z"),
    ("1Z8V92A70367203024", "UPS", "UPS 1Z"),
    ("K1506235620", "UPS", "UPS waybill"),
    ("K2479825491", "UPS", "UPS waybill"),
    ("J4603636537", "UPS", "UPS waybill"),
    ("V0490119172", "UPS", "UPS waybill"),
    ("V0431105627", "UPS", "UPS waybill"),
    ("9400111201080805483016", "USPS", "USPS IMpb"),
    ("9505511069605048600624", "USPS", "USPS IMpb"),
    ("9101123456789000000013", "USPS", "USPS IMpb"),
    ("9361289878700317633795", "USPS", "USPS IMpb"),
    ("9405803699300124287899", "USPS", "USPS IMpb"),
    ("92748931507708513018050063", "USPS", "USPS IMpb"),
    ("03071790000523483741", "USPS", "USPS 20-digit"),  # check digit over the 20 digits
    ("71123456789123456787", "USPS", "USPS 20-digit"),
    ("03110240000115809160", "USPS", "USPS 20-digit"),  # franckverrot/activevalidators tests
    ("71969010756003077385", "USPS", "USPS 20-digit"),  # check digit over "91" + 20 digits
    ("RB123456785US", "USPS", "USPS S10"),
    ("EE123456785US", "USPS", "USPS S10"),
    ("RA123456785US", "USPS", "USPS S10"),
    ("986578788855", "FedEx", "FedEx Express"),
    ("477179081230", "FedEx", "FedEx Express"),
    ("799531274483", "FedEx", "FedEx Express"),
    ("790535312317", "FedEx", "FedEx Express"),
    ("974367662710", "FedEx", "FedEx Express"),
    ("041441760228964", "FedEx", "FedEx Ground"),
    ("568283610012000", "FedEx", "FedEx Ground"),
    ("568283610012734", "FedEx", "FedEx Ground"),
    ("9611020987654312345672", "FedEx", "FedEx Ground 96"),
    ("3318810025", "DHL", "DHL Express"),
    ("8487135506", "DHL", "DHL Express"),
    ("1099255990", "DHL", "DHL Express"),
    ("3821724944", "DHL", "DHL Express"),
]

# Scanned barcodes that carry the tracking number among other digits: (scanned, carrier,
# the number kept, where it starts in the scanned text).
SCANNED: list[tuple[str, str, str, int]] = [
    ("420221539101026837331000039521", "USPS", "9101026837331000039521", 8),
    ("4201002334249200190132607600833457", "USPS", "9200190132607600833457", 12),
    ("4201028200009261290113185417468510", "USPS", "9261290113185417468510", 12),
    ("32971514560102447849175802862014", "FedEx", "784917580286", 16),  # FedEx ASTRA
    ("32971510360102447848540980802018", "FedEx", "784854098080", 16),
    ("32971508360102447847941133172013", "FedEx", "784794113317", 16),
    ("33810799560000004380417923803212", "FedEx", "438041792380", 16),
]

# Published mistyped numbers (one wrong digit each): the format matches, the check digit not.
INVALID_CHECK = [
    "1Z999AA10123456785",
    "1Z1111111111111111",
    "K1506235622",
    "K2479825492",
    "J4603636538",
    "V0411335627",
    "V0423305841",
    "996578788855",
    "568283610012732",
    "9200000000000000000000",
    "9261292700768711948020",
    "03071790000523483742",
    "71969010756003077386",
    "71123456789123456788",
    "RB123456786US",
    "3318810010",
    "3318810034",
    "32971514560102447849175802852014",
]
