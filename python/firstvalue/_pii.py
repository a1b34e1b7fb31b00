"""Masking of email addresses and phone numbers before text leaves for a model."""

from __future__ import annotations

import json
from typing import Any, Union

from . import _core


def mask_pii(text: str) -> str:
    """Masks email addresses and phone numbers in `text`: each value becomes
    a token such as ``<email:1>`` or ``<phone:2>``, numbered within this text.
    Dates, amounts, ARR figures, ticket numbers, versions and IP addresses are
    left alone. Use a PiiMasker to keep tokens stable across texts and to map
    them back."""
    return _core.mask_pii(text)


class PiiMasker:
    """Masks texts with tokens stable across every text it sees (the same
    address, however spelled, keeps ``<email:1>``), and keeps the map back to
    the values, which stays in the host's hands::

        masker = fv.PiiMasker()
        safe = masker.mask(note)            # send `safe` to the model
        masker.mask_json(result.explain("acme"))   # a JSON export, masked
        masker.unmask(model_answer)         # the values back, for the CSM
        masker.mapping                      # {"<email:1>": "ana@acme.com", ...}
    """

    def __init__(self) -> None:
        self._m = _core.PiiMasker()

    def mask(self, text: str) -> str:
        return self._m.mask(text)

    def mask_json(self, document: Union[str, Any], indent: int | None = None) -> Union[str, Any]:
        """Masks every string value of a JSON document, keeping keys, numbers
        and order. A str is masked as JSON text and returned as text; a dict or
        list comes back as a masked dict or list."""
        if isinstance(document, str):
            return self._m.mask_json(document, -1 if indent is None else int(indent))
        # NaN and infinities are not JSON: refused here with the value named, not sent as NaN.
        return json.loads(self._m.mask_json(json.dumps(document, allow_nan=False), -1))

    def unmask(self, text: str) -> str:
        """The tokens this masker issued, put back to their values."""
        return self._m.unmask(text)

    @property
    def mapping(self) -> dict[str, str]:
        """Token -> the value first seen for it."""
        return {token: value for token, _, value in self._m.entries()}

    @property
    def kinds(self) -> dict[str, str]:
        """Token -> "email" or "phone"."""
        return {token: kind for token, kind, _ in self._m.entries()}

    def __len__(self) -> int:
        return len(self._m.entries())

    def __repr__(self) -> str:
        return f"PiiMasker({len(self)} values)"
