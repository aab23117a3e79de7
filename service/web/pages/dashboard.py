"""The dashboard clerks open every morning: today's cards and three charts."""

from __future__ import annotations

import datetime as dt
import time

from flask import current_app, render_template

from service.dossiers.filters import Scope
from service.reports.asof import as_of_label
from service.reports.dashboard import CLASSES, MonthRate, apology_window, dashboard
from service.reports.reminders import upcoming
from service.vocabulary import DeadlineClass
from service.web.pages import charts, neighbours
from service.web.pages.access import current_user, login_required, page_blueprint, scope_of
from service.web.session import db, runtime

bp = page_blueprint("dashboard", __name__)
# Closed months' on-time counts change only when late data arrives; recount after this long.
MONTH_CACHE_SECONDS = 600


class MonthCache:
    """On-time counts of closed months per scope, kept a few minutes in this process."""

    def __init__(self) -> None:
        self._items: dict[tuple[Scope, dt.date], tuple[MonthRate, float]] = {}

    def known(self, scope: Scope) -> dict[dt.date, MonthRate]:
        """The months of this scope still fresh."""
        clock = time.monotonic()
        return {month: rate for (owner, month), (rate, until) in list(self._items.items())
                if owner == scope and until > clock}

    def keep(self, scope: Scope, rates: list[MonthRate]) -> None:
        """Remember closed months' counts; drop what has expired."""
        clock = time.monotonic()
        for key in [k for k, (_, until) in self._items.items() if until <= clock]:
            self._items.pop(key, None)
        for rate in rates:
            self._items.setdefault((scope, rate.month), (rate, clock + MONTH_CACHE_SECONDS))


CLASS_CSS = {DeadlineClass.WITHIN: "within", DeadlineClass.NEAR: "near",
             DeadlineClass.OVERDUE: "overdue", DeadlineClass.PAUSED: "paused"}


@bp.get("/tong-quan")
@login_required()
def index():  # type: ignore[no-untyped-def]
    """Show the cards and charts for the user's dossiers."""
    rt = runtime()
    now = rt.now()
    scope = scope_of(current_user())
    cache = current_app.extensions.setdefault("tthc_month_cache", MonthCache())
    data = dashboard(db(), now, rt.calendar, scope, cache.known(scope))
    cache.keep(scope, data.months[:-1])
    data.cards.sync_failures = neighbours.sync_failures(db(), scope)
    months = [f"{m.month:%m}" + (f"\n{m.month.year}" if i == 0 or m.month.month == 1 else "")
              for i, m in enumerate(data.months)]
    rate_chart = charts.column_chart(months, [m.rate for m in data.months],
                                     "Tỷ lệ hồ sơ giải quyết đúng hạn theo tháng (%)")
    series = [(c.label, CLASS_CSS[c]) for c in CLASSES]
    domain_chart = charts.stacked_bars(
        [(name, [counts[c] for c in CLASSES]) for name, counts in data.open_by_domain.items()],
        series, "Hồ sơ đang giải quyết theo lĩnh vực") + charts.legend(series)
    handler_chart = charts.stacked_bars(
        [(name, [count]) for name, count in data.overdue_by_handler],
        [("Quá hạn", "overdue")], "Hồ sơ quá hạn theo cơ quan giải quyết")
    reminders = upcoming(rt.calendar.local(now).date(), rt.config.reports)
    apology_day = apology_window(rt.calendar, now)[0].date()
    return render_template("dashboard.html", data=data, now=now, rate_chart=rate_chart,
                           as_of_text=as_of_label(now, rt.config.timezone),
                           reminders=reminders, apology_day=apology_day,
                           domain_chart=domain_chart, handler_chart=handler_chart,
                           classes=CLASSES)

