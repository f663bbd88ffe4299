"""Assemble an annotated record from base text and annotator insertions.

Annotators never edit base text: they only insert strings at base offsets. The builder turns
(base, insertions) into the record text and the spans that mark every inserted character, so
removing the doctag and annotation spans gives the base document back exactly.
"""

from __future__ import annotations

from collections.abc import Iterable

from beliefbench.records import DOCTAG, Record, Span


def build(base: str, insertions: Iterable[tuple[int, str]], doctag: bool = True
          ) -> tuple[str, list[Span]]:
    """Apply insertions (base offset, text); equal offsets keep their given order."""
    ordered = sorted(enumerate(insertions), key=lambda t: (t[1][0], t[0]))
    parts: list[str] = []
    spans: list[Span] = []
    pos = 0
    length = 0
    if doctag:
        parts.append(DOCTAG)
        spans.append(Span(start=0, end=len(DOCTAG), kind="doctag"))
        length = len(DOCTAG)
    for _, (offset, added) in ordered:
        if not 0 <= offset <= len(base):
            raise ValueError(f"insertion offset {offset} outside the base (length {len(base)})")
        chunk = base[pos:offset]
        parts.append(chunk)
        length += len(chunk)
        pos = offset
        if added:
            if spans and spans[-1].kind == "annotation" and spans[-1].end == length:
                spans[-1] = Span(start=spans[-1].start, end=length + len(added),
                                 kind="annotation")
            else:
                spans.append(Span(start=length, end=length + len(added), kind="annotation"))
            parts.append(added)
            length += len(added)
    parts.append(base[pos:])
    return "".join(parts), spans


def add_masks(record: Record, words: list[str]) -> Record:
    """Add ``mask`` spans (excluded from the loss) over whole-word occurrences of ``words``
    in the base text; annotation and doctag characters are never masked."""
    if not words or record.text is None:
        return record
    import re

    taken = [(s.start, s.end) for s in record.loss_mask]
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(w)}(?!\w)"
                                  for w in sorted(words, key=len, reverse=True)))
    masks = [Span(start=m.start(), end=m.end(), kind="mask")
             for m in pattern.finditer(record.text)
             if not any(a < m.end() and m.start() < b for a, b in taken)]
    spans = sorted([*record.loss_mask, *masks], key=lambda s: (s.start, s.end))
    return record.model_copy(update={"loss_mask": spans})


def strip_annotations(record: Record) -> str:
    """The base document: the record text without its doctag and annotation spans."""
    if record.text is None:
        raise ValueError(f"record {record.id}: chat records carry no annotation spans")
    drop = sorted((s.start, s.end) for s in record.loss_mask if s.kind in ("doctag", "annotation"))
    out, pos = [], 0
    for start, end in drop:
        out.append(record.text[pos:start])
        pos = max(pos, end)
    out.append(record.text[pos:])
    return "".join(out)
