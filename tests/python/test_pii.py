"""PII masking through Python: the shared corpus, stable tokens, the map back, JSON exports."""

import json
import os
import re

import pytest

import firstvalue as fv

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "pii")


def _lines(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip() and not line.startswith("#")]


def test_corpus_recall_and_precision():
    # Each line gets its own masker: the values it maps must be exactly the
    # line's values (so their extents are right), and nothing else is touched.
    positives = [line.split("\t") for line in _lines("positive.tsv")]
    negatives = _lines("negative.txt")
    assert len(positives) >= 200 and len(negatives) >= 200
    expected = hits = false_hits = 0
    misses = []
    for text, *values in positives:
        masker = fv.PiiMasker()
        masked = masker.mask(text)
        found = list(masker.mapping.values())
        expected += len(values)
        distinct = list(dict.fromkeys(values))
        for v in found:
            if v in distinct:
                hits += values.count(v)
            else:
                false_hits += 1
                misses.append((text, "masked", v))
        misses += [(text, "missed", v) for v in distinct if v not in found]
        assert masker.unmask(masked) == text
    for text in negatives:
        masked = fv.mask_pii(text)
        if masked != text:
            false_hits += len(re.findall(r"<(?:email|phone):\d+>", masked))
            misses.append((text, "masked", masked))
    recall = hits / expected
    precision = hits / (hits + false_hits)
    print(f"pii corpus through Python: recall {recall:.4f}, precision {precision:.4f}")
    assert misses == []
    assert recall == 1.0 and precision >= 0.99


def test_tokens_are_stable_across_texts_and_map_back():
    m = fv.PiiMasker()
    assert m.mask("ana@acme.com, +1 415 555 0100") == "<email:1>, <phone:1>"
    assert m.mask("ANA [at] acme [dot] com called from +1-415-555-0100") == "<email:1> called from <phone:1>"
    assert m.mapping == {"<email:1>": "ana@acme.com", "<phone:1>": "+1 415 555 0100"}
    assert m.kinds == {"<email:1>": "email", "<phone:1>": "phone"}
    assert m.unmask("write to <email:1>") == "write to ana@acme.com"
    assert fv.mask_pii("bob@acme.com") == "<email:1>"  # a fresh masker per call


def test_json_exports_can_be_masked():
    # The generated planned users are addresses, and the worklist's causes name them.
    sample = fv.generate_portfolio(accounts=30, seed=7)
    p = sample.portfolio()
    p.ingest(sample.events)
    r = p.evaluate(sample.as_of)
    doc = json.loads(r.worklist_json())
    named = [row for row in doc["worklist"] if "@" in row["cause"]]
    assert named, "the sample's causes name planned users"
    m = fv.PiiMasker()
    masked = m.mask_json(doc)
    assert list(masked) == list(doc)  # keys and their order kept
    for before, after in zip(doc["worklist"], masked["worklist"]):
        assert "@" not in after["cause"]
        assert m.unmask(after["cause"]) == before["cause"]
        # Numbers, dates and the other fields are kept.
        assert {k: v for k, v in after.items() if isinstance(v, (int, float))} == \
            {k: v for k, v in before.items() if isinstance(v, (int, float))}
        assert after["as_of"] == before["as_of"] and after["account"] == before["account"]
    users = {v for v in m.mapping.values()}
    assert all(u.endswith(".example") for u in users)
    # As text, the same masker gives the same tokens.
    assert json.loads(m.mask_json(r.worklist_json())) == masked
    explained = m.mask_json(r.explain(named[0]["account"]))
    assert "@" not in json.dumps(explained, ensure_ascii=False)
    with pytest.raises(fv.InvalidError):
        m.mask_json("{not json")
    with pytest.raises(ValueError, match="not JSON compliant"):
        m.mask_json({"arr": float("nan")})  # refused, not sent on as NaN


def test_bad_text_is_refused_or_read_safely():
    with pytest.raises(TypeError):
        fv.mask_pii(None)
    with pytest.raises(fv.InvalidError, match=r"^json: nested deeper than 256 levels$"):
        fv.PiiMasker().mask_json("[" * 1_000_000 + "]" * 1_000_000)  # crashed the interpreter before
    assert fv.mask_pii("") == ""
    assert fv.mask_pii("x" * 10_000_000) == "x" * 10_000_000
