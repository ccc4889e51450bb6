"""Reference lists served as they are stored: licenses and frequency labels."""

from dataclasses import dataclass

# The license a dataset without one is shown, listed and counted under (udata's default license).
NOT_SPECIFIED = "notspecified"


@dataclass(frozen=True, slots=True)
class License:
    id: str
    title: str
    url: str | None
    maintainer: str | None
    flags: tuple[str, ...]
    alternate_urls: tuple[str, ...]
    alternate_titles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Frequency:
    id: str
    label_en: str
    label_fr: str

    def label(self, language: str) -> str:
        return self.label_fr if language == "fr" else self.label_en
