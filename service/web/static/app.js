/* The clerks' pages work without this file; it adds two comforts, loaded from /static because
   the Content-Security-Policy forbids inline scripts:
   - filter panels (<details data-fold-narrow open>) fold away on a phone, so the first result
     is in the first screen;
   - date fields (<input data-datepicker>, typed dd/mm/yyyy whatever the browser's locale) get a
     small month calendar to pick from. */
(function () {
  "use strict";

  var NARROW = "(max-width: 640px)";
  var MONTHS = ["Tháng 1", "Tháng 2", "Tháng 3", "Tháng 4", "Tháng 5", "Tháng 6", "Tháng 7",
                "Tháng 8", "Tháng 9", "Tháng 10", "Tháng 11", "Tháng 12"];
  var WEEKDAYS = ["T2", "T3", "T4", "T5", "T6", "T7", "CN"];

  function foldOnPhones() {
    if (!window.matchMedia(NARROW).matches) { return; }
    document.querySelectorAll("details[data-fold-narrow]").forEach(function (panel) {
      panel.open = false;
    });
  }

  function pad(number) { return (number < 10 ? "0" : "") + number; }

  function show(day) {
    return pad(day.getDate()) + "/" + pad(day.getMonth() + 1) + "/" + day.getFullYear();
  }

  function read(text) {
    var match = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(text || "");
    if (!match) { return null; }
    var day = new Date(+match[3], +match[2] - 1, +match[1]);
    return day.getMonth() === +match[2] - 1 ? day : null;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function Picker(input) {
    this.input = input;
    this.panel = element("div", "datepicker");
    this.panel.setAttribute("role", "dialog");
    this.panel.setAttribute("aria-label", "Chọn ngày");
    this.panel.hidden = true;
    var wrap = element("span", "datefield");
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    var button = element("button", "datebutton", "Lịch");
    button.type = "button";
    button.setAttribute("aria-label", "Chọn ngày trên lịch");
    button.setAttribute("aria-expanded", "false");
    wrap.appendChild(button);
    wrap.appendChild(this.panel);
    this.button = button;
    var self = this;
    button.addEventListener("click", function () { self.toggle(); });
    this.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { self.close(); self.button.focus(); }
    });
    // A click inside re-renders the month, detaching its target: never let it count as
    // a click outside.
    this.panel.addEventListener("click", function (event) { event.stopPropagation(); });
    document.addEventListener("click", function (event) {
      if (!wrap.contains(event.target)) { self.close(); }
    });
  }

  Picker.prototype.toggle = function () {
    if (this.panel.hidden) { this.open(); } else { this.close(); }
  };

  Picker.prototype.open = function () {
    var chosen = read(this.input.value) || new Date();
    this.month = new Date(chosen.getFullYear(), chosen.getMonth(), 1);
    this.render();
    this.panel.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
  };

  Picker.prototype.close = function () {
    this.panel.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
  };

  Picker.prototype.move = function (months) {
    this.month = new Date(this.month.getFullYear(), this.month.getMonth() + months, 1);
    this.render();
  };

  Picker.prototype.render = function () {
    var self = this;
    var panel = this.panel;
    panel.textContent = "";
    var head = element("div", "datepicker-head");
    var back = element("button", "", "‹");
    back.type = "button";
    back.setAttribute("aria-label", "Tháng trước");
    back.addEventListener("click", function () { self.move(-1); });
    var next = element("button", "", "›");
    next.type = "button";
    next.setAttribute("aria-label", "Tháng sau");
    next.addEventListener("click", function () { self.move(1); });
    head.appendChild(back);
    head.appendChild(element("strong", "", MONTHS[this.month.getMonth()] + " " +
                                            this.month.getFullYear()));
    head.appendChild(next);
    panel.appendChild(head);
    var grid = element("div", "datepicker-grid");
    WEEKDAYS.forEach(function (name) { grid.appendChild(element("span", "weekday", name)); });
    var offset = (this.month.getDay() + 6) % 7;  // Monday first, as Vietnamese calendars
    for (var blank = 0; blank < offset; blank += 1) { grid.appendChild(element("span")); }
    var chosen = show(read(this.input.value) || new Date(0));
    var days = new Date(this.month.getFullYear(), this.month.getMonth() + 1, 0).getDate();
    for (var number = 1; number <= days; number += 1) {
      var day = new Date(this.month.getFullYear(), this.month.getMonth(), number);
      var cell = element("button", show(day) === chosen ? "day chosen" : "day", String(number));
      cell.type = "button";
      cell.dataset.value = show(day);
      cell.setAttribute("aria-label", show(day));
      cell.addEventListener("click", function (event) {
        self.input.value = event.currentTarget.dataset.value;
        self.input.dispatchEvent(new Event("change", { bubbles: true }));
        self.close();
        self.input.focus();
      });
      grid.appendChild(cell);
    }
    panel.appendChild(grid);
  };

  function start() {
    foldOnPhones();
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
