"""``slpay demo``: the hub with both sandboxes embedded, driven by a realistic story.

- :mod:`.env` starts the world (Cybersource sandbox, SL sandbox company, the served hub);
- :mod:`.shop` plays the eCommerce site, the shoppers and the sandbox's controls;
- :mod:`.scenario` is the story, a list of steps (add a step there to extend the demo);
- :mod:`.report` reads back what happened: the ``--json`` object and the readable summary;
- :mod:`.runner` ties them together (:func:`run_demo`, called by ``slpay demo``).
"""

from slpay.demo.runner import DEFAULT_WORKDIR, run_demo

__all__ = ["DEFAULT_WORKDIR", "run_demo"]
