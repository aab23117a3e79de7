"""The Decision 766/QĐ-TTg indicators: each ratio, its target, its points, its formula in words.

Every displayed percentage is computed from the numerator and denominator shown beside it and
rounded half up to 0.1 %; points are computed from the exact ratio and rounded half up to
0.01, and the total is the sum of the points as shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from service.formats import vn_number

ROUNDING_NOTE = ("Tỷ lệ = tử số ÷ mẫu số hiển thị bên cạnh, làm tròn đến 0.1 %; điểm tính từ tỷ "
                 "lệ chưa làm tròn, làm tròn đến 0.01; tổng điểm là tổng các điểm đã làm tròn.")


def _half_up(value: Fraction, places: int) -> Fraction:
    """Round a non-negative exact value half up to `places` decimals."""
    scale = 10 ** places
    return Fraction(int(value * scale * 2 + 1) // 2, scale)


def percent_text(numerator: int, denominator: int) -> str:
    """'39,5 %' for 925/2343: the exact ratio rounded half up to 0.1 %, written as Vietnamese
    readers write numbers."""
    if not denominator:
        return "Chưa có dữ liệu"
    return vn_number(Fraction(100 * numerator, denominator), 1, " %")


@dataclass(frozen=True)
class Ratio:
    """A count over a count, with what the counts are in Vietnamese."""

    numerator: int
    denominator: int
    label: str
    shown: str | None = None  # how the numerator is made, when it is not a plain count

    @property
    def value(self) -> Fraction | None:
        """The exact ratio; None without a denominator."""
        return Fraction(self.numerator, self.denominator) if self.denominator else None

    @property
    def text(self) -> str:
        """'925/2343 = 39.5 %', after how the numerator is made when it is not a count."""
        plain = f"{self.numerator}/{self.denominator} = {percent_text(*self.counts)}"
        return f"{self.shown}/{self.denominator} = {plain}" if self.shown else plain

    @property
    def counts(self) -> tuple[int, int]:
        """(numerator, denominator)."""
        return self.numerator, self.denominator


@dataclass(frozen=True)
class Indicator:
    """One scored indicator: points = max × min(ratio ÷ target, 1) [× factor].

    `formula` is the rule in words, written on the page beside the score; `computation`
    is the same rule with this period's numbers.
    """

    group: str
    name: str
    max_points: float
    ratio: Ratio
    formula: str
    target: Fraction | None = None
    factor: Ratio | None = None

    @property
    def numerator(self) -> int:
        """The ratio's numerator."""
        return self.ratio.numerator

    @property
    def denominator(self) -> int:
        """The ratio's denominator."""
        return self.ratio.denominator

    @property
    def value(self) -> float | None:
        """The ratio as a float (None without data)."""
        exact = self.ratio.value
        return None if exact is None else float(exact)

    @property
    def percent(self) -> str:
        """The ratio as shown: rounded half up to 0.1 %."""
        return percent_text(*self.ratio.counts)

    def _exact_points(self) -> Fraction | None:
        share = self.ratio.value
        if share is None or (self.factor is not None and self.factor.value is None):
            return None
        if self.target:
            share = min(share / self.target, Fraction(1))
        if self.factor is not None and self.factor.value is not None:
            share *= self.factor.value
        return Fraction(self.max_points) * share

    @property
    def points(self) -> float | None:
        """Points earned, rounded half up to 0.01; None without data."""
        exact = self._exact_points()
        return None if exact is None else float(_half_up(exact, 2))

    @property
    def computation(self) -> str:
        """The formula with this period's numbers, ending with the points."""
        if self.points is None:
            return "Chưa có dữ liệu"
        part = f"{self.ratio.text}"
        if self.target:
            part = f"min({part} ÷ {vn_number(float(self.target) * 100)} %, 1)"
        text = f"{self.max_points:g} × {part}"
        if self.factor is not None:
            text += f" × {self.factor.text} ({self.factor.label})"
        return f"{text} = {vn_number(self.points, 2)}"


def indicators(counts: dict[str, int]) -> list[Indicator]:
    """The computable indicators of rules §8 from the counts of `assessment._measures`."""
    total = counts["total"]
    synced = Ratio(counts["synced"], total, "hồ sơ đồng bộ lên Cổng / hồ sơ tiếp nhận")
    # Each dossier once in each term; a late dossier with a low rating is in both, as the
    # rule adds the two rates.
    satisfied = max(0, total - counts["late"] - counts["dissatisfied"])
    return [
        Indicator("Công khai, minh bạch", "Hồ sơ đồng bộ lên Cổng DVCQG", 6, synced,
                  "6 × (hồ sơ đồng bộ lên Cổng ÷ hồ sơ tiếp nhận)"),
        Indicator("Tiến độ giải quyết", "Hồ sơ đúng hạn và trong hạn (quy tắc của Cổng)", 20,
                  Ratio(total - counts["late"], total, "không trễ hạn / hồ sơ tiếp nhận"),
                  "20 × ((đã giải quyết đúng hạn + đang giải quyết trong hạn) ÷ hồ sơ tiếp "
                  "nhận); yêu cầu bổ sung quá một lần tính trễ hạn"),
        Indicator("Dịch vụ công trực tuyến", "Hồ sơ nộp trực tuyến (mục tiêu 50 %)", 12,
                  Ratio(counts["online"], total, "hồ sơ trực tuyến / hồ sơ tiếp nhận"),
                  "12 × min((hồ sơ trực tuyến ÷ hồ sơ tiếp nhận) ÷ 50 %, 1) × tỷ lệ đồng bộ",
                  target=Fraction(1, 2), factor=synced),
        Indicator("Thanh toán trực tuyến", "Hồ sơ có phí được thanh toán trực tuyến", 10,
                  Ratio(counts["paid"], counts["with_fee"], "thanh toán trực tuyến / có phí"),
                  "10 × (hồ sơ thanh toán trực tuyến ÷ hồ sơ có phí, lệ phí)"),
        Indicator("Mức độ hài lòng", "100 % − (tỷ lệ trễ hạn + tỷ lệ không hài lòng)", 18,
                  Ratio(satisfied, total, "không trễ hạn và không bị phàn nàn / tiếp nhận",
                        f"({total} − {counts['late']} trễ hạn − {counts['dissatisfied']} "
                        "không hài lòng)"),
                  "18 × min((100 % − tỷ lệ trễ hạn − tỷ lệ hồ sơ bị đánh giá 1–2 sao hoặc "
                  "phản ánh) ÷ 90 %, 1); mỗi hồ sơ tính một lần trong mỗi tỷ lệ",
                  target=Fraction(9, 10)),
        Indicator("Số hóa hồ sơ", "Hồ sơ đã giải quyết có kết quả điện tử", 11,
                  Ratio(counts["electronic"], counts["finished"],
                        "kết quả điện tử / đã giải quyết"),
                  "11 × (hồ sơ có kết quả điện tử ÷ hồ sơ đã giải quyết)"),
        Indicator("Số hóa hồ sơ", "Hồ sơ được số hóa (mục tiêu 80 %)", 11,
                  Ratio(counts["digitized"], total, "được số hóa / hồ sơ tiếp nhận"),
                  "11 × min((hồ sơ được số hóa ÷ hồ sơ tiếp nhận) ÷ 80 %, 1)",
                  target=Fraction(4, 5)),
    ]
