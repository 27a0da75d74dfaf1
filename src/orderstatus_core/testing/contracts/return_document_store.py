"""The conformance suite of return papers kept per RMA.

Subclass :class:`ReturnDocumentStoreContract` in a test module and supply the ``storage`` fixture (a
fresh, migrated, empty storage per test); see :mod:`orderstatus_core.testing.contracts`.
"""

from __future__ import annotations

from orderstatus_core.ports import Storage
from orderstatus_core.testing.contracts._support import (
    _AWKWARD_BYTES,
    StorageSuite,
    _keep,
    _paper,
    _papers,
)

__all__ = ["ReturnDocumentStoreContract"]


class ReturnDocumentStoreContract(StorageSuite):
    """The :class:`~orderstatus_core.ports.ReturnDocumentStore` contract: papers read back byte for
    byte in the order put, replaced by filename, kept per RMA, rolled back with their unit.

    Needs a fixture ``storage``: a fresh, migrated, empty storage for each test.
    """

    def test_documents_are_read_back_byte_for_byte_in_the_order_put(self, storage: Storage) -> None:
        """Every field and every byte (NUL, CR LF, high bytes, invalid UTF-8) comes back,
        in the order the documents were first put, not by name."""
        papers = [
            _paper("RMA-1001-label.zpl", b"^XA^FO50,50^FDRMA-1001^FS^XZ\x00"),
            _paper("RMA-1001-label.pdf"),
            _paper("RMA-1001-instructions-fi.pdf", _AWKWARD_BYTES[::-1]),
        ]
        _keep(storage, *papers)
        stored = _papers(storage)
        assert stored == papers
        assert [p.document.content for p in stored] == [p.document.content for p in papers]
        assert all(type(p.document.content) is bytes for p in stored)

    def test_a_large_document_is_kept_intact(self, storage: Storage) -> None:
        """A label of a few hundred kilobytes is kept whole."""
        content = bytes(range(256)) * 1024 + b"\x00"
        _keep(storage, _paper(content=content))
        (stored,) = _papers(storage)
        assert stored.document.content == content

    def test_putting_a_filename_again_replaces_it_where_it_was(self, storage: Storage) -> None:
        """A retried label job writes its files again: the RMA keeps one document per
        filename, the newest content, in the place of the first put."""
        _keep(storage, _paper("RMA-1001-label.pdf", b"first"), _paper("RMA-1001-label.zpl"))
        again = _paper("RMA-1001-label.pdf", b"second\x00")
        _keep(storage, again)
        assert _papers(storage) == [again, _paper("RMA-1001-label.zpl")]

    def test_documents_belong_to_one_rma(self, storage: Storage) -> None:
        """Another RMA's documents never show, even one whose number starts the same or that
        has the same filename; an unknown RMA has none."""
        mine = _paper("label.pdf", b"mine")
        _keep(
            storage,
            mine,
            _paper("label.pdf", b"theirs", rma_number="RMA-10011"),
            _paper("other.pdf", rma_number="RMA-100", order_number="987654321"),
        )
        assert _papers(storage) == [mine]
        assert [p.document.content for p in _papers(storage, "RMA-10011")] == [b"theirs"]
        assert _papers(storage, "RMA-9999") == []

    def test_documents_roll_back_with_the_unit(self, storage: Storage) -> None:
        """Leaving without commit and ``rollback`` forget documents and replacements."""
        kept = _paper("RMA-1001-label.pdf", b"kept")
        _keep(storage, kept)
        with storage.unit_of_work(write=True) as uow:
            uow.documents.put(_paper("RMA-1001-label.pdf", b"lost"))
            uow.documents.put(_paper("RMA-1001-label.zpl"))
            assert len(uow.documents.for_rma("RMA-1001")) == 2
        with storage.unit_of_work(write=True) as uow:
            uow.documents.put(_paper("RMA-1001-extra.pdf"))
            uow.rollback()
            uow.commit()
        assert _papers(storage) == [kept]
