"""``max_cost`` as a running cap on what a run folder spends.

Paid providers ask the :class:`Budget` before each HTTP request (:meth:`Provider.metered`): the
request's worst case is booked (the most prompt tokens the server may bill for the prompt,
:meth:`Provider.max_prompt_tokens`, at the input price plus its ``max_completion_tokens`` at the
output price), and the request is sent only if the money already spent in the run folder plus
everything booked for requests in flight stays within the cap. When the answer arrives the booking
is replaced by what the usage says it cost; a refused request (HTTP error) frees its booking, a
timeout keeps it (it may have been billed).

Near the cap a request that does not fit waits while other requests are in flight: their answers
usually cost less than their bookings, which frees room. Once a request does not fit with nothing
in flight, no further request is sent: the run ends cleanly, every answer that arrived is kept, and
a rerun with a higher ``max_cost`` continues where it stopped.

The cap counts the whole run folder: the rows already in ``generations.jsonl`` that were paid for
(not served by the cache) count as spent, so rerunning never grants a fresh budget.

A server that ignores ``max_completion_tokens`` can bill more than a booking. The first answer that
costs more than its booking stops the run (no further request is sent; the log and the refusal say
by how much it exceeded), and the bookings that follow, in this run and in a rerun, use the largest
completion the model has actually billed in this run folder (``observed_completion``) when that is
more than ``max_completion_tokens``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from bizsum.config import ModelSpec
from bizsum.providers.base import BudgetExhausted
from bizsum.providers.pricing import Price, PriceTable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Booking:
    spec: ModelSpec
    worst_usd: float
    price: Price | None
    batch: bool


class Budget:
    """Thread-safe running cap (implements :class:`bizsum.providers.base.Meter`)."""

    def __init__(
        self,
        cap: float,
        prices: PriceTable,
        spent_before: float = 0.0,
        observed_completion: dict[str, int] | None = None,
    ):
        self.cap = cap
        self.prices = prices
        self.spent_before = spent_before
        #: the largest completion (tokens) each model id has billed in this run folder
        self.observed_completion: dict[str, int] = dict(observed_completion or {})
        self.reason = ""  # why no further request is sent (set when the budget is exhausted)
        self.spent = 0.0  # settled in this process
        self.booked = 0.0  # worst cases of requests in flight
        self.in_flight = 0  # bookings not yet settled or released
        self.peak = 0.0  # the highest spent + booked ever reached (a test checks it stays <= cap)
        self.exhausted = False
        self.refused = 0
        self._lock = threading.Condition()

    @property
    def total(self) -> float:
        return self.spent_before + self.spent

    def reserve(
        self, spec: ModelSpec, prompt_tokens: int, max_output_tokens: int, batch: bool = False, wait: bool = True
    ) -> Booking:
        """Book a request's worst case, waiting (``wait``) while requests in flight may free room;
        raises :class:`BudgetExhausted` when it cannot fit."""
        price = self.prices.price_for(spec)
        output = max(max_output_tokens, self.observed_completion.get(spec.id, 0))
        worst = 0.0 if price is None else price.cost(prompt_tokens, output, 0, batch, self.prices.batch_discount)
        with self._lock:
            while not self.exhausted and self.spent_before + self.spent + self.booked + worst > self.cap + 1e-12:
                if not (wait and self.in_flight):
                    self._exhaust(spec, worst)
                    break
                self._lock.wait(timeout=1.0)  # an answer in flight settles below its booking
            if self.exhausted:
                self.refused += 1
                raise BudgetExhausted(
                    self.reason
                    or f"max_cost ${self.cap:,.4f} reached (${self.total:,.4f} spent in this run folder); "
                    "the request was not sent"
                )
            self.booked += worst
            self.in_flight += 1
            self.peak = max(self.peak, self.spent_before + self.spent + self.booked)
            return Booking(spec, worst, price, batch)

    def _exhaust(self, spec: ModelSpec, worst: float) -> None:
        if self.exhausted:
            return
        self.exhausted = True
        self._lock.notify_all()
        log.warning(
            "max_cost $%.4f reached: $%.4f spent in this run folder, $%.4f booked for requests in flight, the "
            "next request of %s could cost $%.4f; no further request is sent",
            self.cap,
            self.total,
            self.booked,
            spec.id,
            worst,
        )

    def settle(
        self, ticket: object, prompt_tokens: int | None, completion_tokens: int | None, cached_tokens: int = 0
    ) -> None:
        assert isinstance(ticket, Booking)
        if ticket.price is None or prompt_tokens is None or completion_tokens is None:
            actual = ticket.worst_usd
        else:
            actual = ticket.price.cost(
                prompt_tokens, completion_tokens, cached_tokens, ticket.batch, self.prices.batch_discount
            )
        overrun = actual - ticket.worst_usd
        with self._lock:
            self.booked -= ticket.worst_usd
            self.in_flight -= 1
            self.spent += actual
            self.peak = max(self.peak, self.spent_before + self.spent + self.booked)
            if completion_tokens is not None:
                previous = self.observed_completion.get(ticket.spec.id, 0)
                self.observed_completion[ticket.spec.id] = max(previous, completion_tokens)
            if overrun > 1e-12 and not self.exhausted:
                self.exhausted = True
                self.reason = (
                    f"max_cost: a request of {ticket.spec.id} cost ${actual:,.6f}, ${overrun:,.6f} more than its "
                    f"booking ${ticket.worst_usd:,.6f} (the server billed {prompt_tokens} prompt and "
                    f"{completion_tokens} completion tokens: it ignores max_completion_tokens?). No further request "
                    f"is sent (${self.total:,.4f} of ${self.cap:,.4f} spent in this run folder); a rerun books "
                    "the largest completion seen"
                )
                log.warning("%s", self.reason)
            self._lock.notify_all()

    def release(self, ticket: object) -> None:
        assert isinstance(ticket, Booking)
        with self._lock:
            self.booked -= ticket.worst_usd
            self.in_flight -= 1
            self._lock.notify_all()
