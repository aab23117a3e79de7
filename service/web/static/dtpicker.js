// A calendar beside each date field (input[data-dtpicker]). The field stays a text input
// showing dd/mm/yyyy [hh:mm], the office's way, instead of the browser's date input, whose
// format follows the computer's locale. Picking a day keeps a time already typed. Loaded from
// /static because the Content-Security-Policy forbids inline scripts.
(function () {
  "use strict";
  var DAYS = ["T2", "T3", "T4", "T5", "T6", "T7", "CN"];
  var TYPED = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(\s+\d{1,2}:\d{2})?$/;

  function pad(number) {
    return (number < 10 ? "0" : "") + number;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function attach(input) {
    var label = document.querySelector("label[for='" + input.id + "']");
    var toggle = element("button", "secondary dtpicker-toggle", "Chọn ngày");
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", "false");
    toggle.setAttribute("aria-label", "Chọn ngày: " + (label ? label.textContent.trim() : ""));
    var panel = element("div", "dtpicker");
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", "Lịch chọn ngày");
    input.insertAdjacentElement("afterend", toggle);
    toggle.insertAdjacentElement("afterend", panel);
    var month = null;

    function read(field) {
      var match = TYPED.exec(field.value.trim());
      if (!match) {
        return null;
      }
      return {day: new Date(+match[3], +match[2] - 1, +match[1]), clock: match[4] || ""};
    }

    function typed() {
      return read(input);
    }

    // An empty field opens on the month of another date of the same record (a due date is
    // near its receipt date), else on the current month.
    function nearby() {
      var fields = input.form ? input.form.querySelectorAll("input[data-dtpicker]") : [];
      for (var i = 0; i < fields.length; i += 1) {
        var other = read(fields[i]);
        if (other) {
          return other.day;
        }
      }
      return new Date();
    }

    function nav(text, name, step) {
      var button = element("button", "secondary", text);
      button.type = "button";
      button.setAttribute("aria-label", name);
      button.addEventListener("click", function () {
        month = new Date(month.getFullYear(), month.getMonth() + step, 1);
        draw();
      });
      return button;
    }

    function dayButton(day, chosen) {
      var button = element("button", "", String(day));
      var text = pad(day) + "/" + pad(month.getMonth() + 1) + "/" + month.getFullYear();
      button.type = "button";
      button.setAttribute("aria-label", text);
      button.setAttribute("aria-pressed", chosen ? "true" : "false");
      button.addEventListener("click", function () {
        var now = typed();
        input.value = text + (now ? now.clock : "");
        close();
        input.focus();
      });
      return button;
    }

    function draw() {
      panel.textContent = "";
      var head = element("div", "dtpicker-head");
      var title = element("span", "", "Tháng " + (month.getMonth() + 1) + "/" + month.getFullYear());
      head.append(nav("‹", "Tháng trước", -1), title, nav("›", "Tháng sau", 1));
      var grid = element("table", "dtpicker-grid");
      var row = element("tr");
      DAYS.forEach(function (name) { row.append(element("th", "", name)); });
      grid.appendChild(element("thead")).appendChild(row);
      var body = grid.appendChild(element("tbody"));
      var chosen = typed();
      var blank = (month.getDay() + 6) % 7;
      var last = new Date(month.getFullYear(), month.getMonth() + 1, 0).getDate();
      row = body.appendChild(element("tr"));
      for (var i = 0; i < blank; i += 1) {
        row.append(element("td"));
      }
      for (var day = 1; day <= last; day += 1) {
        if ((blank + day - 1) % 7 === 0 && day > 1) {
          row = body.appendChild(element("tr"));
        }
        var same = chosen && chosen.day.getDate() === day &&
          chosen.day.getMonth() === month.getMonth() &&
          chosen.day.getFullYear() === month.getFullYear();
        row.appendChild(element("td")).append(dayButton(day, same));
      }
      panel.append(head, grid);
    }

    function open() {
      var now = typed();
      var base = now ? now.day : nearby();
      month = new Date(base.getFullYear(), base.getMonth(), 1);
      draw();
      panel.hidden = false;
      toggle.setAttribute("aria-expanded", "true");
    }

    function close() {
      panel.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
    }

    toggle.addEventListener("click", function () {
      if (panel.hidden) {
        open();
      } else {
        close();
      }
    });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        close();
        toggle.focus();
      }
    });
  }

  document.querySelectorAll("input[data-dtpicker]").forEach(attach);
})();
