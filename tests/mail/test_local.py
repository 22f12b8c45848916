"""Local sources: .eml files, mbox files, Maildir folders; labels, caps and unreadable files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.mail.local import iter_file, iter_path, split_mbox

MESSAGE = b"From: a@example.org\nSubject: one\n\nbody\n"


def _maildir(root: Path, names: dict[str, bytes]) -> Path:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for name, raw in names.items():
        (root / name).write_bytes(raw)
    return root


def test_eml_is_one_message_labelled_by_its_path(tmp_path: Path) -> None:
    path = tmp_path / "a.eml"
    path.write_bytes(MESSAGE)
    [item] = list(iter_path(path, 1000))
    assert (item.source, item.raw, item.error) == (str(path), MESSAGE, None)


def test_mbox_of_one_message_keeps_the_plain_label(tmp_path: Path) -> None:
    path = tmp_path / "saved.eml"
    path.write_bytes(b"From MAILER-DAEMON Mon Mar  2 10:00:00 2026\n" + MESSAGE)
    [item] = list(iter_path(path, 1000))
    assert item.source == str(path)
    assert item.raw == MESSAGE


def test_mbox_messages_are_numbered_and_unquoted(tmp_path: Path) -> None:
    path = tmp_path / "box.mbox"
    path.write_bytes(
        b"From a@example.org Mon Mar  2 10:00:00 2026\nSubject: one\n\n>From the start\n\n"
        b"From b@example.org Mon Mar  2 10:01:00 2026\nSubject: two\n\nbody\n\n"
        b"From c@example.org Mon Mar  2 10:02:00 2026\nSubject: three\n\nbody\n"
    )
    items = list(iter_path(path, 1000))
    assert [i.source for i in items] == [f"{path}#1", f"{path}#2", f"{path}#3"]
    assert b"\nFrom the start\n" in items[0].raw
    assert items[1].raw.startswith(b"Subject: two")


def test_maildir_reads_new_and_cur_in_name_order(tmp_path: Path) -> None:
    root = _maildir(tmp_path / "Maildir", {"new/2.host": b"Subject: b\n\n", "cur/1.host:2,S": b"Subject: a\n\n",
                                           "tmp/3.host": b"Subject: never\n\n"})
    items = list(iter_path(root, 1000))
    assert [(i.source, i.key, i.raw) for i in items] == [
        (f"{root}#1", "1.host", b"Subject: a\n\n"), (f"{root}#2", "2.host", b"Subject: b\n\n")]


@pytest.mark.parametrize("mbox", [False, True], ids=["eml", "mbox"])
def test_messages_are_capped_one_byte_past_the_limit(tmp_path: Path, mbox: bool) -> None:
    path = tmp_path / "big"
    big = MESSAGE + b"x" * 10_000 + b"\n"
    path.write_bytes((b"From x Mon Mar  2 10:00:00 2026\n" if mbox else b"") + big)
    [item] = list(iter_path(path, 4096))
    assert len(item.raw) == 4097


def test_unreadable_file_gives_an_error_item(tmp_path: Path) -> None:
    path = tmp_path / "gone.eml"
    path.symlink_to(tmp_path / "missing-target")
    [item] = list(iter_file(path, 1000))
    assert item.source == str(path)
    assert item.raw == b""
    assert item.error is not None and item.error.startswith("cannot read")


def test_plain_directory_reads_each_file(tmp_path: Path) -> None:
    (tmp_path / "b.eml").write_bytes(MESSAGE)
    (tmp_path / "a.eml").write_bytes(MESSAGE)
    assert [Path(i.source).name for i in iter_path(tmp_path, 1000)] == ["a.eml", "b.eml"]


def test_split_mbox_says_where_each_message_ends_and_reads_on_from_there(tmp_path: Path) -> None:
    first = b"From a@example.org Mon Mar  2 10:00:00 2026\nSubject: one\n\nbody\n\n"
    second = b"From b@example.org Mon Mar  2 10:01:00 2026\nSubject: two\n\nbody\n"
    path = tmp_path / "box.mbox"
    path.write_bytes(first + second)
    with path.open("rb") as handle:
        assert [end for _, end in split_mbox(handle, 1000)] == [len(first), len(first) + len(second)]
        handle.seek(len(first))
        assert [raw for raw, _ in split_mbox(handle, 1000)] == [b"Subject: two\n\nbody\n"]


def test_split_mbox_read_on_from_the_end_ignores_the_blank_line_before_an_appended_message(tmp_path: Path) -> None:
    path = tmp_path / "box.mbox"
    path.write_bytes(b"From a Mon Mar  2 10:00:00 2026\nSubject: one\n\nbody\n")
    end = path.stat().st_size
    with path.open("ab") as handle:  # as Python's mailbox and some MDAs append: a blank line, then "From "
        handle.write(b"\nFrom b Mon Mar  2 10:01:00 2026\nSubject: two\n\nbody\n")
    with path.open("rb") as handle:
        handle.seek(end)
        assert [raw for raw, _ in split_mbox(handle, 1000)] == [b"Subject: two\n\nbody\n"]
