"""The report answers per-certificate questions, so front ends never index parallel lists."""

from __future__ import annotations

import datetime as dt

from tests.factory import AT, bundle, hierarchy, make
from tui.pki.diagnose import Policy, diagnose
from tui.pki.stores import TrustStore
from tui.pki.vocabulary import Role, Validity


def test_each_loaded_certificate_has_its_role_number_validity_and_positions() -> None:
    h = hierarchy("facts")
    stray = make("stray.example", h.inter, not_after=AT + dt.timedelta(days=3))
    report = diagnose(bundle(h.leaf, h.inter, h.inter, stray, h.root),
                      TrustStore([h.root.entry()]), Policy(at=AT))
    facts = report.certificates
    assert [f.number for f in facts] == [1, 2, 3, 4, 5]
    assert [f.index for f in facts] == [0, 1, 2, 3, 4]
    assert [f.role for f in facts][:3] == [Role.LEAF, Role.INTERMEDIATE, Role.DUPLICATE]
    assert facts[1].positions == facts[2].positions == (2, 3)
    assert facts[3].validity is Validity.EXPIRES_SOON and facts[0].validity is Validity.VALID
    assert report.facts(h.inter.entry()) is facts[1]
    assert report.positions(h.root.entry()) == (5,)
    assert report.facts(make("unloaded.example", h.inter).entry()) is None
    assert report.is_anchor(h.root.entry()) and report.is_self_signed(h.root.entry())
    assert report.signers(h.leaf.entry()) == [e for e in report.bundle.certs[1:2]]
