/* The question editor shows only the fields of the chosen type (every field still posts). */
(function () {
  var form = document.getElementById("question-form") || document.querySelector("form.stacked");
  if (!form) return;
  var kind = form.querySelector('select[name="kind"]');
  if (!kind) return;
  function refresh() {
    var rows = form.querySelectorAll("[data-for]");
    for (var i = 0; i < rows.length; i++) {
      var kinds = rows[i].getAttribute("data-for").split(" ");
      rows[i].hidden = kinds.indexOf(kind.value) < 0;
    }
  }
  kind.addEventListener("change", refresh);
  refresh();
})();
