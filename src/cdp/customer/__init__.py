"""One customer at a glance: look a customer up by email, phone or id and show the golden
record, its source records and identifiers, how they were joined, consent per purpose,
segments and a timeline of orders, visits, messages and support tickets.

- ``cdp.customer.lookup``: the warehouse opened read-only, the look-up input standardized as
  the platform standardizes it, and the customers it names;
- ``cdp.customer.view``: everything shown about one customer, with the privacy rules applied
  (no per-customer analytics of a customer who refused analytics; a pseudonymized mode that
  reads schema ``pseudonymized`` alone);
- ``cdp.customer.text`` and ``cdp.customer.app``: the text view and the local web app;
- ``python -m cdp.customer show|serve`` (``cdp-customer``): the command.
"""
