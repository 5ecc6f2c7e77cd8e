"""Order-to-cash mapping: declarative rules a finance admin edits, compiled once at start-up.

The mapping file (YAML, ``version: 1``; the default ships as ``slpay/mapping/default.yaml``,
docs/mapping.md explains every key) holds a closed vocabulary of typed rules — no expressions,
nothing evaluated:

* status harmonization: Cybersource status / Decision Manager decision → SOHeader AdminHold,
  Cancelled and a display label (:mod:`slpay.domain.status`);
* order-number cross-reference: clientReferenceInformation.code or a merchantDefinedInformation
  key → SOHeader.CustOrdNbr or a user field, through trim/upper/strip_prefix/max_length/pad;
* customer match by SL CustId, then e-mail, else create; billTo → Customer columns;
* dates: Cybersource times → aware UTC → the SL date in the business time zone;
* currency conversion with SL's CuryRate or fixed rates, the rate used recorded;
* lines: SKU / product code → InvtID, freight and tax, totals checked.

Typical use::

    mapping = load_mapping(settings.mapping.path, settings.sl)      # at start-up
    order = mapping.order_from_intake(body)                          # or order_from_transaction
    payment = mapping.payment_from_cybersource(webhook.data)
    doc = so_document(order, payment, mapping, Lookups(directory, rates, "USD"))
    writer.write_order(doc.order)
"""

from slpay.mapping.currency import RateQuote, RateTable, RateUsed
from slpay.mapping.customer import CustomerDirectory, CustomerMatch
from slpay.mapping.document import Lookups, SODocument, so_change, so_document
from slpay.mapping.lines import MappedLines
from slpay.mapping.load import load_mapping, mapping_problems, parse_mapping
from slpay.mapping.rules import CompiledMapping

__all__ = [
    "CompiledMapping",
    "CustomerDirectory",
    "CustomerMatch",
    "Lookups",
    "MappedLines",
    "RateQuote",
    "RateTable",
    "RateUsed",
    "SODocument",
    "load_mapping",
    "mapping_problems",
    "parse_mapping",
    "so_change",
    "so_document",
]
