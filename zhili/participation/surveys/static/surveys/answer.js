/* Conditional questions: a question with data-condition {"q": id, "values": [option indices]}
   shows when question id has one of the values checked. A hidden question's inputs are disabled
   so that they are not sent; the server applies the same rule again. */
(function () {
  var form = document.getElementById("survey-form");
  if (!form) return;
  var blocks = Array.prototype.slice.call(form.querySelectorAll("fieldset.q"));

  function chosen(qid) {
    var inputs = form.querySelectorAll('input[name="q' + qid + '"]');
    var out = [];
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].checked && !inputs[i].disabled) out.push(parseInt(inputs[i].value, 10));
    }
    return out;
  }

  function refresh() {
    blocks.forEach(function (block) {
      var raw = block.getAttribute("data-condition");
      if (!raw || raw === "null") return;
      var cond = JSON.parse(raw);
      var picked = chosen(cond.q);
      var show = picked.some(function (v) { return cond.values.indexOf(v) >= 0; });
      block.hidden = !show;
      var fields = block.querySelectorAll("input, select, textarea");
      for (var i = 0; i < fields.length; i++) fields[i].disabled = !show;
    });
  }

  form.addEventListener("change", refresh);
  refresh();
})();
