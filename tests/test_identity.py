"""A node's identity (interdict.identity): its Ed25519 key pair, kept private, and C2SP signed notes
(the checkpoint format of transparency logs) that partners and auditors verify with its public key."""

from __future__ import annotations

import base64
import json
import stat

import pytest
from test_cli import run

from interdict import identity
from interdict.errors import ValidationError


def test_a_node_gets_one_key_pair_kept_private_and_an_id_derived_from_it(tmp_path):
    made = identity.create(tmp_path)
    key = tmp_path / identity.KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert made.node_id == identity.node_id_of(made.public_key) and made.node_id.startswith("node-")
    assert identity.load(tmp_path) == made
    assert made.fingerprint.startswith("SHA256:") and identity.parse_public_key(made.public_key_text) == made.public_key
    with pytest.raises(ValidationError, match="already has an identity"):
        identity.create(tmp_path)
    assert identity.load(tmp_path) == made  # the refused second init changed nothing
    assert identity.create(tmp_path / "other").node_id != made.node_id


def test_a_loosened_or_swapped_key_is_refused_by_name(tmp_path):
    identity.create(tmp_path)
    (tmp_path / identity.KEY_FILE).chmod(0o644)
    with pytest.raises(ValidationError, match="readable by others"):
        identity.load(tmp_path)
    (tmp_path / identity.KEY_FILE).chmod(0o600)
    other = tmp_path / "other"
    identity.create(other)
    (tmp_path / identity.INFO_FILE).write_text((other / identity.INFO_FILE).read_text())
    with pytest.raises(ValidationError, match=r"does not belong to node\.key"):
        identity.load(tmp_path)
    with pytest.raises(ValidationError, match="no identity yet"):
        identity.load(tmp_path / "nowhere")


def test_a_signed_note_verifies_with_the_public_key_and_fails_when_altered(tmp_path):
    made = identity.create(tmp_path)
    text = "interdict.example/audit\n42\n" + base64.b64encode(b"\x01" * 32).decode() + "\n"
    note = identity.sign_note(tmp_path, "interdict.example/audit", text)
    body, signature = note.split("\n\n")
    assert body + "\n" == text and signature.startswith("\u2014 interdict.example/audit ")
    raw = base64.b64decode(signature.split(" ")[2])
    assert raw[:4] == identity.key_hash("interdict.example/audit", made.public_key) and len(raw) == 4 + 64
    assert identity.verify_note(note, "interdict.example/audit", made.public_key) == text
    with pytest.raises(ValidationError, match="does not match the note"):
        identity.verify_note(note.replace("\n42\n", "\n43\n"), "interdict.example/audit", made.public_key)
    stranger = identity.create(tmp_path / "stranger")
    with pytest.raises(ValidationError, match=r"no signature of 'interdict\.example/audit' with this key"):
        identity.verify_note(note, "interdict.example/audit", stranger.public_key)
    with pytest.raises(ValidationError, match="no empty line"):
        identity.verify_note(text, "interdict.example/audit", made.public_key)
    with pytest.raises(ValidationError, match="ends in one newline"):
        identity.sign_note(tmp_path, "x", "no newline")
    with pytest.raises(ValidationError, match="without spaces"):
        identity.sign_note(tmp_path, "two words", text)


def test_a_signed_note_is_checked_by_the_cryptography_library_alone(tmp_path):
    """The format as documented (C2SP signed-note), checked without interdict's verifier."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    made = identity.create(tmp_path)
    note = identity.sign_note(tmp_path, "origin", "origin\n1\nAAAA\n")
    text, line = note.split("\n\n")
    blob = base64.b64decode(line.removeprefix("\u2014 origin ").strip())
    Ed25519PublicKey.from_public_bytes(made.public_key).verify(blob[4:], (text + "\n").encode())


def test_node_init_and_info_through_the_command(tmp_path):
    home = tmp_path / "ws"
    made = json.loads(run("node", "init", "--json", home=home).stdout)
    assert stat.S_IMODE((home / identity.KEY_FILE).stat().st_mode) == 0o600
    run("agency", "add", "AFP", "--name", "Australian Federal Police", "--country", "AUS", "--law-enforcement", home=home)
    info = json.loads(run("node", "info", "--json", home=home).stdout)
    assert info["node_id"] == made["node_id"] and info["public_key"] == made["public_key"]
    assert [a["code"] for a in info["agencies"]] == ["AFP"]
    assert made["node_id"] in run("node", "info", home=home).stdout
    again = run("node", "init", home=home, check=False)
    assert again.returncode == 2 and "already has an identity" in again.stderr and "Traceback" not in again.stderr
    assert "private" not in json.dumps(info).lower() and "BEGIN" not in json.dumps(info)  # the key never leaves
