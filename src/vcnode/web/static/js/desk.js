// The desk's forms, for browsers with JavaScript (they work without it): while an achievement awarded before is
// chosen, the fields of a new achievement are hidden (the server reads them only for "Type a new achievement").
(function () {
  "use strict";
  var choice = document.getElementById("achievement_choice");
  var typed = document.getElementById("achievement-new");
  if (!choice || !typed) {
    return;
  }
  function update() {
    typed.hidden = choice.value !== "new";
  }
  choice.addEventListener("change", update);
  update();
}());
