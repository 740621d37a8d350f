"""A node's identity: an Ed25519 key pair kept in its workspace, and notes signed with it.

`node.key` holds the private key (PKCS#8 PEM, file mode 0600; it never leaves the node) and
`node.json` the public part: the node id, the public key, when it was made. The node id is
derived from the public key, so a partner that holds the key can check the id.

Signed notes follow C2SP's signed-note format (https://c2sp.org/signed-note), the one
transparency logs use for their checkpoints, so a checkpoint can travel to a partner or an auditor
as text and be checked with any implementation:

    <text, ending in a newline>
    <empty line>
    — <key name> <base64(key hash (4 bytes) || Ed25519 signature)>

where the key hash is the first four bytes of SHA-256(key name || 0x0A || 0x01 || public key).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from interdict.errors import ValidationError

KEY_FILE = "node.key"
INFO_FILE = "node.json"
ED25519 = 0x01  # the signed-note signature type of Ed25519
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space


@dataclass(frozen=True)
class NodeIdentity:
    """The public identity of a node: what a partner records about it."""

    node_id: str
    public_key: bytes  # raw 32 bytes
    created_at: str

    @property
    def fingerprint(self) -> str:
        """SHA256:<base64>, as SSH shows keys: what two administrators read to each other."""
        return "SHA256:" + base64.b64encode(hashlib.sha256(self.public_key).digest()).decode().rstrip("=")

    @property
    def public_key_text(self) -> str:
        """The public key as one line to hand to a partner (`interdict partner add --key`)."""
        return "ed25519:" + base64.b64encode(self.public_key).decode()

    def to_dict(self) -> dict[str, Any]:
        return {"node_id": self.node_id, "public_key": self.public_key_text, "fingerprint": self.fingerprint,
                "created_at": self.created_at}


def node_id_of(public_key: bytes) -> str:
    """A node's id: its public key's hash, short enough to read and say."""
    return "node-" + hashlib.sha256(public_key).hexdigest()[:16]


def parse_public_key(text: str) -> bytes:
    """A public key as `public_key_text` writes it (or bare base64), checked to be one."""
    body = text.strip().removeprefix("ed25519:")
    try:
        raw = base64.b64decode(body, validate=True)
    except ValueError:
        raise ValidationError(f"{text!r} is not base64 (expected ed25519:<base64 of 32 bytes>)", where="public key") from None
    if len(raw) != 32:
        raise ValidationError(f"an Ed25519 public key has 32 bytes, this one {len(raw)}", where="public key")
    return raw


def create(home: Path) -> NodeIdentity:
    """Make the node's key pair in `home`. Refuses when one exists: partners know the node by its
    key, and a new one would cut them off."""
    key_path, info_path = home / KEY_FILE, home / INFO_FILE
    if key_path.exists() or info_path.exists():
        raise ValidationError(f"this node already has an identity ({load(home).node_id}); its key is kept",
                              where=str(key_path))
    home.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    # created with mode 0600 from the start: never readable by others, not even for a moment
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    identity = NodeIdentity(node_id_of(public), public, datetime.now(UTC).isoformat(timespec="seconds"))
    info_path.write_text(json.dumps(identity.to_dict(), indent=2) + "\n", encoding="utf-8")
    return identity


def load(home: Path) -> NodeIdentity:
    """The node's identity, checked against its private key."""
    info_path = home / INFO_FILE
    if not info_path.exists():
        raise ValidationError("this node has no identity yet: run `interdict node init`", where=str(info_path))
    info = json.loads(info_path.read_text(encoding="utf-8"))
    public = parse_public_key(info["public_key"])
    derived = _private_key(home).public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if derived != public or info["node_id"] != node_id_of(public):
        raise ValidationError("node.json does not belong to node.key (edited or swapped)", where=str(info_path))
    return NodeIdentity(info["node_id"], public, info["created_at"])


def _private_key(home: Path) -> Ed25519PrivateKey:
    path = home / KEY_FILE
    if not path.exists():
        raise ValidationError("the node's private key is missing", where=str(path))
    if path.stat().st_mode & 0o077:
        raise ValidationError(f"the node's private key is readable by others (mode {path.stat().st_mode & 0o777:o}); "
                              "set it to 0600", where=str(path))
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValidationError("the node's key is not an Ed25519 key", where=str(path))
    return key


def key_hash(name: str, public_key: bytes) -> bytes:
    """The four bytes that tell which key signed a note."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()[:4]


def _check_name(name: str) -> None:
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise ValidationError(f"{name!r}: a key name is non-empty, without spaces or '+'", where="signed note")


def sign_note(home: Path, name: str, text: str) -> str:
    """The note `text` (which must end in a newline) signed with this node's key under `name`."""
    _check_name(name)
    if not text.endswith("\n") or "\n\n" in text:
        raise ValidationError("a note's text ends in one newline and holds no empty line", where="signed note")
    private = _private_key(home)
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    signature = private.sign(text.encode())
    line = f"{SIGNATURE_PREFIX}{name} {base64.b64encode(key_hash(name, public) + signature).decode()}\n"
    return text + "\n" + line


def verify_note(note: str, name: str, public_key: bytes) -> str:
    """The text of a note signed by `name` with `public_key`; ValidationError naming the reason
    when no such signature holds."""
    text, sep, signatures = note.rpartition("\n\n")
    if not sep:
        raise ValidationError("not a signed note: no empty line before the signatures", where="signed note")
    text += "\n"
    wanted = key_hash(name, public_key)
    for line in signatures.splitlines():
        if not line.startswith(SIGNATURE_PREFIX):
            raise ValidationError(f"not a signature line: {line[:60]!r}", where="signed note")
        signer, _, blob = line[len(SIGNATURE_PREFIX):].partition(" ")
        try:
            raw = base64.b64decode(blob, validate=True)
        except ValueError:
            raise ValidationError(f"the signature of {signer!r} is not base64", where="signed note") from None
        if signer != name or raw[:4] != wanted:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(raw[4:], text.encode())
        except InvalidSignature:
            raise ValidationError(f"the signature of {name!r} does not match the note (altered?)", where="signed note") from None
        return text
    raise ValidationError(f"no signature of {name!r} with this key", where="signed note")
