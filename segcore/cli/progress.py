"""A download's progress as a tqdm bar on stderr (not a command: a helper of those that load models)."""

from __future__ import annotations


class DownloadBar:
    """``progress(received, total)`` for :func:`segcore.models.fetch.fetch`; opens its bar at the
    first bytes, so a load that downloads nothing prints nothing."""

    def __init__(self, desc: str = "downloading weights"):
        self.desc, self.bar = desc, None

    def __call__(self, received: int, total: int | None) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=self.desc,
                            initial=received, leave=False, disable=None)
        self.bar.total = total
        self.bar.n = received
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
