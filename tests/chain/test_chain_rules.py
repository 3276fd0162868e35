"""Small rules with no chain needed: what counts as final, fee choice and bumps, how a node's refusals are
read, and how endpoints are shown."""

from __future__ import annotations

import pytest
from web3.exceptions import BlockNotFound, Web3RPCError

from qsm.chain.client import ChainClient, SendOutcome, UnsupportedTag, redact_url
from qsm.chain.fees import Fees, bumped_fees, gwei, initial_fees
from qsm.chain.finality import final_block
from qsm.chain.settings import FeeSettings
from qsm.errors import LedgerError


class StubClient(ChainClient):
    """Answers from a table instead of a node."""

    def __init__(
        self, finalized: object = 90, latest: int = 100, base_fee: int = gwei(10), tip: int | None = None
    ):
        self.label = "stub"
        self.finalized, self.latest, self._base, self._tip = finalized, latest, base_fee, tip

    def block_number(self, tag: str = "latest") -> int | None:
        if tag == "latest":
            return self.latest
        if self.finalized == "unsupported":
            raise UnsupportedTag(tag)
        return self.finalized  # type: ignore[return-value]

    def base_fee(self) -> int:
        return self._base

    def suggested_priority_fee(self) -> int | None:
        return self._tip


def test_finalized_tag_is_used_when_the_node_has_it() -> None:
    assert final_block(StubClient(finalized=90), "finalized", 12) == (90, True)
    assert final_block(StubClient(finalized=None), "finalized", 12) == (None, True)  # nothing final yet


def test_confirmations_when_asked_or_when_the_tag_is_unknown() -> None:
    assert final_block(StubClient(finalized="unsupported", latest=100), "finalized", 12) == (89, False)
    assert final_block(StubClient(finalized=99, latest=100), "confirmations", 3) == (98, False)
    assert final_block(StubClient(latest=1), "confirmations", 3) == (None, False)


def test_initial_fees_follow_base_fee_tip_and_cap() -> None:
    fees = initial_fees(StubClient(base_fee=gwei(10), tip=gwei(2)), FeeSettings())
    assert fees == Fees(max_fee=gwei(22), priority_fee=gwei(2))
    fixed_tip = initial_fees(StubClient(base_fee=gwei(10), tip=gwei(2)), FeeSettings(priority_fee_gwei=0.5))
    assert fixed_tip.priority_fee == gwei(0.5)
    assert initial_fees(StubClient(tip=None), FeeSettings()).priority_fee == gwei(1)  # node offers no tip
    capped = initial_fees(StubClient(base_fee=gwei(10), tip=gwei(2)), FeeSettings(max_fee_gwei=15))
    assert capped.max_fee == gwei(15)
    with pytest.raises(LedgerError, match=r"above ledger\.fees\.max_fee_gwei") as err:
        initial_fees(StubClient(base_fee=gwei(30)), FeeSettings(max_fee_gwei=15))
    assert "queued" in err.value.hint


def test_bumped_fees_rise_by_the_percentage_and_respect_the_cap() -> None:
    previous = Fees(max_fee=gwei(20), priority_fee=gwei(1))
    bumped = bumped_fees(StubClient(base_fee=gwei(5), tip=gwei(1)), FeeSettings(bump_percent=25), previous)
    assert bumped is not None and bumped.max_fee >= gwei(25) and bumped.priority_fee >= gwei(1.25)
    surge = bumped_fees(StubClient(base_fee=gwei(40), tip=gwei(3)), FeeSettings(bump_percent=10), previous)
    assert surge is not None and surge.max_fee == gwei(83) and surge.priority_fee == gwei(3)  # market moved
    assert bumped_fees(StubClient(), FeeSettings(bump_percent=25, max_fee_gwei=24), previous) is None
    with pytest.raises(ValueError):
        FeeSettings(bump_percent=5)  # nodes refuse replacements below +10 %


@pytest.mark.parametrize(
    ("message", "outcome"),
    [
        ("already known", SendOutcome.ALREADY_KNOWN),
        ("transaction already imported", SendOutcome.ALREADY_KNOWN),
        ("nonce too low: next nonce 5, tx nonce 4", SendOutcome.NONCE_TOO_LOW),
        ("Invalid transaction nonce: Expected 21, but got 20", SendOutcome.NONCE_TOO_LOW),
        ("replacement transaction underpriced", SendOutcome.UNDERPRICED),
    ],
)
def test_refusals_that_mean_look_up_receipts(message: str, outcome: SendOutcome) -> None:
    assert StubClient()._classify_refusal(Web3RPCError(message)) is outcome


def test_other_refusals_are_errors_with_hints() -> None:
    with pytest.raises(LedgerError, match="cannot pay for gas") as funds:
        StubClient()._classify_refusal(Web3RPCError("insufficient funds for gas * price + value"))
    assert "fund" in funds.value.hint
    with pytest.raises(LedgerError, match="refused the transaction"):
        StubClient()._classify_refusal(Web3RPCError("Invalid transaction nonce: Expected 3, but got 9"))
    with pytest.raises(LedgerError, match="refused the transaction: exceeds block gas limit"):
        StubClient()._classify_refusal(Web3RPCError("exceeds block gas limit"))


def test_endpoints_are_shown_without_paths_or_keys() -> None:
    assert redact_url("https://sepolia.infura.io/v3/abcdef123?x=1") == "https://sepolia.infura.io"
    assert redact_url("http://user:pw@127.0.0.1:8545/rpc") == "http://127.0.0.1:8545"
    assert redact_url("not a url") == "<not a URL>"


def test_block_lookups_map_not_found_and_unknown_tags() -> None:
    class Eth:
        def __init__(self, error: Exception) -> None:
            self.error = error

        def get_block(self, tag: str) -> dict:
            raise self.error

    class W3:
        def __init__(self, error: Exception) -> None:
            self.eth = Eth(error)

    assert ChainClient(W3(BlockNotFound("none")), "x").block_number("finalized") is None  # type: ignore[arg-type]
    with pytest.raises(UnsupportedTag):
        ChainClient(W3(Web3RPCError("unknown block tag")), "x").block_number("finalized")  # type: ignore[arg-type]
    with pytest.raises(LedgerError, match="cannot reach"):
        ChainClient(W3(ConnectionError("boom")), "x").block_number("finalized")  # type: ignore[arg-type]
