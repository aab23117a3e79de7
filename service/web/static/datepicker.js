/* The one date picker of the clerks' pages, loaded by base.html from /static (the
   Content-Security-Policy forbids inline scripts). Every date field is a text input marked
   data-datepicker ("datetime" when a time may follow), typed dd/mm/yyyy [hh:mm], the office's
   way, whatever the browser's locale; the server reads that text unchanged, so a page works
   without this file. It adds:
   - a button beside the field opening a month calendar (Monday first, Vietnamese names);
     picking a day keeps a time already typed;
   - the keyboard: arrows move by a day or a week, Page Up/Down by a month, Home/End to the
     week's ends, Enter picks, Escape closes and returns to the button;
   - eight digits typed on a phone's number pad (05032026, or twelve with the time) are
     written back as 05/03/2026 [08:15] when the field is left. */
(function () {
  "use strict";

  var WEEKDAYS = [["T2", "Thứ Hai"], ["T3", "Thứ Ba"], ["T4", "Thứ Tư"], ["T5", "Thứ Năm"],
                  ["T6", "Thứ Sáu"], ["T7", "Thứ Bảy"], ["CN", "Chủ Nhật"]];
  var TYPED = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(\s+\d{1,2}:\d{2})?$/;
  var DIGITS = /^(\d{2})(\d{2})(\d{4})(?:(\d{2})(\d{2}))?$/;
  var STEPS = {ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7};

  function pad(number) { return (number < 10 ? "0" : "") + number; }

  function show(day) {
    return pad(day.getDate()) + "/" + pad(day.getMonth() + 1) + "/" + day.getFullYear();
  }

  function sameDay(one, other) { return !!one && !!other && show(one) === show(other); }

  // The field's day and time as typed, or null when it holds no real day (31/02 is none).
  function read(input) {
    var match = TYPED.exec(input.value.trim());
    if (!match) { return null; }
    var day = new Date(+match[3], +match[2] - 1, +match[1]);
    if (day.getMonth() !== +match[2] - 1) { return null; }
    return {day: day, clock: match[4] ? " " + match[4].trim() : ""};
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // The button's name stays "Chọn ngày trên lịch" (the field's label names the field alone);
  // the label describes it, so a screen reader says which field the calendar fills.
  function describe(button, input) {
    var label = input.labels && input.labels[0];
    if (!label) { return; }
    label.id = label.id || input.id + "-label";
    button.setAttribute("aria-describedby", label.id);
  }

  function Picker(input) {
    var self = this;
    this.input = input;
    this.withTime = input.dataset.datepicker === "datetime";
    var wrap = element("span", "datefield");
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    this.button = element("button", "datebutton", "Lịch");
    this.button.type = "button";
    this.button.setAttribute("aria-label", "Chọn ngày trên lịch");
    describe(this.button, input);
    this.button.setAttribute("aria-expanded", "false");
    this.panel = element("div", "datepicker");
    this.panel.setAttribute("role", "dialog");
    this.panel.setAttribute("aria-label", "Lịch chọn ngày");
    this.panel.hidden = true;
    wrap.appendChild(this.button);
    wrap.appendChild(this.panel);
    this.button.addEventListener("click", function () { self.toggle(); });
    this.panel.addEventListener("keydown", function (event) { self.key(event); });
    // A click inside re-draws the month, detaching its target: never count it as outside.
    this.panel.addEventListener("click", function (event) { event.stopPropagation(); });
    document.addEventListener("click", function (event) {
      if (!wrap.contains(event.target)) { self.close(); }
    });
    wrap.addEventListener("focusout", function (event) {
      if (event.relatedTarget && !wrap.contains(event.relatedTarget)) { self.close(); }
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && event.altKey) { event.preventDefault(); self.open(); }
    });
    input.addEventListener("change", function () { self.tidy(); });
  }

  Picker.prototype.tidy = function () {
    var match = DIGITS.exec(this.input.value.trim());
    if (!match || (match[4] && !this.withTime)) { return; }
    this.input.value = match[1] + "/" + match[2] + "/" + match[3] +
      (match[4] ? " " + match[4] + ":" + match[5] : "");
  };

  // An empty field opens on another date of the same form (a due date is near its receipt
  // date), else on today.
  Picker.prototype.nearby = function () {
    var fields = this.input.form ? this.input.form.querySelectorAll("input[data-datepicker]") : [];
    for (var i = 0; i < fields.length; i += 1) {
      var other = read(fields[i]);
      if (other) { return other.day; }
    }
    return new Date();
  };

  Picker.prototype.toggle = function () {
    if (this.panel.hidden) { this.open(); } else { this.close(); }
  };

  Picker.prototype.open = function () {
    var typed = read(this.input);
    this.draw(typed ? typed.day : this.nearby());
    this.panel.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    this.focused().focus();
  };

  Picker.prototype.close = function () {
    this.panel.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
  };

  Picker.prototype.focused = function () {
    return this.panel.querySelector("button.day[tabindex='0']");
  };

  Picker.prototype.pick = function (day) {
    var typed = read(this.input);
    this.input.value = show(day) + (typed && this.withTime ? typed.clock : "");
    this.input.dispatchEvent(new Event("change", {bubbles: true}));
    this.close();
    this.input.focus();
  };

  Picker.prototype.key = function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      this.close();
      this.button.focus();
      return;
    }
    var day = this.current;
    var target = null;
    if (STEPS[event.key] && event.target.classList.contains("day")) {
      target = new Date(day.getFullYear(), day.getMonth(), day.getDate() + STEPS[event.key]);
    } else if (event.key === "PageUp" || event.key === "PageDown") {
      var months = event.key === "PageUp" ? -1 : 1;
      target = new Date(day.getFullYear(), day.getMonth() + months, 1);
      var last = new Date(target.getFullYear(), target.getMonth() + 1, 0).getDate();
      target.setDate(Math.min(day.getDate(), last));
    } else if ((event.key === "Home" || event.key === "End") &&
               event.target.classList.contains("day")) {
      var weekday = (day.getDay() + 6) % 7;
      target = new Date(day.getFullYear(), day.getMonth(),
                        day.getDate() + (event.key === "Home" ? -weekday : 6 - weekday));
    }
    if (target) {
      event.preventDefault();
      this.draw(target);
      this.focused().focus();
    }
  };

  // Draw the month of `day`, with `day` the one button reached by Tab (a roving tabindex).
  Picker.prototype.draw = function (day) {
    var self = this;
    this.current = day;
    var month = new Date(day.getFullYear(), day.getMonth(), 1);
    var typed = read(this.input);
    var today = new Date();
    this.panel.textContent = "";
    var head = element("div", "datepicker-head");
    [["‹", "Tháng trước", -1], ["›", "Tháng sau", 1]].forEach(function (nav) {
      var button = element("button", "", nav[0]);
      button.type = "button";
      button.setAttribute("aria-label", nav[1]);
      button.addEventListener("click", function () {
        self.draw(new Date(month.getFullYear(), month.getMonth() + nav[2], 1));
        button = self.panel.querySelector("[aria-label='" + nav[1] + "']");
        button.focus();
      });
      head.appendChild(button);
    });
    var title = element("span", "datepicker-title",
                        "Tháng " + (month.getMonth() + 1) + "/" + month.getFullYear());
    title.setAttribute("aria-live", "polite");
    head.insertBefore(title, head.lastChild);
    var grid = element("table", "datepicker-grid");
    grid.setAttribute("role", "grid");
    var row = grid.appendChild(element("thead")).appendChild(element("tr"));
    WEEKDAYS.forEach(function (name) {
      var cell = row.appendChild(element("th", "", name[0]));
      cell.setAttribute("abbr", name[1]);
      cell.title = name[1];
    });
    var body = grid.appendChild(element("tbody"));
    var blank = (month.getDay() + 6) % 7;  // Monday first, as Vietnamese calendars
    var last = new Date(month.getFullYear(), month.getMonth() + 1, 0).getDate();
    row = body.appendChild(element("tr"));
    for (var i = 0; i < blank; i += 1) { row.appendChild(element("td")); }
    for (var number = 1; number <= last; number += 1) {
      if ((blank + number - 1) % 7 === 0 && number > 1) { row = body.appendChild(element("tr")); }
      var date = new Date(month.getFullYear(), month.getMonth(), number);
      var chosen = sameDay(date, typed && typed.day);
      var cell = element("button", "day" + (chosen ? " chosen" : "") +
                         (sameDay(date, today) ? " today" : ""), String(number));
      cell.type = "button";
      cell.tabIndex = number === day.getDate() ? 0 : -1;
      cell.setAttribute("aria-label", show(date));
      cell.setAttribute("aria-pressed", chosen ? "true" : "false");
      cell.addEventListener("click", this.pick.bind(this, date));
      row.appendChild(element("td")).appendChild(cell);
    }
    this.panel.append(head, grid);
  };

  function start() {
    document.querySelectorAll("input[data-datepicker]").forEach(function (input) {
      new Picker(input);  // eslint-disable-line no-new
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
