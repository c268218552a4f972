# Downloading dataset files: mirrors tried in order, MD5 check, atomic rename, progress bar.
import hashlib
import http.client
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request

__all__ = ["DownloadError", "md5sum", "download_file", "download_resources"]

_CHUNK = 1 << 16


class DownloadError(RuntimeError):
    """Every mirror failed (no network, HTTP error, or a checksum mismatch)."""


def md5sum(path, chunk=1 << 20):
    """Hex MD5 of a file."""
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


class _Progress:
    """tqdm when it is installed, otherwise a plain text line on stderr (at most ~10 updates/s)."""

    def __init__(self, total, desc, enabled):
        self.total, self.desc, self.enabled, self.done = total, desc, enabled, 0
        self._bar, self._last = None, 0.0
        if not enabled:
            return
        try:
            from tqdm import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            self._bar = tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024,
                             leave=False)

    def update(self, n):
        self.done += n
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(n)
            return
        now = time.monotonic()
        if now - self._last >= 0.1:
            self._last = now
            self._print()

    def _print(self, end=""):
        if self.total:
            pct = 100.0 * self.done / self.total
            msg = f"\r{self.desc}: {self.done}/{self.total} bytes ({pct:5.1f}%)"
        else:
            msg = f"\r{self.desc}: {self.done} bytes"
        sys.stderr.write(msg + end)
        sys.stderr.flush()

    def close(self):
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.close()
        else:
            self._print(end="\n")


def download_file(url, dest, md5=None, timeout=30.0, progress=True):
    """Downloads `url` to `dest` through a temporary file in dest's folder.

    The temporary file is checked against `md5` (when given) and renamed onto `dest` only when it
    matches, so `dest` is either absent or complete. Raises DownloadError on a checksum mismatch
    and lets network errors (URLError, OSError) propagate, with the temporary file removed.
    """
    dest = os.fspath(dest)
    folder = os.path.dirname(os.path.abspath(dest))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(dest) + ".", suffix=".part", dir=folder)
    try:
        h = hashlib.md5()
        req = urllib.request.Request(url, headers={"User-Agent": "tinygrad_ext"})
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(req, timeout=timeout) as resp:
            total = resp.headers.get("Content-Length")
            bar = _Progress(int(total) if total and total.isdigit() else None,
                            os.path.basename(dest), progress)
            try:
                for block in iter(lambda: resp.read(_CHUNK), b""):
                    out.write(block)
                    h.update(block)
                    bar.update(len(block))
            finally:
                bar.close()
            if total and total.isdigit() and bar.done != int(total):
                raise DownloadError(f"{url}: connection closed after {bar.done} of {total} bytes")
        if md5 is not None and h.hexdigest() != md5.lower():
            raise DownloadError(f"{url}: MD5 mismatch for {os.path.basename(dest)}: got "
                                f"{h.hexdigest()}, expected {md5.lower()}")
        os.replace(tmp, dest)
        tmp = None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)
    return dest


def download_resources(resources, mirrors, folder, timeout=30.0, progress=True, dataset="dataset"):
    """Fetches each (filename, md5) of `resources` into `folder`, trying `mirrors` in order.

    Files already present with the right MD5 are kept. Raises DownloadError listing every mirror's
    failure and saying where the files can be put by hand.
    """
    folder = os.fspath(folder)
    for filename, md5 in resources:
        dest = os.path.join(folder, filename)
        if os.path.isfile(dest) and (md5 is None or md5sum(dest) == md5):
            continue
        errors = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + filename
            try:
                download_file(url, dest, md5=md5, timeout=timeout, progress=progress)
                break
            except (urllib.error.URLError, OSError, http.client.HTTPException, DownloadError,
                    ValueError) as e:
                reason = getattr(e, "reason", None) or e
                errors.append(f"  {url}: {reason}")
        else:
            names = ", ".join(name for name, _ in resources)
            raise DownloadError(
                f"could not download {filename} for {dataset} from any mirror:\n" + "\n".join(errors)
                + f"\nWithout network access, put the files ({names}) into {folder} "
                f"(or into a folder named by the TG_DATA environment variable) and try again.")
    return folder
