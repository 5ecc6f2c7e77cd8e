"""Benchmark worker for the official Cybersource SDK (run by ``.venv-sdk``'s python only).

``bench/connector.py`` starts this file as a subprocess, because the SDK (and its
``urllib3-future``) must never be imported next to slpay. It builds each request the way the
SDK's official samples do (model objects, ``.__dict__``, ``del_none``, ``json.dumps``), sends
``calls`` authorize+capture requests (``processingInformation.capture = true``) to the
sandbox after ``warmup`` untimed ones, and prints one JSON line with the wall time and this
process's CPU time (``time.process_time()``) for the timed calls.

stdin: ``{"config": {base_url, host, merchant_id, key_id, secret}, "customer_id": ...,
"calls": N, "warmup": W, "concurrency": C, "run": "<unique prefix>"}``
"""

from __future__ import annotations

import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from CyberSource import (
    CreatePaymentRequest,
    PaymentsApi,
    Ptsv2paymentsClientReferenceInformation,
    Ptsv2paymentsOrderInformation,
    Ptsv2paymentsOrderInformationAmountDetails,
    Ptsv2paymentsOrderInformationBillTo,
    Ptsv2paymentsPaymentInformation,
    Ptsv2paymentsPaymentInformationCustomer,
    Ptsv2paymentsProcessingInformation,
)


def del_none(d: dict[str, Any]) -> dict[str, Any]:
    """As in the SDK samples: drop ``None`` values, recursively."""
    for key, value in list(d.items()):
        if value is None:
            del d[key]
        elif isinstance(value, dict):
            del_none(value)
    return d


def build_sale(customer_id: str, code: str, transaction_id: str) -> str:
    """A sale request, built like cybersource-rest-samples-python's payment samples."""
    reference = Ptsv2paymentsClientReferenceInformation(code=code, transaction_id=transaction_id)
    processing = Ptsv2paymentsProcessingInformation(capture=True)
    customer = Ptsv2paymentsPaymentInformationCustomer(id=customer_id)
    payment = Ptsv2paymentsPaymentInformation(customer=customer.__dict__)
    amount = Ptsv2paymentsOrderInformationAmountDetails(total_amount="10.00", currency="USD")
    bill_to = Ptsv2paymentsOrderInformationBillTo(
        first_name="Ada",
        last_name="Lovelace",
        address1="1 London Bridge",
        locality="London",
        postal_code="SE1 9BG",
        country="GB",
        email="ada@example.com",
    )
    order = Ptsv2paymentsOrderInformation(amount_details=amount.__dict__, bill_to=bill_to.__dict__)
    request = CreatePaymentRequest(
        client_reference_information=reference.__dict__,
        processing_information=processing.__dict__,
        payment_information=payment.__dict__,
        order_information=order.__dict__,
    )
    return json.dumps(del_none(request.__dict__))


def main() -> None:
    job = json.load(sys.stdin)
    cfg = job["config"]
    api = PaymentsApi(
        {
            "authentication_type": "http_signature",
            "merchantid": cfg["merchant_id"],
            "merchant_keyid": cfg["key_id"],
            "merchant_secretkey": cfg["secret"],
            "run_environment": cfg["host"],
            "IntermediateHost": cfg["base_url"],
            # no log_config: the default keeps the SDK's file logging off
        }
    )
    run, customer_id = job["run"], job["customer_id"]
    statuses: dict[str, int] = {}
    lock = threading.Lock()

    def one(i: int) -> None:
        body = build_sale(customer_id, f"BENCH-{run}-{i}", f"{run}{i:08d}")
        data, _status, _raw = api.create_payment(body)
        with lock:
            statuses[data.status] = statuses.get(data.status, 0) + 1

    for i in range(job["warmup"]):
        one(-1 - i)
    statuses.clear()
    calls, concurrency = job["calls"], job.get("concurrency", 1)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if concurrency <= 1:
        for i in range(calls):
            one(i)
    else:
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one, range(calls)))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    print(json.dumps({"calls": calls, "wall_s": wall, "cpu_s": cpu, "statuses": statuses}))


if __name__ == "__main__":
    main()
