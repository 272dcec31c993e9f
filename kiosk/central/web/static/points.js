// The enrol form's point box (kiosks.html): the registry's points whose id or name holds
// what the admin typed, asked of the centre as they type (GET /kiosks/points?q=…), offered
// in the box's list. The page no longer carries every point of the province (909 KB at
// 20,000); the centre checks the point when the form is posted.
"use strict";
(function () {
  var box = document.querySelector("input[data-lookup]");
  if (!box) return;
  var list = document.getElementById(box.getAttribute("list"));
  var timer = null, asked = null;
  function offer(points) {
    list.replaceChildren.apply(list, points.map(function (p) {
      var option = document.createElement("option");
      option.value = p.id;
      option.textContent = p.name;
      return option;
    }));
  }
  function ask() {
    var q = box.value.trim();
    if (q === asked) return;
    asked = q;
    if (!q) { offer([]); return; }
    fetch(box.dataset.lookup + "?q=" + encodeURIComponent(q), {credentials: "same-origin"})
      .then(function (answer) { return answer.ok ? answer.json() : []; })
      .then(function (points) { if (asked === q) offer(points); })
      .catch(function () {});  // the box still takes any id; the centre checks it
  }
  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 150);
  });
})();
